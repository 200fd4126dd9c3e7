#!/usr/bin/env python3
"""The inspector's phone, measured: headless Chromium at 360 x 740 on emulated Fast 3G
(1.6 Mbit/s down, 750 kbit/s up, 150 ms latency) with the CPU slowed 4x, signed in as an
inspector, opens /field (and /login) with an empty cache; prints the bytes transferred (all,
and WASM) and the time until the page is hydrated, i.e. usable. Run by scripts/bench-phone.sh,
which starts the release server and chromedriver; standard library only (WebDriver over HTTP,
DevTools commands through chromedriver's goog/cdp/execute)."""

import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request

DRIVER = os.environ.get("DRIVER", "http://127.0.0.1:9515")
BASE = os.environ["BASE"]
RUNS = int(os.environ.get("RUNS", "5"))
USER = os.environ.get("BENCH_USER", "xiaodian.inspector")
PASSWORD = os.environ.get("BENCH_PASSWORD", "nrmm-demo-2026")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(DRIVER + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=300) as resp:
        return json.loads(resp.read() or b"null").get("value")


class Session:
    def __init__(self):
        self.profile = tempfile.TemporaryDirectory()
        args = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", f"--user-data-dir={self.profile.name}"]
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": CHROMIUM, "args": args,
            "mobileEmulation": {"deviceMetrics": {"width": 360, "height": 740, "pixelRatio": 2}}}}}}
        self.id = call("POST", "/session", caps)["sessionId"]

    def cdp(self, cmd, params=None):
        return call("POST", f"/session/{self.id}/goog/cdp/execute", {"cmd": cmd, "params": params or {}})

    def goto(self, url):
        call("POST", f"/session/{self.id}/url", {"url": url})

    def js(self, script):
        return call("POST", f"/session/{self.id}/execute/sync", {"script": script, "args": []})

    def close(self):
        call("DELETE", f"/session/{self.id}")
        self.profile.cleanup()


# Set before any of the page's scripts run (and before <html> exists, hence the whole document is
# watched): the moment the WASM marks the page hydrated.
WATCH = """
new MutationObserver((_, obs) => {
  if (document.documentElement.dataset.hydrated === 'true' && window.__hydratedAt === undefined) {
    window.__hydratedAt = performance.now(); obs.disconnect();
  }
}).observe(document, { attributes: true, subtree: true, attributeFilter: ['data-hydrated'] });
"""

TRANSFER = """
const nav = performance.getEntriesByType('navigation')[0];
const res = performance.getEntriesByType('resource');
const wasm = res.filter(r => r.name.split('?')[0].endsWith('.wasm'));
return { total: nav.transferSize + res.reduce((a, r) => a + r.transferSize, 0),
         wasm: wasm.reduce((a, r) => a + r.transferSize, 0), files: wasm.length,
         hydrated: window.__hydratedAt, html_ms: nav.responseEnd };
"""


def sign_in(s):
    s.goto(BASE + "/login")
    s.js(f"""
      fetch('/api/v1/auth/login', {{method: 'POST', headers: {{'content-type': 'application/json'}},
        body: JSON.stringify({{username: {json.dumps(USER)}, password: {json.dumps(PASSWORD)}}})}});
      return true""")
    for _ in range(100):
        if "nrmm_session" in json.dumps(call("GET", f"/session/{s.id}/cookie")):
            return
        time.sleep(0.1)
    sys.exit("could not sign in")


def measure(s, path, worker=False):
    """One load of `path` with an empty HTTP cache; without `worker` bypassing the service worker
    (a first visit), else served by the one an earlier visit installed (a repeat visit)."""
    s.cdp("Network.enable")
    s.cdp("Network.clearBrowserCache")
    # A first visit: requests bypass the service worker an earlier run installed.
    s.cdp("Network.setBypassServiceWorker", {"bypass": not worker})
    s.cdp("Network.emulateNetworkConditions", {"offline": False, "latency": 150,
          "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8})
    s.cdp("Emulation.setCPUThrottlingRate", {"rate": 4})
    s.goto(BASE + path)
    deadline = time.time() + 120
    while time.time() < deadline:
        out = s.js(TRANSFER)
        if out["hydrated"] is not None:
            break
        time.sleep(0.2)
    else:
        sys.exit(f"{path} never hydrated")
    s.cdp("Emulation.setCPUThrottlingRate", {"rate": 1})
    s.cdp("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
          "downloadThroughput": -1, "uploadThroughput": -1})
    return out


WORKER_READY = "return Boolean(navigator.serviceWorker && navigator.serviceWorker.controller)"


def report(label, runs):
    ms = [r["hydrated"] for r in runs]
    kb = [r["total"] / 1000 for r in runs]
    wasm = [r["wasm"] / 1000 for r in runs]
    print(f"{label} usable after {statistics.median(ms) / 1000:.2f} s (median of {len(runs)}: "
          + ", ".join(f"{m / 1000:.2f}" for m in ms) + f"); transferred {statistics.median(kb):.0f} kB"
          + f", of which WASM {statistics.median(wasm):.0f} kB in {runs[0]['files']} files")


def chunk_table(pkg):
    """Each page's WASM on its first load: the main module and the page's chunks (gzip, Brotli)."""
    assets = json.load(open(os.path.join(pkg, "assets.json")))
    size = lambda name, ext: os.path.getsize(os.path.join(pkg, name + ext))
    main_gz, main_br = size(assets["wasm"], ".gz"), size(assets["wasm"], ".br")
    js_gz = size(assets["js"], ".gz") + size(assets["split_js"], ".gz")
    print(f"main module {main_gz / 1000:.0f} kB gzip / {main_br / 1000:.0f} kB Brotli; JS glue and loader {js_gz / 1000:.0f} kB gzip")
    print(f"{'split point':44} {'its chunks gzip':>16} {'main + these gzip':>18} {'Brotli':>8}")
    for point, chunks in sorted(assets["split_manifest"].items()):
        gz = sum(size(c + ".wasm", ".gz") for c in chunks)
        br = sum(size(c + ".wasm", ".br") for c in chunks)
        name = point.rsplit("_", 1)[0]
        print(f"{name:44} {gz / 1000:>13.0f} kB {(main_gz + gz) / 1000:>13.0f} kB {(main_br + br) / 1000:>5.0f} kB")


def main():
    if os.environ.get("PKG"):
        chunk_table(os.environ["PKG"])
    s = Session()
    try:
        s.cdp("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH})
        results = {}
        for path, signed_in in (("/login", False), ("/field", True)):
            if signed_in:
                sign_in(s)
            runs = [measure(s, path) for _ in range(RUNS)]
            results[path] = runs
            report(path, runs)
        # A repeat visit of /field: the service worker the last visit installed serves the shell
        # and the bundle from its cache (it is registered once a page has hydrated, then installs).
        s.cdp("Network.setBypassServiceWorker", {"bypass": False})
        s.goto(BASE + "/field")
        deadline = time.time() + 60
        while not s.js(WORKER_READY):
            if time.time() > deadline:
                sys.exit("the service worker never took control of /field")
            time.sleep(0.5)
        report("/field, repeat visit (service worker)", [measure(s, "/field", worker=True) for _ in range(RUNS)])
    finally:
        s.close()


if __name__ == "__main__":
    main()
