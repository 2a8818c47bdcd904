/* The check-in scanner: camera and photo scanning (jsQR), the ticket's signature checked on
 * the phone (WebCrypto Ed25519), and an offline queue synced when the connection is back.
 *
 * Every word it shows comes from the page (#checkin-config), already in the user's language.
 * The page works without this script: the form below it admits by booking reference.
 *
 * Kept on the phone (localStorage): the session's guest list (with the ticket codes, so a
 * reference typed offline works, and each guest's products to hand over) and the queue of
 * scans made offline, each with its own id (crypto.randomUUID) so that syncing twice admits
 * nobody twice. "Handed over" is a plain form sent online only: offline, the phone says so.
 *
 * "Undo this check-in" follows each admission: for one the server recorded, it asks the
 * server to take it back (allowed for a few minutes); for one still queued on the phone, it
 * takes the scan off the queue, which is then never sent.
 */
const config = JSON.parse(document.getElementById('checkin-config').textContent);
const M = config.messages;
const $ = (selector) => document.querySelector(selector);
const lang = document.documentElement.lang || undefined;
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (all, name) => (name in values ? String(values[name]) : all));

// --- ticket codes (the format of tourism/tickets/codes.py) -------------------------------

const PREFIX = 'LV1:';
const BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const REFERENCE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
const PAYLOAD_BYTES = 19;
const SIGNATURE_BYTES = 64;
const LONGEST_REFERENCE_ENTRY = 16;  // longer text in the reference field is a code

function base45(text) {
  if (text.length % 3 === 1) return null;
  const out = [];
  for (let i = 0; i < text.length; i += 3) {
    const group = text.slice(i, i + 3);
    let n = 0;
    for (let k = group.length - 1; k >= 0; k -= 1) {
      const value = BASE45.indexOf(group[k]);
      if (value < 0) return null;
      n = n * 45 + value;
    }
    if (group.length === 3) {
      if (n > 0xffff) return null;
      out.push(n >> 8, n & 0xff);
    } else {
      if (n > 0xff) return null;
      out.push(n);
    }
  }
  return new Uint8Array(out);
}

function claimsOf(payload) {
  const view = new DataView(payload.buffer, payload.byteOffset, PAYLOAD_BYTES);
  let packed = 0;
  for (let i = 2; i < 7; i += 1) packed = packed * 256 + payload[i];
  let reference = '';
  for (let k = 7; k >= 0; k -= 1) reference += REFERENCE_ALPHABET[Math.floor(packed / 2 ** (5 * k)) % 32];
  const validFrom = view.getUint32(13) * 60000;
  return {
    keyId: view.getUint16(0), reference, sessionId: view.getUint32(7), party: view.getUint16(11),
    validFrom, validUntil: validFrom + view.getUint16(17) * 60000,
  };
}

const publicKeys = new Map();

async function publicKey(keyId) {
  if (!publicKeys.has(keyId)) {
    const raw = Uint8Array.from(atob(config.keys[String(keyId)]), (c) => c.charCodeAt(0));
    // null: this browser has no Ed25519, or no WebCrypto at all outside HTTPS (the server
    // still checks every scan).
    publicKeys.set(keyId, crypto.subtle
      ? crypto.subtle.importKey('raw', raw, {name: 'Ed25519'}, false, ['verify']).catch(() => null)
      : Promise.resolve(null));
  }
  return publicKeys.get(keyId);
}

