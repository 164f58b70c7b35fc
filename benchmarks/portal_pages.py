"""The citizen pages as a phone on a slow network sees them: bytes transferred and load times; prints JSON.

Runs headless Chromium (Debian's, through Playwright) at 390×844 against a running jiesu (the demo: `make demo`,
or `--url`), with the network throttled through the DevTools protocol to a "Fast 3G" profile (1.6 Mbit/s down,
750 kbit/s up, 150 ms round trip) and the CPU slowed 4×. For each page: the bytes of every response (compressed as
sent), the number of requests, DOMContentLoaded and load, median of `--runs` cold loads (cache disabled).

    python benchmarks/portal_pages.py [--url http://127.0.0.1:8000] [--runs 5]
"""

import argparse
import json
import statistics
import sys

PAGES = {"诉求提交": "/submit/", "进度查询": "/track/", "用手机号查询": "/track/phone/", "公开信件": "/letters/"}
FAST_3G = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for name, path in PAGES.items():
            runs = []
            for _ in range(args.runs):
                context = browser.new_context(viewport={"width": 390, "height": 844})
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                cdp.send("Network.emulateNetworkConditions", FAST_3G)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
                sizes = {}
                cdp.on("Network.loadingFinished", lambda e, sizes=sizes: sizes.__setitem__(e["requestId"],
                                                                                            e["encodedDataLength"]))
                page.goto(args.url + path, wait_until="load")
                timing = page.evaluate("() => { const t = performance.getEntriesByType('navigation')[0];"
                                       " return [t.domContentLoadedEventEnd, t.loadEventEnd]; }")
                runs.append({"kb": sum(sizes.values()) / 1024, "requests": len(sizes), "dcl_ms": timing[0],
                             "load_ms": timing[1]})
                context.close()
            results[name] = {
                "path": path,
                "transferred_kb": round(statistics.median(r["kb"] for r in runs), 1),
                "requests": statistics.median(r["requests"] for r in runs),
                "dom_content_loaded_ms": round(statistics.median(r["dcl_ms"] for r in runs)),
                "load_ms": round(statistics.median(r["load_ms"] for r in runs)),
            }
        browser.close()
    print(json.dumps({"benchmark": "portal_pages", "profile": "Fast 3G, CPU 4× slower, 390×844", "runs": args.runs,
                      "pages": results}, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
