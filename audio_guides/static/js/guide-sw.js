/* The audio guides' service worker (served at /g/sw.js, registered for /g/ and /tours/).
 *
 * The tour page stores a tour in a cache of its own ("langviet-tour-<slug>"): pages under
 * their path, files (pictures, scripts, recordings) under their URL. This worker only
 * answers from there. Pages come from the network when it answers within a few seconds,
 * else from the phone; files are named by their content, so a stored copy is always right
 * and is used first. A recording is stored whole, and Range requests (the player seeking)
 * are answered by slicing it: a 206 with Content-Range, so seeking works in airplane mode.
 */
'use strict';

const PREFIX = 'langviet-tour-';
const FILES = /^\/(static|audio-static|media)\//;
const STOP = /^\/g\/([^/]+)$/;
const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    event.respondWith(page(request, url));
  } else if (FILES.test(url.pathname)) {
    event.respondWith(file(request, url));
  }
});

// Stored copies of any saved tour (one cache per tour).
async function stored(key) {
  for (const name of await caches.keys()) {
    if (!name.startsWith(PREFIX)) continue;
    const found = await (await caches.open(name)).match(key, {ignoreVary: true});
    if (found) return found;
  }
  return undefined;
}

// A page is stored under its path alone; a stop's code typed in lower case is the same stop.
function pageKey(url) {
  const stop = STOP.exec(url.pathname);
  return url.origin + (stop ? `/g/${stop[1].toUpperCase()}` : url.pathname);
}

async function page(request, url) {
  const network = fetch(request);
  network.catch(() => {});  // answered below, or too late to matter
  const late = new Promise((resolve) => setTimeout(resolve, NETWORK_TIMEOUT_MS));
  try {
    const first = await Promise.race([network, late]);
    if (first) return first;
    // A slow connection: the stored copy now if there is one, the network otherwise.
    return (await stored(pageKey(url))) || await network;
  } catch (error) {
    const copy = await stored(pageKey(url));
    if (copy) return copy;
    throw error;
  }
}

async function file(request, url) {
  const copy = await stored(url.href);
  if (!copy) return fetch(request);
  const range = request.headers.get('Range');
  return range ? slice(copy, range) : copy;
}

// The part of a stored (complete) file that `range` ("bytes=a-b", "bytes=a-", "bytes=-n") asks for.
async function slice(copy, range) {
  const blob = await copy.blob();
  const total = blob.size;
  const match = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!match || (match[1] === '' && match[2] === '')) {
    return new Response(blob, {status: 200, headers: copy.headers});  // several ranges: the whole file
  }
  let start;
  let end;
  if (match[1] === '') {
    start = Math.max(total - Number(match[2]), 0);
    end = total - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? total - 1 : Math.min(Number(match[2]), total - 1);
  }
  if (start >= total || start > end) {
    return new Response(null, {status: 416, headers: {'Content-Range': `bytes */${total}`}});
  }
  const headers = new Headers(copy.headers);
  headers.set('Content-Range', `bytes ${start}-${end}/${total}`);
  headers.set('Content-Length', String(end - start + 1));
  headers.set('Accept-Ranges', 'bytes');
  return new Response(blob.slice(start, end + 1), {status: 206, statusText: 'Partial Content', headers});
}