/** What a code says, once its signature is checked: {ok, claims, verified} or {ok: false, message}. */
async function readTicket(text) {
  const code = text.trim();
  if (!code.startsWith(PREFIX)) return {ok: false, message: M.notATicket};
  const bytes = base45(code.slice(PREFIX.length));
  if (!bytes || bytes.length !== PAYLOAD_BYTES + SIGNATURE_BYTES) return {ok: false, message: M.damaged};
  const payload = bytes.slice(0, PAYLOAD_BYTES);
  const claims = claimsOf(payload);
  if (!(String(claims.keyId) in config.keys)) return {ok: false, message: M.unknownKey};
  const key = await publicKey(claims.keyId);
  let verified = false;
  if (key) {
    const signed = new Uint8Array(PREFIX.length + PAYLOAD_BYTES);
    signed.set(new TextEncoder().encode(PREFIX));
    signed.set(payload, PREFIX.length);
    verified = await crypto.subtle.verify({name: 'Ed25519'}, key, bytes.slice(PAYLOAD_BYTES), signed);
    if (!verified) return {ok: false, message: M.forged};
  }
  return {ok: true, code, claims, verified};
}

function cleanReference(text) {
  const reference = text.toUpperCase().replace(/[\s.-]/g, '');
  return reference.length === 8 && [...reference].every((c) => REFERENCE_ALPHABET.includes(c)) ? reference : null;
}

const showReference = (reference) => `${reference.slice(0, 4)}-${reference.slice(4)}`;

// randomUUID needs HTTPS; a page opened over plain HTTP (a test phone on the LAN) still scans.
const newScanId = () => (crypto.randomUUID ? crypto.randomUUID()
  : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join(''));

// --- what the phone keeps ----------------------------------------------------------------

const LIST_KEY = `langviet.checkin.guests.${config.sessionId}`;
const LIST_PREFIX = 'langviet.checkin.guests.';
const QUEUE_KEY = 'langviet.checkin.queue';
const LIST_DAYS = 3;

const store = {
  get(key, fallback) {
    try {
      const value = JSON.parse(localStorage.getItem(key));
      return value === null ? fallback : value;
    } catch (error) {
      return fallback;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
      return true;
    } catch (error) {
      return false;  // storage full or refused: the scan is still shown, and answered online
    }
  },
};

let list = store.get(LIST_KEY, null);  // {savedAt, summary, guests: {reference: guest}}
let csrfToken = config.csrfToken;
let selected = null;  // the ticket last read: {code, claims, verified}

const queue = () => store.get(QUEUE_KEY, []);
const here = (entry) => entry.session_id === config.sessionId;
const queuedPeople = (reference) => queue().filter((e) => here(e) && e.reference === reference)
  .reduce((sum, e) => sum + e.people, 0);

/** Who is in so far as this phone knows: the server's count when the list was saved, plus its queue. */
function standing(reference, party) {
  const guest = list && list.guests[reference];
  const admitted = (guest ? guest.admitted : 0) + queuedPeople(reference);
  const total = guest ? guest.party : party;
  return {guest, party: total, admitted, remaining: Math.max(total - admitted, 0)};
}

function forgetOldLists() {
  const cutoff = Date.now() - LIST_DAYS * 86400000;
  for (let i = localStorage.length - 1; i >= 0; i -= 1) {
    const key = localStorage.key(i);
    if (key && key.startsWith(LIST_PREFIX) && key !== LIST_KEY) {
      const saved = store.get(key, null);
      if (!saved || !(Date.parse(saved.savedAt) > cutoff)) localStorage.removeItem(key);
    }
  }
}

// --- showing answers -----------------------------------------------------------------------

const result = $('#checkin-result');
const announcer = $('#checkin-announce');

function announce(text) {
  // Cleared first, so the same words said twice are announced twice.
  announcer.textContent = '';
  setTimeout(() => { announcer.textContent = text; }, 50);
}

function facts(reference, party, admitted, remaining) {
  const guest = list && list.guests[reference];
  const rows = [];
  if (guest) rows.push([M.labelGuest, guest.name]);
  rows.push([M.labelReference, showReference(reference)], [M.labelParty, party]);
  if (guest) rows.push([M.labelTickets, guest.tiers], [M.labelLanguage, guest.language]);
  rows.push([M.labelAdmitted, admitted], [M.labelRemaining, remaining]);
  return rows;
}

/** The guest's products to hand over here, as far as the server (`products`) or the saved
 * list knows: {reference, name, products} or null when there are none. */
