// The service worker that keeps the field pages working with no network once visited. The
// server prepends `VERSION` (the build's bundle name) and `PRECACHE` (the shell's files and
// the field pages' chunks): a new build is a new worker, which caches its own files and drops
// the old build's on activation.
"use strict";
const CACHE = `nrmm-${VERSION}`;
// Pages kept for offline use, by path: the look-up and the inspection form (bare: without a
// question, so they hydrate as they were rendered), and each one visited, by its address.
const PAGES = ["/field", "/field/inspect"];
const KEPT = (path) => PAGES.includes(path) || path.startsWith("/v/");

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(PRECACHE);
    await Promise.all(PAGES.map((p) => keepPage(cache, p)));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith("nrmm-") && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

// Whether a page was rendered for a signed-in user (the header names them): only such pages
// are kept, so a phone offline never shows a signed-out form or another user's page.
async function signedIn(res) {
  return (await res.clone().text()).includes('data-testid="current-user"');
}

// Fetches a bare field page for the cache.
async function keepPage(cache, path) {
  try {
    const res = await fetch(path, { credentials: "same-origin", redirect: "manual" });
    if (res.ok && res.type === "basic" && (await signedIn(res))) await cache.put(path, res);
  } catch (_) {
    // offline while installing: the pages are kept on the next visit
  }
}

// The bare pages not kept yet (the worker was installed before the sign-in, say).
async function keepMissing(cache) {
  for (const path of PAGES) {
    if (!(await cache.match(path))) await keepPage(cache, path);
  }
}

async function dropPages(cache) {
  for (const req of await cache.keys()) {
    if (KEPT(new URL(req.url).pathname)) await cache.delete(req);
  }
}

function offlinePage() {
  const html = "<!DOCTYPE html><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
    "<title>离线 · Offline</title><p style='font:16px system-ui;padding:1rem'>" +
    "没有网络，此页面尚未离线保存。<a href='/field'>现场核查</a><br>" +
    "No network, and this page was not kept for offline use. <a href='/field'>Field check</a></p>";
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/pkg/")) {
    // Named by content: a cached copy is the file.
    event.respondWith((async () => {
      const cache = await caches.open(CACHE);
      const hit = await cache.match(req);
      if (hit) return hit;
      const res = await fetch(req);
      if (res.ok) cache.put(req, res.clone());
      return res;
    })());
    return;
  }
  if (url.pathname === "/outbox.js" || url.pathname === "/favicon.svg") {
    event.respondWith((async () => {
      const cache = await caches.open(CACHE);
      try {
        const res = await fetch(req);
        if (res.ok) cache.put(req, res.clone());
        return res;
      } catch (e) {
        return (await cache.match(req)) || Promise.reject(e);
      }
    })());
    return;
  }
  if (req.mode === "navigate" && KEPT(url.pathname)) {
    // The network first (the page as it is now), the kept copy when there is none.
    event.respondWith((async () => {
      const cache = await caches.open(CACHE);
      try {
        const res = await fetch(req);
        if (res.ok && !res.redirected && (await signedIn(res))) {
          await cache.put(req, res.clone());
          event.waitUntil(keepMissing(cache));
        } else if (res.ok) {
          // Signed out: the pages kept for the last user go (the outbox stays).
          event.waitUntil(dropPages(cache));
        }
        return res;
      } catch (_) {
        const exact = await cache.match(req);
        if (exact) return exact;
        // Another question than any kept: the bare page, at its own address (a page rendered
        // for one question must not hydrate under another).
        const path = PAGES.includes(url.pathname) ? url.pathname : "/field";
        if (await cache.match(path)) return Response.redirect(path, 302);
        return offlinePage();
      }
    })());
  }
});
