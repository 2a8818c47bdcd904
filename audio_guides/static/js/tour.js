// "Save this tour for offline use": shows the size first, then stores every page, picture
// and recording of the tour in the chosen language (the Cache API), with a progress bar.
// The service worker (/g/sw.js) answers from what is stored here when there is no signal.
// Every text it shows comes from the page (#offline-config), already translated.
const config = JSON.parse(document.getElementById('offline-config').textContent);
const section = document.getElementById('offline');
const select = document.getElementById('offline-lang');
const sizeLine = document.getElementById('offline-size');
const saveButton = document.getElementById('offline-save');
const removeButton = document.getElementById('offline-remove');
const progressBox = section.querySelector('.offline__progress');
const progress = document.getElementById('offline-progress');
const statusLine = document.getElementById('offline-status');
const messages = config.messages;
const locale = document.documentElement.lang;
// Stored last, so its presence means the whole tour is on the phone (and in which language).
const MARKER = new URL(config.manifest, location.origin).href;
let manifest = null;  // the offline.json of the language chosen
let busy = false;

function fill(template, values) {
  return template.replace(/\$\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
}

function size(bytes) {
  const [value, unit] = bytes >= 1e6 ? [bytes / 1e6, 'megabyte'] : [Math.max(bytes / 1e3, 1), 'kilobyte'];
  return new Intl.NumberFormat(locale, {style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1})
    .format(value);
}

async function loadManifest() {
  const url = `${config.manifest}?lang=${encodeURIComponent(select.value)}`;
  // No cookies: asking for another language here must not change the visitor's own choice.
  const response = await fetch(url, {credentials: 'omit', cache: 'no-store'});
  if (!response.ok) throw new Error(`offline.json: ${response.status}`);
  return response.json();
}

async function showSize() {
  manifest = null;
  sizeLine.textContent = messages.checking;
  try {
    manifest = await loadManifest();
    sizeLine.textContent = fill(messages.size, {size: size(manifest.total_bytes), count: manifest.files.length});
  } catch (error) {
    sizeLine.textContent = messages.sizeFailed;
  }
}

async function savedState() {
  if (!(await caches.has(config.cache))) return null;
  const marker = await (await caches.open(config.cache)).match(MARKER);
  return marker ? marker.json() : null;
}

function showSaved(saved) {
  removeButton.hidden = !saved;
  if (saved) {
    statusLine.textContent = fill(messages.saved, {language: saved.language});
    document.documentElement.dataset.tourSaved = saved.lang;
  } else {
    delete document.documentElement.dataset.tourSaved;
  }
}

function activated(registration) {
  return new Promise((resolve) => {
    const worker = registration.installing || registration.waiting || registration.active;
    if (!worker || worker.state === 'activated') {
      resolve();
      return;
    }
    worker.addEventListener('statechange', () => {
      if (worker.state === 'activated') resolve();
    });
  });
}

async function registerWorker() {
  // One worker script, registered for the stop pages (/g/) and the tour pages (/tours/).
  const registrations = await Promise.all(
    config.scopes.map((scope) => navigator.serviceWorker.register(config.worker, {scope})));
  await Promise.all(registrations.map(activated));
}

// The body of `response`, counting bytes as they arrive.
async function read(response, onBytes) {
  const reader = response.body.getReader();
  const chunks = [];
  for (;;) {
    const {done, value} = await reader.read();
    if (done) break;
    chunks.push(value);
    onBytes(value.byteLength);
  }
  return new Blob(chunks, {type: response.headers.get('Content-Type') || ''});
}

function storedCopy(response, body) {
  const headers = new Headers(response.headers);
  // The body is stored decoded: its length is the blob's, and nothing is left to decode.
  headers.delete('Content-Encoding');
  headers.set('Content-Length', String(body.size));
  return new Response(body, {status: 200, statusText: 'OK', headers});
}

async function save() {
  if (busy) return;
  busy = true;
  saveButton.disabled = true;
  removeButton.hidden = true;
  try {
    if (!manifest || manifest.lang !== select.value) manifest = await loadManifest();
    await registerWorker();
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(() => {});
    const cache = await caches.open(manifest.cache);
    await cache.delete(MARKER);
    const total = Math.max(manifest.total_bytes, 1);
    let done = 0;
    let announced = -1;
    const update = (bytes) => {
      const percent = Math.min(100, Math.floor((bytes / total) * 100));
      progress.value = percent;
      if (Math.floor(percent / 10) !== announced) {  // the status is read out every 10%, not every chunk
        announced = Math.floor(percent / 10);
        statusLine.textContent = fill(messages.progress, {done: size(bytes), total: size(total)});
      }
    };
    progress.value = 0;
    progressBox.hidden = false;
    document.documentElement.dataset.tourSaving = '';
    update(0);
    const keys = new Set();
    for (const file of manifest.files) {
      const key = new URL(file.key || file.url, location.origin).href;
      keys.add(key);
      // Files are named by their content: one stored already is the right one. Pages are fetched again.
      if (file.kind !== 'page' && await cache.match(key)) {
        done += file.bytes;
        update(done);
        continue;
      }
      const response = await fetch(file.url, {credentials: 'omit'});
      if (!response.ok || response.redirected) throw new Error(`${file.url}: ${response.status}`);
      let received = 0;
      const body = await read(response, (bytes) => {
        received += bytes;
        update(done + Math.min(received, file.bytes));
      });
      await cache.put(key, storedCopy(response, body));
      done += file.bytes;
      update(done);
    }
    for (const request of await cache.keys()) {  // what an earlier save (another language) left
      if (!keys.has(request.url)) await cache.delete(request);
    }
    const saved = {lang: manifest.lang, language: manifest.language, bytes: manifest.total_bytes,
                   saved_at: new Date().toISOString()};
    await cache.put(MARKER, new Response(JSON.stringify(saved), {headers: {'Content-Type': 'application/json'}}));
    progress.value = 100;
    showSaved(saved);
  } catch (error) {
    statusLine.textContent = error && error.name === 'QuotaExceededError' ? messages.noSpace : messages.failed;
  } finally {
    delete document.documentElement.dataset.tourSaving;
    busy = false;
    saveButton.disabled = false;
  }
}

async function remove() {
  await caches.delete(config.cache);
  progressBox.hidden = true;
  showSaved(null);
  statusLine.textContent = messages.removed;
  // No tour left on the phone: the worker has nothing to answer with.
  const left = (await caches.keys()).filter((name) => name.startsWith('langviet-tour-'));
  if (!left.length) {
    for (const registration of await navigator.serviceWorker.getRegistrations()) {
      const scope = new URL(registration.scope).pathname;
      if (config.scopes.includes(scope)) await registration.unregister();
    }
  }
}

async function start() {
  if (!('serviceWorker' in navigator && 'caches' in window && window.ReadableStream)) {
    section.querySelector('[data-offline-unsupported]').hidden = false;
    return;
  }
  section.querySelector('[data-offline-controls]').hidden = false;
  const saved = await savedState();
  if (saved && [...select.options].some((option) => option.value === saved.lang)) select.value = saved.lang;
  showSaved(saved);
  if (!saved) {
    const incomplete = await caches.has(config.cache);
    if (incomplete) statusLine.textContent = messages.incomplete;
  }
  select.addEventListener('change', showSize);
  saveButton.addEventListener('click', save);
  removeButton.addEventListener('click', remove);
  if (saved && !navigator.onLine) return;  // nothing to check the size with; it is saved already
  await showSize();
}

start();