function pickupOf(reference, products = null) {
  const guest = list && list.guests[reference];
  const lines = products || (guest && guest.status !== 'cancelled' ? guest.products : null);
  return lines && lines.length ? {reference, name: guest ? guest.name : '', products: lines} : null;
}

function hidden(name, value) {
  const input = document.createElement('input');
  input.type = 'hidden';
  input.name = name;
  input.value = value;
  return input;
}

/** "To hand over:" with the list, and the "Handed over" form (the page's own, built here),
 * or, with no connection, a plain word that it cannot be recorded now. */
function showHandover(pickup) {
  const box = $('#checkin-handover');
  if (!pickup) {
    box.replaceChildren();
    return;
  }
  const heading = document.createElement('p');
  heading.append(Object.assign(document.createElement('strong'), {textContent: M.toHandOver}));
  const items = document.createElement('ul');
  items.className = 'checkin-handover__list';
  items.append(...pickup.products.map((line) => {
    const item = document.createElement('li');
    item.append(Object.assign(document.createElement('strong'), {textContent: line}));
    return item;
  }));
  let action;
  if (navigator.onLine) {
    action = document.createElement('form');
    action.method = 'post';
    action.action = config.urls.handover;
    action.dataset.handover = '';
    const button = Object.assign(document.createElement('button'), {type: 'submit', className: 'button checkin-admit',
                                                                    textContent: M.handedOver});
    if (pickup.name) {
      button.append(Object.assign(document.createElement('span'), {className: 'visually-hidden',
                                                                   textContent: `: ${pickup.name}`}));
    }
    action.append(hidden('csrf_token', csrfToken), hidden('reference', pickup.reference), button);
  } else {
    action = Object.assign(document.createElement('p'), {className: 'notice notice--warning',
                                                         textContent: M.handOverOffline});
  }
  box.replaceChildren(heading, items, action);
}

/** The big answer: colour, icon and words together. kind: ok, queued, warning, refused, info. */
function show(kind, title, lines, rows = [], pickup = null) {
  result.className = `checkin-result checkin-result--${kind}`;
  result.removeAttribute('role');
  const icon = $(`#checkin-icons`).content.querySelector(`[data-kind="${kind}"]`).cloneNode(true);
  $('#checkin-result-icon').replaceChildren(icon);
  $('#checkin-result-title').textContent = title;
  $('#checkin-result-message').replaceChildren(...lines.map((line) => {
    const p = document.createElement('p');
    p.textContent = line;
    return p;
  }));
  $('#checkin-facts').replaceChildren(...rows.map(([label, value]) => {
    const row = document.createElement('div');
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = label;
    dd.textContent = typeof value === 'number' ? value.toLocaleString(lang) : value;
    row.append(dt, dd);
    return row;
  }));
  showHandover(pickup);
  $('#checkin-undo').replaceChildren();  // offered again by whoever shows an admission
  result.hidden = false;
  // On a phone the answer may be out of sight (below the camera, above the form).
  result.scrollIntoView({block: 'nearest'});
  const handing = pickup ? [`${M.toHandOver} ${pickup.products.join(', ')}`] : [];
  announce([title, ...lines, ...handing].join('. '));
}

const refuse = (message, rows) => show('refused', M.titleRefused, [message], rows);

