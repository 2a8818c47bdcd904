/* The check-in scanner's service worker (served at /console/checkin-sw.js, scope /console/).
 *
 * It keeps the scanner pages and their files on the phone, so that reopening the scanner
 * with no connection still works. Pages come from the network when it answers (within a
 * few seconds) and from the phone otherwise; files have content-hashed URLs, so a stored
 * copy is always the right one. Guest lists and queued scans are the page's business
 * (localStorage), not this worker's.
 */
'use strict';

const CACHE = 'langviet-checkin-v1';
const PAGE = /^\/console\/(checkin|sessions\/\d+\/checkin)$/;
const FILES = /^\/(static|vendor)\//;
const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener('install', () => self.skipWaiting());

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith('langviet-checkin-') && name !== CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

// The page says what to keep (itself and its files), or to forget everything (signing out).
self.addEventListener('message', (event) => {
  const data = event.data || {};
  const port = event.ports && event.ports[0];
  let work;
  if (data.type === 'keep' && Array.isArray(data.pages) && Array.isArray(data.files)) {
    work = keep(data.pages, data.files);
  } else if (data.type === 'forget') {
    work = caches.delete(CACHE);
  } else {
    return;
  }
  event.waitUntil(work.then(() => port && port.postMessage({ok: true}),
                            () => port && port.postMessage({ok: false})));
});

async function keep(pages, files) {
  const cache = await caches.open(CACHE);
  const wanted = new Set(files.map((file) => new URL(file, self.location.origin).href));
  for (const file of wanted) {
    if (!(await cache.match(file))) {
      const response = await fetch(file, {credentials: 'same-origin'});
      if (response.ok) await cache.put(file, response);
    }
  }
  for (const page of pages) {
    const url = new URL(page, self.location.origin);
    const response = await fetch(url.href, {credentials: 'same-origin'});
    if (storable(response)) await cache.put(pageKey(url), response);
  }
  // Older versions of the files (their hash changed) are no longer needed.
  for (const request of await cache.keys()) {
    const url = new URL(request.url);
    if (FILES.test(url.pathname) && !wanted.has(url.href)) await cache.delete(request);
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && PAGE.test(url.pathname)) {
    event.respondWith(page(request, url));
  } else if (FILES.test(url.pathname)) {
    event.respondWith(file(request));
  }
});

// One stored copy per page, whatever its query (?lang=…).
function pageKey(url) {
  return url.origin + url.pathname;
}

function storable(response) {
  // Not a redirect to the sign-in page, not an error page.
  return response.ok && !response.redirected && response.type === 'basic';
}

async function page(request, url) {
  const cache = await caches.open(CACHE);
  const network = fetch(request).then(async (response) => {
    if (storable(response)) {
      await cache.put(pageKey(url), response.clone());
    } else if (response.status === 403 || response.status === 404) {
      await cache.delete(pageKey(url));  // no longer this user's to see
    }
    return response;
  });
  network.catch(() => {});  // answered below, or too late to matter
  const late = new Promise((resolve) => setTimeout(resolve, NETWORK_TIMEOUT_MS));
  try {
    const first = await Promise.race([network, late]);
    if (first) return first;
    // The network is slow: the stored copy now, if there is one; the network otherwise.
    return (await cache.match(pageKey(url))) || await network;
  } catch (error) {
    const stored = await cache.match(pageKey(url));
    if (stored) return stored;
    throw error;
  }
}

async function file(request) {
  const cache = await caches.open(CACHE);
  const stored = await cache.match(request);
  if (stored) return stored;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}
