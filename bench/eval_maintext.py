"""Which trafilatura settings keep a page's article and drop its navigation and comments?

Reads the developers' set of real pages in ../shared/realpages (never copied here) and,
for each setting, measures on the pages that mark their article up (<article>):
- article kept: share of the article's paragraphs (≥ 80 characters) found in the output;
- navigation leaked: share of the link texts of <nav>/<header>/<footer>/<aside> and of
  comment sections (≥ 3 words) found in the output;
- time per page;
and what a quote check costs per page when the quote is on no part of the page (the
common case: the whole page's text is searched, the article is not extracted) vs when
it is (the article is extracted); and how often drift calls a page changed when it
compares the page's article text with the same page's whole text (the cheap path), before
the article is read again to confirm.

    python bench/eval_maintext.py [--limit N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from pathlib import Path

import lxml.html
import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REALPAGES = Path(__file__).resolve().parents[2] / "shared" / "realpages"
SETTINGS = {
    "default": {},
    "favor_precision": {"favor_precision": True},
    "favor_recall": {"favor_recall": True},
    "precision, fast": {"favor_precision": True, "fast": True},
    "recall, fast": {"favor_recall": True, "fast": True},
}
_COMMENTS = re.compile(r"comment|disqus|respond|reply", re.I)


def _norm(s: str) -> str:
    return " ".join(re.findall(r"\w+", s.casefold()))


def _parts(html: str) -> tuple[list[str], list[str]]:
    root = lxml.html.document_fromstring(html)
    for bad in root.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    article = [_norm(p.text_content()) for p in root.xpath("//article//p")]
    article = [p for p in article if len(p) >= 80]
    boiler = root.xpath("//nav|//header|//footer|//aside") + [
        e for e in root.xpath("//*[@id or @class]") if _COMMENTS.search((e.get("id") or "") + (e.get("class") or ""))
    ]
    links = {_norm(a.text_content()) for b in boiler for a in b.iter("a")}
    links = [t for t in links if len(t.split()) >= 3 and not any(t in p for p in article)]
    return article, links


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    if not (REALPAGES / "ground_truth.json").exists():
        print(f"skipped: {REALPAGES} is not there (the developers' set of real pages)")
        return 0
    entries = json.loads((REALPAGES / "ground_truth.json").read_text())
    if args.limit:
        entries = entries[: args.limit]
    stats = {name: {"kept": [], "leaked": [], "ms": [], "empty": 0} for name in SETTINGS}
    pages = 0
    for e in entries:
        html = gzip.decompress((REALPAGES / e["file"]).read_bytes()).decode("utf-8", "replace")
        article, links = _parts(html)
        if len(article) < 2:
            continue
        pages += 1
        for name, kw in SETTINGS.items():
            t0 = time.perf_counter()
            out = trafilatura.extract(html, url=e["url"], include_comments=False, include_tables=True, **kw) or ""
            stats[name]["ms"].append((time.perf_counter() - t0) * 1000)
            text = _norm(out)
            if not text:
                stats[name]["empty"] += 1
            stats[name]["kept"].append(sum(p in text for p in article) / len(article))
            if links:
                stats[name]["leaked"].append(sum(t in text for t in links) / len(links))
    print(f"{pages} pages with an <article> of ≥ 2 paragraphs")
    print(f"{'setting':24} {'article kept':>12} {'nav leaked':>10} {'empty':>5} {'ms/page':>8} {'p95 ms':>7}")
    for name, s in stats.items():
        ms = sorted(s["ms"])
        print(
            f"{name:24} {statistics.mean(s['kept']):12.1%} {statistics.mean(s['leaked'] or [0]):10.1%}"
            f" {s['empty']:5d} {statistics.mean(ms):8.1f} {ms[int(len(ms) * 0.95)]:7.1f}"
        )
    _quote_cost(entries)
    return 0


def _quote_cost(entries: list[dict]) -> None:
    from pipeline.model import Fetch
    from pipeline.quotes.drift import compare
    from pipeline.quotes.pagetext import read_text

    absent, present, drift_ms = [], [], []
    seems_changed = compared = 0
    for e in entries:
        body = gzip.decompress((REALPAGES / e["file"]).read_bytes())
        fetch = Fetch(url=e["url"], http_status=200, headers={"content-type": "text/html"}, body=body)
        t0 = time.perf_counter()
        whole = read_text(fetch, "en", quotes=["we will never give up on our people"])
        absent.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        article = read_text(fetch, "en")
        present.append((time.perf_counter() - t0) * 1000)
        if article.readable and whole.readable:
            t0 = time.perf_counter()
            seems_changed += compare(article, whole).verdict == "changed"
            drift_ms.append((time.perf_counter() - t0) * 1000)
            compared += 1
    print(f"quote check, {len(entries)} pages: quote on no part of the page {statistics.mean(absent):.1f} ms/page,")
    print(f"  article extracted (quote somewhere on the page, or drift) {statistics.mean(present):.1f} ms/page")
    print(
        f"drift, a page's article vs its own whole text: {seems_changed} of {compared} seem changed"
        f" (read again as articles: none); {statistics.mean(drift_ms):.1f} ms/page"
    )


if __name__ == "__main__":
    sys.exit(main())