function render() {
  const summary = (list && list.summary) || null;
  if (summary) {
    const waiting = queue().filter(here).reduce((sum, e) => sum + e.people, 0);
    const admitted = Math.min(summary.admitted + waiting, summary.booked);
    $('[data-count="booked"]').textContent = summary.booked.toLocaleString(lang);
    $('[data-count="admitted"]').textContent = admitted.toLocaleString(lang);
    $('[data-count="remaining"]').textContent = Math.max(summary.booked - admitted, 0).toLocaleString(lang);
  }
  if (list) {
    for (const row of document.querySelectorAll('#checkin-guests tr[data-reference]')) {
      const guest = list.guests[row.dataset.reference];
      if (guest) row.querySelector('[data-admitted]').textContent = standing(guest.reference, guest.party).admitted;
    }
  }
  const online = navigator.onLine;
  const state = $('#network-state');
  state.textContent = online ? M.online : M.offline;
  state.className = `checkin-network__state checkin-network__state--${online ? 'online' : 'offline'}`;
  const waiting = queue().length;
  $('#queue-state').textContent = waiting ? fill(M.queued, {count: waiting}) : M.allSynced;
  $('#sync-now').hidden = !(waiting && online);
  const saved = list ? new Date(list.savedAt) : null;
  $('#sign-in-again').hidden = !signedOutNow;
  $('#list-state').textContent = signedOutNow ? M.signedOut : saved
    ? fill(M.listSaved, {time: saved.toLocaleTimeString(lang, {hour: '2-digit', minute: '2-digit'})})
    : M.listMissing;
}

// --- reading a ticket ----------------------------------------------------------------------

const form = $('#checkin-form');
const referenceField = $('#reference');
const peopleField = $('#people');
const admitButton = $('#admit');

/** A code from the camera, a photo or a hardware scanner: check it and show its party. */
async function onCode(text) {
  const ticket = await readTicket(text);
  if (!ticket.ok) return refuse(ticket.message);
  const claims = ticket.claims;
  if (claims.sessionId !== config.sessionId) {
    const other = config.sessions[String(claims.sessionId)];
    return refuse(other ? fill(M.otherSession, {session: other}) : M.notForThisSession);
  }
  const now = Date.now();
  if (now < claims.validFrom || now >= claims.validUntil) return refuse(M.wrongDay);
  const {guest, party, admitted, remaining} = standing(claims.reference, claims.party);
  const rows = facts(claims.reference, party, admitted, remaining);
  if (guest && guest.status === 'cancelled') return refuse(M.cancelled, rows);
  selected = ticket;
  referenceField.value = showReference(claims.reference);
  peopleField.value = remaining > 0 ? String(remaining) : '';
  const notes = [];
  if (!ticket.verified) notes.push(M.noSignatureCheck);
  if (list && !guest) notes.push(M.notOnList);
  if (remaining <= 0) {
    // Everyone is in already, as far as this phone knows: admitted twice?
    show('warning', M.titleCheck, [fill(M.allAdmitted, {count: party}), M.alreadyOnPhone, ...notes], rows,
         pickupOf(claims.reference));
  } else {
    show('info', M.titleTicket, notes, rows, pickupOf(claims.reference));
  }
  admitButton.focus({preventScroll: true});  // Enter admits; the answer above stays in view
  return undefined;
}

// --- admitting -----------------------------------------------------------------------------

let busy = false;

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  if (busy) return;  // one answer at a time: a double tap must not admit twice
  busy = true;
  admitButton.setAttribute('aria-busy', 'true');
  try {
    await submitted();
  } finally {
    busy = false;
    admitButton.removeAttribute('aria-busy');
  }
});

async function submitted() {
  const entry = referenceField.value.trim();
  if (entry.length > LONGEST_REFERENCE_ENTRY) {  // a hardware scanner typed a code
    await onCode(entry);
    return;
  }
  const people = peopleField.value.trim() === '' ? null : Number(peopleField.value);
  if (people !== null && !(Number.isInteger(people) && people >= 1 && people <= 999)) {
    refuse(M.badPeople);
    return;
  }
  const reference = cleanReference(entry);
  let ticket = selected && reference && selected.claims.reference === reference ? selected : null;
  const guest = reference && list && list.guests[reference];
  if (!ticket && guest && guest.code) {
    const read = await readTicket(guest.code);
    if (read.ok) ticket = read;
  }
  await admit(entry, reference, ticket, people, newScanId());
}

