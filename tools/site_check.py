"""Open every page of the built docs site in a real headless browser and check what a reader would see.

    python tools/site_check.py [SITE]             SITE defaults to _docs (built by `python tools/book.py docs`)
    python tools/site_check.py --selftest [SITE]  plant one fault per page in a copy of SITE; each must be caught

The site is served on 127.0.0.1 by a server this script starts; Chromium (Debian's `chromium` package) is driven
by Playwright, which uses no browser of its own here. For each page: wait until MathJax has typeset it, the fonts it
asked for are loaded and no request is in flight, then count the math elements MyST wrote and the ones MathJax
rendered, and look for TeX left visible as text. Failing: any request that fails or gets an HTTP error, any request
for another host (aborted, never sent), a script error, a TeX error, a font that did not load, a math element left
unrendered, raw TeX in the text. Prints one row per page.
"""
from __future__ import annotations

import argparse, functools, http.server, re, shutil, sys, tempfile, threading, time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGE_TIMEOUT_S = 30            # a page loads, typesets and goes quiet within this (about 5 s on 2 busy cores)

# TeX that a reader should never see as text: the delimiters MathJax looks for, environments, common macros,
# and $...$ around something that is not a price.
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{|\\end\{|\\(?:frac|mathrm|mathbf|sum|int|odot|cdot|alpha|"
                     r"lambda|Delta|left|right)\b|(?<![\w$])\$(?=[^\s$\d])[^$\n]{1,200}(?<=\S)\$(?![\w$])")

# What the page holds once it is done: math elements (MyST marks them with class "math"), how many carry a rendered
# MathJax container, TeX errors, fonts that failed, and the visible text outside code, scripts and rendered math.
INSPECT = r"""() => {
  const math = [...document.querySelectorAll('.math')];
  const rendered = math.filter(e => e.querySelector('mjx-container')).length;
  const errors = [...document.querySelectorAll('mjx-merror')].map(e => e.getAttribute('data-mjx-error') || 'error');
  const skip = 'PRE, CODE, SCRIPT, STYLE, TEXTAREA, NOSCRIPT, MJX-CONTAINER, TEMPLATE';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(skip)) continue;
    const m = el.closest('.math');
    if (m && m.querySelector('mjx-container')) continue;
    texts.push(n.nodeValue);
  }
  const badFonts = [...document.fonts].filter(f => f.status === 'error').map(f => f.family);
  return {math: math.length, rendered, errors, text: texts.join(' '), badFonts,
          version: (window.MathJax && window.MathJax.version) || null};
}"""
TYPESET = ("() => window.MathJax && MathJax.startup && MathJax.startup.promise"
           " && MathJax.startup.promise.then(() => document.fonts.ready).then(() => true)")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args): pass


def serve(site: Path):
    "A static server for `site` on a free port of 127.0.0.1, in a daemon thread."
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def pages(site: Path) -> list[Path]:
    "Every HTML page of the site (its top folder: the chapters, the API and index pages), the front page first."
    return sorted(site.glob("*.html"), key=lambda p: (p.stem != "index", p.stem))


def raw_tex(text: str) -> list[str]:
    "The pieces of visible text that look like TeX nobody typeset."
    return sorted({m.group(0)[:60] for m in RAW_TEX.finditer(text)})


def check_page(context, base: str, page: str, outside: list, timeout_s: float = PAGE_TIMEOUT_S) -> dict:
    "Load one page, wait for its math, fonts and requests to settle; return what it shows and what went wrong."
    failed, script_errors, pending, notes = [], [], set(), []
    local = urlsplit(base).netloc
    pg = context.new_page()
    pg.on("request", lambda r: pending.add(r))
    pg.on("requestfinished", lambda r: pending.discard(r))
    pg.on("requestfailed", lambda r: (pending.discard(r), urlsplit(r.url).netloc == local
                                      and failed.append(f"{r.url} ({r.failure})")))
    pg.on("response", lambda r: r.status >= 400 and failed.append(f"{r.url} (HTTP {r.status})"))
    pg.on("pageerror", lambda e: script_errors.append(str(e).splitlines()[0]))
    del outside[:]                   # the context's route handler records requests for other hosts here
    pg.goto(f"{base}/{page}", wait_until="load", timeout=timeout_s * 1000)
    if pg.evaluate("() => document.querySelector('.math') !== null"):
        try:
            pg.wait_for_function(TYPESET, timeout=timeout_s * 1000)
        except Exception as e:       # playwright's TimeoutError: reported as a problem of the page, not a crash
            notes.append(f"MathJax did not finish typesetting in {timeout_s:.0f} s ({type(e).__name__})")
    pg.evaluate("() => document.fonts.ready.then(() => true)")
    deadline, quiet_since = time.time() + timeout_s, None
    while time.time() < deadline:    # settled: nothing in flight for half a second
        if pending: quiet_since = None
        elif quiet_since is None: quiet_since = time.time()
        elif time.time() - quiet_since > 0.5: break
        pg.wait_for_timeout(100)
    else:
        notes.append(f"requests still in flight after {timeout_s:.0f} s: {sorted(r.url for r in pending)[:3]}")
    seen = pg.evaluate(INSPECT)
    pg.close()
    return dict(page=page, failed=failed, outside=list(outside), script_errors=script_errors, notes=notes,
                raw=raw_tex(seen.pop("text")), **seen)


def problems_of(r: dict) -> list[str]:
    "What is wrong with one page, in words; empty when nothing is."
    out = [f"failed request: {u}" for u in r["failed"]] + [f"request leaving localhost: {u}" for u in r["outside"]]
    out += [f"script error: {e}" for e in r["script_errors"]] + [f"TeX error: {e}" for e in r["errors"]]
    out += [f"font failed to load: {f}" for f in r["badFonts"]] + r["notes"]
    if r["rendered"] != r["math"]: out.append(f"{r['math'] - r['rendered']} of {r['math']} math elements not rendered")
    out += [f"raw TeX in the text: {t!r}" for t in r["raw"]]
    return out


def browse(site: Path, names: list[str], timeout_s: float = PAGE_TIMEOUT_S) -> list[dict]:
    "Serve `site` on 127.0.0.1 and check each named page in one headless Chromium."
    from playwright.sync_api import sync_playwright
    server = serve(site)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    outside, results = [], []

    def route(r):                    # every request of the browser passes here: only the local server is reached
        if urlsplit(r.request.url).netloc == urlsplit(base).netloc: r.continue_()
        else:
            outside.append(r.request.url)
            r.abort("blockedbyclient")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context(service_workers="block")
            context.route("**/*", route)
            results = [check_page(context, base, name, outside, timeout_s) for name in names]
            browser.close()
    finally:
        server.shutdown()
    return results


def report(results: list[dict]) -> int:
    "Print the table; the number of pages with problems."
    bad = 0
    print(f"{'page':<22} {'math':>5} {'rendered':>8} {'failed requests':>15} {'outside':>7}  problems")
    for r in results:
        probs = problems_of(r)
        bad += bool(probs)
        print(f"{r['page']:<22} {r['math']:>5} {r['rendered']:>8} {len(r['failed']):>15} {len(r['outside']):>7}  "
              f"{probs[0] if probs else 'ok'}")
        for p in probs[1:]: print(f"{'':<62}{p}")
    return bad


def check_site(site: Path) -> int:
    if not (site / "index.html").exists(): raise SystemExit(f"site_check: no {site}/index.html; build it first")
    t0 = time.time()
    results = browse(site, [p.name for p in pages(site)])
    bad = report(results)
    total = sum(r["rendered"] for r in results)
    version = next((r["version"] for r in results if r["version"]), None)
    print(f"site_check: {len(results)} pages, {total} math elements rendered by MathJax {version}, "
          f"{sum(len(r['failed']) for r in results)} failed requests, "
          f"{sum(len(r['outside']) for r in results)} requests leaving localhost, {time.time() - t0:.0f} s")
    if not total: print("site_check: no math rendered anywhere: the check proves nothing")
    if bad: print(f"site_check: {bad} pages with problems")
    return 1 if bad or not total else 0


# ---------------------------------------------------------------- selftest: each fault planted must be caught
FAULTS = {   # page name: (what is planted after the first heading, words the problems must contain)
    "good.html": ("", None),
    "raw_tex.html": (r"<p>left as text: $\alpha + 1$</p>", "raw TeX"),
    "tex_error.html": (r'<p><span class="math notranslate nohighlight">\(\frac{1}\)</span></p>', "TeX error"),
    "missing_image.html": ('<img src="_images/no-such-picture.png">', "failed request"),
    "outside.html": ('<img src="https://example.invalid/badge.svg">', "request leaving localhost"),
    "script_error.html": ("<script>no_such_function()</script>", "script error"),
    "no_mathjax.html": (None, "not rendered"),    # the MathJax script tag removed
}


def selftest(site: Path) -> int:
    "Plant one fault per page into copies of a page with math, and check each is caught and the clean copy passes."
    donor = max(pages(site), key=lambda p: p.read_text().count('class="math'))
    html = donor.read_text()
    tmp = Path(tempfile.mkdtemp(prefix="site_check."))
    try:
        for f in site.iterdir():     # everything a page loads (static files, images, the search index) by link
            if f.suffix != ".html": (tmp / f.name).symlink_to(f.resolve())
        for name, (plant, _) in FAULTS.items():
            text = re.sub(r'<script[^>]*src="[^"]*mathjax[^"]*"[^>]*></script>', "", html) if plant is None else \
                html.replace("</h1>", "</h1>" + plant, 1)
            (tmp / name).write_text(text)
        results = browse(tmp, list(FAULTS), timeout_s=10)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    failed = 0
    for r in results:
        expect, probs = FAULTS[r["page"]][1], problems_of(r)
        # the clean copy shows nothing; a planted fault shows as its own kind of problem and as no other kind
        # (without MathJax every formula is both unrendered and raw TeX)
        ok = not probs if expect is None else \
            any(expect in p for p in probs) and (r["page"] == "no_mathjax.html" or all(expect in p for p in probs))
        failed += not ok
        print(f"site_check selftest: {r['page']:<20} {'ok' if ok else 'WRONG'}: {probs[:2] or 'no problems'}")
    print(f"site_check selftest: copies of {donor.name}; {len(results) - failed} of {len(results)} as expected")
    return 1 if failed or len(results) != len(FAULTS) else 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="site_check", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("site", nargs="?", default=str(ROOT / "_docs"), help="the built site (default: _docs)")
    p.add_argument("--selftest", action="store_true", help="show that each kind of fault is caught")
    args = p.parse_args(argv)
    site = Path(args.site).resolve()
    return selftest(site) if args.selftest else check_site(site)


if __name__ == "__main__":
    sys.exit(main())
