// The inspector's outbox: inspections recorded with no signal wait here, in the browser's
// IndexedDB, until the network returns, and are then sent once each. Every item carries the
// request id the page gave it (and each photo one of its own): the server records a repeated
// id as the same inspection, so a retry after a lost answer never records a second one.
// Kept across sign-out and an expired session: items wait ("sign_in") until the inspector
// signs in again. Each item is sent only by the account that recorded it (the server is asked
// who is signed in before a round): signed in as someone else on the same phone, it waits
// ("other_user") for its recorder. Also registers the service worker that keeps the field pages for offline use.
"use strict";
(() => {
  const DB = "nrmm-outbox";
  const STORE = "items";
  let opening = null;

  function db() {
    if (!opening) {
      opening = new Promise((resolve, reject) => {
        const req = indexedDB.open(DB, 1);
        req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => { opening = null; reject(req.error); };
      });
    }
    return opening;
  }

  async function run(mode, work) {
    const conn = await db();
    return new Promise((resolve, reject) => {
      const tx = conn.transaction(STORE, mode);
      const store = tx.objectStore(STORE);
      let result;
      Promise.resolve(work(store)).then((r) => { result = r; }, reject);
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  const request = (req) => new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const all = () => run("readonly", (s) => request(s.getAll()));
  const get = (id) => run("readonly", (s) => request(s.get(id)));
  const put = (item) => run("readwrite", (s) => request(s.put(item)));

  function newId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function photosOf(files) {
    return [...(files || [])].map((f) => ({ request_id: newId(), blob: f, name: f.name || "photo", sent: false }));
  }

  function changed() {
    window.dispatchEvent(new Event("nrmm-outbox"));
  }

  // An inspection recorded on the phone: `entry` is the page's JSON ({id, input, code, site,
  // phone_verdict}); `files` the photos chosen for it.
  async function add(entry, files) {
    const item = JSON.parse(entry);
    const existing = await get(item.id);
    if (!existing) {
      item.kind = "inspection";
      item.state = "waiting";
      item.created = Date.now();
      item.photos = photosOf(files);
      await put(item);
    }
    changed();
    sync();
  }

  // Photos chosen on the form of an inspection the server has already recorded, by `recorder`
  // (the signed-in account's id; `recorderName` its name).
  async function addPhotos(inspectionId, files, recorder, recorderName) {
    const photos = photosOf(files);
    if (!photos.length) return;
    const item = { id: newId(), kind: "photos", state: "waiting", created: Date.now(), inspection_id: inspectionId, photos };
    item.recorder = recorder || null;
    item.recorder_name = recorderName || null;
    await put(item);
    changed();
    sync();
  }

  function summary(item) {
    const photos = item.photos || [];
    return {
      id: item.id,
      state: item.state,
      created: item.created,
      code: item.code || null,
      site: item.site || null,
      phone_verdict: item.phone_verdict || null,
      server_verdict: item.server_verdict || null,
      inspection_id: item.inspection_id || null,
      recorder_name: item.recorder_name || null,
      cases: item.cases || 0,
      photos: photos.length,
      photos_left: photos.filter((p) => !p.sent && !p.refused).length,
      photos_refused: photos.filter((p) => p.refused).map((p) => `${p.name}: ${p.refused}`),
      error: item.error || null,
    };
  }

  async function list() {
    const items = await all();
    items.sort((a, b) => a.created - b.created);
    return JSON.stringify(items.map(summary));
  }

  async function remove(id) {
    await run("readwrite", (s) => request(s.delete(id)));
    changed();
  }

  // The server's reason for a refusal: its sentence and each field's (API.md's error body).
  async function problem(res) {
    try {
      const { error } = await res.json();
      const fields = Object.entries(error.fields || {}).map(([name, msgs]) => `${name}: ${[].concat(msgs).join("; ")}`);
      return [error.message || error.code || String(res.status), ...fields].join(" · ");
    } catch (_) {
      return String(res.status);
    }
  }

  // What a refusal means for the item: stop and wait (network, server trouble), wait for a
  // sign-in, or refused for good.
  function outcome(res) {
    if (res.status === 401) return "sign_in";
    if (res.status >= 500 || res.status === 429 || res.status === 408) return "waiting";
    return "refused";
  }

  const json = { "Accept": "application/json" };

  // Posts one request of an item: the answer when it is a success, else `null` with the item's
  // new state stored (waiting when the network failed).
  async function post(item, url, headers, body) {
    let res;
    try {
      res = await fetch(url, { method: "POST", credentials: "same-origin", headers: { ...json, ...headers }, body });
    } catch (_) {
      item.state = "waiting";
      await put(item);
      return null;
    }
    if (!res.ok) {
      item.state = outcome(res);
      item.error = item.state === "refused" ? await problem(res) : null;
      await put(item);
      return null;
    }
    return res;
  }

  // Sends one item; returns false when sending should stop for now (offline, signed out).
  async function send(item) {
    if (item.kind === "inspection" && !item.inspection_id) {
      item.state = "sending";
      await put(item);
      changed();
      const res = await post(item, "/api/v1/inspections", { "Content-Type": "application/json" }, JSON.stringify(item.input));
      if (!res) return item.state === "refused";
      const ins = await res.json();
      item.inspection_id = ins.id;
      item.server_verdict = ins.verdict;
      item.cases = (ins.opened_cases || []).length;
      item.error = null;
      await put(item);
    }
    for (const photo of item.photos || []) {
      if (photo.sent || photo.refused) continue;
      const form = new FormData();
      form.append("request_id", photo.request_id);
      form.append("file", photo.blob, photo.name);
      const res = await post(item, `/api/v1/inspections/${item.inspection_id}/photos`, {}, form);
      if (!res && item.state !== "refused") return false;
      if (!res) {
        // A photo refused for good (too large, not an image): the inspection stands, the photo
        // is set aside with the server's reason, and the others still go.
        photo.refused = item.error;
        item.state = "sending";
        item.error = null;
      } else {
        photo.sent = true;
      }
      photo.blob = null;
      await put(item);
    }
    item.state = "sent";
    item.error = null;
    await put(item);
    return true;
  }

  let syncing = null;
  let again = false;

  // The account the server sends as now (asked, not read off the page: a page kept for
  // offline use may name an account that is no longer the one signed in). `undefined` when
  // the server could not be asked.
  async function signedInAs() {
    try {
      const res = await fetch("/api/v1/auth/me", { credentials: "same-origin", headers: json });
      if (res.status === 401) return null;
      if (!res.ok) return undefined;
      return (await res.json()).id || null;
    } catch (_) {
      return undefined;
    }
  }

  // Sends what waits, oldest first, one at a time; a call while sending is followed by a new
  // round (a sign-in on the page, say).
  function sync() {
    if (syncing) {
      again = true;
      return syncing;
    }
    syncing = (async () => {
      if (!navigator.onLine) return;
      const items = (await all()).filter((i) => i.state !== "sent" && i.state !== "refused");
      if (!items.length) return;
      items.sort((a, b) => a.created - b.created);
      const me = await signedInAs();
      if (me === undefined) return;
      for (const item of items) {
        if (item.recorder && item.recorder !== me) {
          // Only its recorder sends it: the inspection is theirs, not the next account's.
          const state = me ? "other_user" : "sign_in";
          if (item.state !== state) {
            item.state = state;
            await put(item);
            changed();
          }
          continue;
        }
        const go_on = await send(item);
        changed();
        if (!go_on) break;
      }
    })().catch(() => {}).finally(() => {
      syncing = null;
      changed();
      if (again) {
        again = false;
        sync();
      }
    });
    return syncing;
  }

  window.nrmmOutbox = { add, addPhotos, list, remove, sync };
  window.addEventListener("online", () => sync());
  // A page load is a chance to send (after a sign-in, or the network came back meanwhile).
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => sync());
  } else {
    sync();
  }
  // The service worker is registered once the page has hydrated: its first install fetches
  // the field pages' files, which must not compete with the page's own on a weak signal.
  if ("serviceWorker" in navigator) {
    let tries = 0;
    const register = () => {
      if (document.documentElement.dataset.hydrated === "true" || ++tries > 60) {
        navigator.serviceWorker.register("/sw.js").catch(() => {});
      } else {
        setTimeout(register, 500);
      }
    };
    window.addEventListener("load", register);
  }
})();