async function admit(entry, reference, ticket, people, scanId) {
  if (navigator.onLine) {
    const body = {scan_id: scanId, people};
    if (ticket) body.code = ticket.code;
    else body.reference = entry;
    const answer = await post(config.urls.admit, body);
    if (answer.kind === 'answer') {
      showAnswer(answer.body, ticket);
      return;
    }
    if (answer.kind === 'signedOut') signedOut();
    admitOffline(entry, reference, ticket, people, scanId, answer.kind === 'signedOut' ? M.signedOut : M.serverError);
    return;
  }
  admitOffline(entry, reference, ticket, people, scanId);
}

function showAnswer(body, ticket) {
  if (!body.ok) {
    const reference = ticket ? ticket.claims.reference : null;
    const known = reference ? standing(reference, ticket.claims.party) : null;
    // Everyone is in already: the guest may be back for the products.
    show('refused', M.titleRefused, [body.message],
         known ? facts(reference, known.party, known.admitted, known.remaining) : [],
         known && body.reason === 'all_admitted' ? pickupOf(reference) : null);
    return;
  }
  const guest = list && list.guests[body.reference];
  if (guest) {  // the server's count, as the list holds it (scans still queued are added to it)
    guest.admitted = Math.max(guest.admitted, body.admitted);
    list.summary.admitted += body.admitted_now;
    if (Array.isArray(body.products)) guest.products = body.products;
    store.set(LIST_KEY, list);
  }
  const lines = [fill(M.admittedNow, {count: body.admitted_now})];
  if (body.duplicate) lines.push(M.duplicateScan);
  lines.push(...body.warnings);
  show(body.warnings.length ? 'warning' : 'ok', body.duplicate ? M.titleDuplicate : M.titleAdmitted, lines,
       facts(body.reference, body.party, body.admitted, body.remaining),
       pickupOf(body.reference, Array.isArray(body.products) ? body.products : null));
  if (!body.duplicate && body.admitted_now > 0) {
    offerUndo({scan_id: body.scan_id, reference: body.reference, party: body.party});
  }
  done();
}

/** No connection: the scan waits on the phone; a ticket admitted twice is said so now. */
function admitOffline(entry, reference, ticket, people, scanId, why = null) {
  if (!ticket) {
    const guest = reference && list && list.guests[reference];
    if (guest && guest.status === 'cancelled') refuse(M.cancelled);
    else refuse(list ? fill(M.unknownReference, {reference: entry}) : M.listMissing);
    return;
  }
  const claims = ticket.claims;
  const {guest, party, admitted, remaining} = standing(claims.reference, claims.party);
  if (guest && guest.status === 'cancelled') {
    refuse(M.cancelled);
    return;
  }
  const count = people === null ? remaining : people;
  if (count <= 0) {
    refuse(fill(M.allAdmitted, {count: party}), facts(claims.reference, party, admitted, remaining));
    return;
  }
  const entries = queue();
  entries.push({scan_id: scanId, session_id: config.sessionId, sync: config.urls.sync, code: ticket.code,
                reference: claims.reference, people: count, scanned_at: new Date().toISOString()});
  if (!store.set(QUEUE_KEY, entries)) {
    refuse(M.syncFailed);
    return;
  }
  const excess = count - remaining;
  const lines = [fill(M.admittedNow, {count})];
  if (excess > 0) lines.push(fill(M.offlineDouble, {count: excess}));
  if (!ticket.verified) lines.push(M.noSignatureCheck);
  if (why) lines.push(why);
  show(excess > 0 ? 'warning' : 'queued', M.titleQueued, lines,
       facts(claims.reference, party, admitted + count, Math.max(remaining - count, 0)), pickupOf(claims.reference));
  offerUndo({scan_id: scanId, reference: claims.reference, party});
  done();
}

// --- undoing a check-in --------------------------------------------------------------------

let undoing = false;

/** The "Undo this check-in" button under the answer, for the scan just admitted. */
function offerUndo(scan) {
  const button = Object.assign(document.createElement('button'), {type: 'button', className: 'button button--secondary',
                                                                  textContent: M.undoCheckin});
  button.addEventListener('click', () => undo(scan, button));
  $('#checkin-undo').replaceChildren(button);
}

async function undo(scan, button) {
  if (undoing) return;  // a double tap asks once
  undoing = true;
  button.setAttribute('aria-busy', 'true');
  try {
    // Under the sync's lock: a scan being sent right now has reached the server by then,
    // and is undone there rather than taken off a queue it has already left.
    if (navigator.locks) await navigator.locks.request('langviet-checkin-sync', () => undoScan(scan));
    else await undoScan(scan);
  } finally {
    undoing = false;
    button.removeAttribute('aria-busy');
  }
  render();
  result.focus({preventScroll: true});  // the pressed button is gone: keep the focus on the answer
}

async function undoScan(scan) {
  const entries = queue();
  if (entries.some((e) => e.scan_id === scan.scan_id)) {  // never sent: it simply leaves the queue
    store.set(QUEUE_KEY, entries.filter((e) => e.scan_id !== scan.scan_id));
    const {party, admitted, remaining} = standing(scan.reference, scan.party);
    show('info', M.titleUndone, [M.undoneQueued], facts(scan.reference, party, admitted, remaining));
    return;
  }
  const answer = navigator.onLine ? await post(config.urls.undo, {scan_id: scan.scan_id}) : {kind: 'offline'};
  if (answer.kind !== 'answer') {
    if (answer.kind === 'signedOut') signedOut();
    const why = {offline: M.undoOffline, signedOut: M.signedOut}[answer.kind] || M.undoFailed;
    show('warning', M.titleNotUndone, [why]);
    offerUndo(scan);  // to try again
    return;
  }
  const body = answer.body;
  if (!body.ok) {  // too late, or the booking was cancelled meanwhile
    const known = standing(scan.reference, scan.party);
    show('refused', M.titleNotUndone, [body.message], facts(scan.reference, known.party, known.admitted,
                                                                known.remaining));
    return;
  }
  if (list) {  // the server's counts, now without the undone scan (scans still queued are added to them)
    const guest = list.guests[body.reference];
    if (guest) guest.admitted = body.admitted;
    list.summary = body.summary;
    store.set(LIST_KEY, list);
  }
  show('info', body.already_undone ? M.titleAlreadyUndone : M.titleUndone,
       [body.already_undone ? M.alreadyUndone : fill(M.undoneNow, {count: body.people})],
       facts(body.reference, body.party, body.admitted, body.remaining));
}

function done() {
  selected = null;
  form.reset();
  render();
}

/** POST JSON; {kind: 'answer', body} when the server answered, 'signedOut', or 'network'. */
async function post(url, body, retried = false) {
  let response;
  try {
    response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrfToken},
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15000),
    });
  } catch (error) {
    return {kind: 'network'};
  }
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    data = null;
  }
  if (data && data.reason === 'signed_out') return {kind: 'signedOut'};
  if (data && data.reason === 'csrf' && !retried && await refreshList()) return post(url, body, true);
  if (data && typeof data.ok === 'boolean' && response.status < 500 && data.reason !== 'csrf') {
    return {kind: 'answer', body: data};
  }
  return {kind: 'network'};  // a proxy's error page, a server error: the scan waits on the phone
}

let signedOutNow = false;  // the server said the sign-in expired; scans wait for the next one

function signedOut() {
  signedOutNow = true;
  render();
}

// --- the guest list and syncing ----------------------------------------------------------------

async function refreshList() {
  let response;
  try {
    response = await fetch(config.urls.guests, {
      credentials: 'same-origin', cache: 'no-store', headers: {Accept: 'application/json'},
      signal: AbortSignal.timeout(15000),
    });
  } catch (error) {
    return false;
  }
  const data = await response.json().catch(() => null);
  if (!response.ok || !data || !data.ok) {
    if (data && data.reason === 'signed_out') signedOut();
    return false;
  }
  csrfToken = data.csrfToken;
  list = {savedAt: data.savedAt, summary: data.summary,
          guests: Object.fromEntries(data.guests.map((guest) => [guest.reference, guest]))};
  store.set(LIST_KEY, list);
  signedOutNow = false;
  render();
  return true;
}

let syncing = false;

async function sync() {
  if (syncing || !navigator.onLine || !queue().length) return;
  syncing = true;
  try {
    // One tab at a time sends the queue (it is shared by every tab of this browser).
    if (navigator.locks) await navigator.locks.request('langviet-checkin-sync', sendQueue);
    else await sendQueue();
  } finally {
    syncing = false;
    render();
  }
}

async function sendQueue() {
  const pending = queue();
  if (!pending.length) return;
  $('#queue-state').textContent = M.syncing;
  if (!(await refreshList()) && signedOutNow) return;
  const report = [];
  let sent = 0;
  const byUrl = new Map();
  for (const entry of pending) byUrl.set(entry.sync, [...(byUrl.get(entry.sync) || []), entry]);
  for (const [url, entries] of byUrl) {
    for (let i = 0; i < entries.length; i += 100) {
      const batch = entries.slice(i, i + 100);
      const answer = await post(url, {scans: batch.map(({scan_id, code, people, scanned_at}) => (
        {scan_id, code, people, scanned_at}))});
      if (answer.kind !== 'answer' || !answer.body.ok) {
        if (answer.kind === 'signedOut') signedOut();
        report.push({kind: 'warning', text: answer.kind === 'signedOut' ? M.signedOut : M.syncFailed});
        showReport(report, sent);
        return;
      }
      const answered = new Map(answer.body.results.map((r, k) => [batch[k].scan_id, r]));
      store.set(QUEUE_KEY, queue().filter((e) => !answered.has(e.scan_id)));
      for (const entry of batch) {
        const r = answered.get(entry.scan_id);
        if (!r) continue;
        sent += 1;
        const reference = showReference(entry.reference);
        if (!r.ok) report.push({kind: 'refused', text: fill(M.syncRefused, {reference, message: r.message})});
        for (const message of r.warnings || []) {
          report.push({kind: 'warning', text: fill(M.syncWarning, {reference, message})});
        }
      }
    }
  }
  showReport(report, sent);
  await refreshList();
}

function showReport(items, sent) {
  const box = $('#sync-report');
  const lines = [fill(M.synced, {count: sent}), ...items.map((item) => item.text)];
  box.replaceChildren(...lines.map((text, k) => {
    const p = document.createElement('p');
    if (k > 0) {
      const kind = items[k - 1].kind;
      p.className = `checkin-sync-report__item checkin-sync-report__item--${kind}`;
      p.append($('#checkin-icons').content.querySelector(`[data-kind="${kind}"]`).cloneNode(true));
    }
    p.append(document.createTextNode(text));
    return p;
  }));
  box.hidden = false;
  announce(lines.join('. '));
}

// --- camera and photos ---------------------------------------------------------------------

const canvas = document.createElement('canvas');
const context = canvas.getContext('2d', {willReadFrequently: true});
const video = $('#camera');
const toggle = $('#camera-toggle');
let stream = null;
let timer = null;
let last = {text: '', at: 0};

function decode(source, width, height, size, inversion) {
  const scale = Math.min(1, size / Math.max(width, height));
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  const image = context.getImageData(0, 0, canvas.width, canvas.height);
  const found = window.jsQR(image.data, image.width, image.height, {inversionAttempts: inversion});
  return found && found.data ? found.data : null;
}

function cameraProblem() {
  const message = $('#camera-message');
  message.textContent = M.cameraUnavailable;
  message.hidden = false;
  announce(M.cameraUnavailable);
}

async function startCamera() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    cameraProblem();
    return;
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({audio: false, video: {facingMode: {ideal: 'environment'}}});
  } catch (error) {
    cameraProblem();
    return;
  }
  $('#camera-message').hidden = true;
  video.srcObject = stream;
  $('#camera-view').hidden = false;
  toggle.textContent = M.stopCamera;
  await video.play().catch(() => {});
  look();
}

function look() {
  if (!stream) return;
  if (video.readyState >= 2 && video.videoWidth) {
    const text = decode(video, video.videoWidth, video.videoHeight, 720, 'dontInvert');
    // The same code held in front of the camera is read once, not on every frame, and not
    // again while its party waits to be admitted.
    const waiting = selected && text && selected.code === text.trim();
    if (text && !waiting && (text !== last.text || Date.now() - last.at > 5000)) {
      last = {text, at: Date.now()};
      onCode(text);
    }
  }
  timer = setTimeout(look, 150);
}

function stopCamera() {
  clearTimeout(timer);
  if (stream) stream.getTracks().forEach((track) => track.stop());
  stream = null;
  video.srcObject = null;
  $('#camera-view').hidden = true;
  toggle.textContent = M.startCamera;
}

async function scanPhoto(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (error) {
    bitmap = null;
  }
  let text = null;
  for (const size of [1200, 800, 2000]) {
    if (text || !bitmap) break;
    text = decode(bitmap, bitmap.width, bitmap.height, size, 'attemptBoth');
  }
  if (text) await onCode(text);
  else show('warning', M.titleCheck, [M.noCodeInPhoto]);
}

// --- starting up -----------------------------------------------------------------------------

function keepOffline() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register(config.urls.worker, {scope: config.urls.scope})
    .then(() => navigator.serviceWorker.ready)
    .then((registration) => new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = (event) => resolve(event.data && event.data.ok);
      registration.active.postMessage({type: 'keep', pages: [config.urls.page], files: config.assets},
                                      [channel.port2]);
    }))
    .then((ok) => {
      if (ok) document.documentElement.dataset.offlineReady = 'true';
    })
    .catch(() => {});
}

/** The page's forms that work online only — "Handed over" (the page's, or one built by
 * showHandover) and "Undo" after it: sent with the phone's latest CSRF token; with no
 * connection, not sent at all, and said so. */
function onOnlineForm(event) {
  const sent = event.target;
  if (!(sent instanceof HTMLFormElement)) return;
  const offline = 'handover' in sent.dataset ? M.handOverOffline : 'undo' in sent.dataset ? M.undoOffline : null;
  if (!offline) return;
  if (!navigator.onLine) {
    event.preventDefault();
    const note = Object.assign(document.createElement('p'), {className: 'notice notice--warning',
                                                             textContent: offline});
    note.setAttribute('role', 'alert');
    sent.replaceWith(note);
    return;
  }
  sent.elements.csrf_token.value = csrfToken;
}

function start() {
  $('#checkin-network').hidden = false;
  document.addEventListener('submit', onOnlineForm);
  $('#sync-now').addEventListener('click', () => sync());
  if (typeof window.jsQR === 'function') {
    $('#checkin-scanner').hidden = false;
    toggle.addEventListener('click', () => (stream ? stopCamera() : startCamera()));
    $('#photo').addEventListener('change', (event) => {
      const file = event.target.files[0];
      if (file) scanPhoto(file).finally(() => { event.target.value = ''; });
    });
    document.addEventListener('visibilitychange', () => { if (document.hidden) stopCamera(); });
  }
  // Signing out takes the guests' details off this phone; scans not yet synced stay.
  const signOut = document.querySelector(`form[action="${config.urls.signOut}"]`);
  if (signOut) {
    signOut.addEventListener('submit', () => {
      for (let i = localStorage.length - 1; i >= 0; i -= 1) {
        const key = localStorage.key(i);
        if (key && key.startsWith(LIST_PREFIX)) localStorage.removeItem(key);
      }
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage({type: 'forget'});
      }
    });
  }
  window.addEventListener('online', () => { render(); sync(); });
  window.addEventListener('offline', render);
  setInterval(() => {
    if (!navigator.onLine) return;
    if (queue().length) sync();
    else refreshList();
  }, 60000);
  forgetOldLists();
  render();
  if (navigator.onLine) refreshList().then(sync);
  keepOffline();
}

start();
