"""Title, date and publisher checks on real saved pages, beside htmldate and trafilatura.

    python bench/eval_realpages.py [PATH_TO_REALPAGES]      # default ../shared/realpages
    python bench/eval_realpages.py --misses title            # list what we got wrong
    python bench/eval_realpages.py --no-peers                # ours only (fast)

The pages (``ground_truth.json`` + ``pages/<id>.html.gz``) are real news pages from
other projects' test suites, each with the headline, day and site name their
maintainers checked. They are read from where they lie, never copied into the project.
Each page is read as a server without a charset would send it (``text/html``).

Figures printed:

- *title exact*: the extracted title equals the checked one after whitespace and quote
  normalisation (curly → straight); *day exact*: the extracted day is the checked one (or
  one of its ``date_alt``). Peers get the same bytes: htmldate's ``find_date`` (original
  date) and trafilatura's ``extract_metadata`` (title, date).
- *false alarms*: each page is cited with its checked title, day and site name — a
  footnote that is right — and every title/date/publisher verdict that raises an alarm
  (``Verdict.is_alarm``: the footnote looks wrong) is a false alarm.
- the slowest page (extraction + verification, after one warm-up page pays the imports)
  and crashes.

A rule is never tuned to one page here: the per-page lines of ``--misses`` show classes
of failure; each fix gets a small page of its own in tests/test_metadata.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import html
import json
import re
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.metadata import extract  # noqa: E402
from pipeline.model import Citation, Fetch, PartialDate  # noqa: E402
from pipeline.verify import verify  # noqa: E402

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "realpages"
_QUOTES = str.maketrans({c: "'" for c in "‘’‚‛′`´"} | {c: '"' for c in "“”„‟″«»"})


# Checks we judge to disagree with the page itself, each with the page's own evidence. They
# are never dropped: the figures are printed with them, then again without them.
DISPUTED = {
    "title": {
        "fundus-de-BerlinerMorgenpost_2024_05_03": "checked: the JSON-LD headline; og:title, <title> and <h1> say ours",
        "fundus-de-HamburgerAbendblatt_2024_04_28": "checked: the JSON-LD headline; <title> and <h1> say ours",
        "fundus-de-HamburgerAbendblatt_2025_09_09": "checked: the JSON-LD headline; og:title, <title>, <h1> say ours",
        "fundus-de-HamburgerAbendblatt_2025_11_06": "checked: the JSON-LD headline; og:title, <title>, <h1> say ours",
        "fundus-us-Wired_2024_04_28": "checked: the JSON-LD headline (= <title>); og:title and the <h1> say ours",
        "fundus-tr-Haberturk_2024_07_03": "checked keeps the section ' - Güncel haberler'; the <h1> is ours",
        "fundus-kr-HankookIlbo_2025_05_15": "the page quotes the first clause in every title, <h1> too; checked drops it",
        "fundus-de-TOnline_2026_04_15": "the checked title is none of the page's titles",
        "trafilatura-creativecommons.org": "checked: trafilatura's output, keeping the site's name after ' - '",
        "trafilatura-stackoverflow.com.rust": "checked: trafilatura's output, keeping the site's name after ' - '",
    },
    "date": {
        "htmldate-mc-1647262025": "the page declares 2020-06-29T00:16:15+03:00 (Moscow)",
        "htmldate-mc-1727473717": "the live blog declares 2020-10-02T18:16:21+05:30, every <time> is 2 Oct",
        "trafilatura-reuters.com.parasite": "declared published 2020-01-19; the checked day is dateModified",
        "htmldate-mc-1571322029": "a wiki diff: the page declares 2005-07-26 (created); checked: the revision's day",
        "htmldate-mc-1500330653": "the byline under the headline says 21 Jan 2020",
    },
}


def norm_title(s: str | None) -> str:
    """Whitespace and quote style are typography, not a different headline."""
    if not s:
        return ""
    return re.sub(r"\s+", " ", html.unescape(s).translate(_QUOTES).replace("\u00ad", "")).strip()


def is_alarm(verdict) -> bool:
    try:
        from pipeline.model import Verdict

        return Verdict(str(verdict)).is_alarm
    except (ImportError, ValueError):  # before the Verdict vocabulary existed
        v = str(verdict)
        return v in {"partial", "mismatch", "likely-typo", "other-language"} or v.startswith("off-by")


def days_ok(got: dt.date | str | None, case: dict) -> bool:
    if not got:
        return False
    got = got.isoformat() if isinstance(got, dt.date) else str(got)[:10]
    return got in {case["date"], *(case.get("date_alt") or [])}


_HTMLDATE_AS_SHIPPED = None  # htmldate's own dateparser factory (pipeline/datefallback.py replaces it)


def peers(body: bytes, url: str) -> dict:
    """What htmldate and trafilatura make of the same bytes (None when they crash), with
    htmldate as shipped: its all-locale dateparser and its own caches."""
    from htmldate import extractors
    from htmldate.meta import reset_caches

    ours, extractors.get_external_parser = extractors.get_external_parser, _HTMLDATE_AS_SHIPPED
    reset_caches()
    out: dict = {}
    try:
        from htmldate import find_date

        out["htmldate_date"] = find_date(body, url=url, original_date=True)
    except Exception as e:  # a peer's crash is a figure, not the end of the bench
        out["htmldate_crash"] = repr(e)
    try:
        from trafilatura import extract_metadata

        m = extract_metadata(body, default_url=url)
        out["traf_title"], out["traf_date"] = (m.title, m.date) if m else (None, None)
    except Exception as e:
        out["traf_crash"] = repr(e)
    extractors.get_external_parser = ours
    reset_caches()
    return out


def run_case(case: dict, root: Path, with_peers: bool) -> dict:
    body = gzip.decompress((root / case["file"]).read_bytes())
    url = case["url"]
    row: dict = {"id": case["id"]}
    start, cpu = time.perf_counter(), time.process_time()
    try:
        fetch = Fetch(url=url, final_url=url, http_status=200, body=body, headers={"content-type": "text/html"})
        page = extract(fetch)
        citation = Citation(
            id=case["id"],
            title=case.get("title"),
            date=PartialDate.from_date(dt.date.fromisoformat(case["date"])) if case.get("date") else None,
            publisher=case.get("site_name"),
            url=url,
        )
        row["matches"] = verify(citation, page, url)
        row["title"] = page.title if page else None
        row["date"] = page.published if page else None
        row["site"] = page.site_name if page else None
        row["title_candidates"] = [(c.source, c.value) for c in page.title_candidates] if page else []
        row["date_source"] = page.published_source if page else None
    except Exception as e:  # counted and shown: a crash on a real page is a bug to fix
        row["crash"] = repr(e)
    row["seconds"], row["cpu"] = time.perf_counter() - start, time.process_time() - cpu
    if with_peers:
        row.update(peers(body, url))
    return row


def pct(n: int, d: int) -> str:
    return f"{100 * n / d:5.1f} % ({n}/{d})" if d else "    – "


def report(cases: list[dict], rows: list[dict], with_peers: bool, misses: str | None) -> None:
    titled = [(c, r) for c, r in zip(cases, rows, strict=True) if c.get("title")]
    dated = [(c, r) for c, r in zip(cases, rows, strict=True) if c.get("date")]
    named = [(c, r) for c, r in zip(cases, rows, strict=True) if c.get("site_name")]
    print(
        f"{len(cases)} pages: {len(titled)} with a checked title, {len(dated)} with a day, {len(named)} with a site\n"
    )
    print("| figure | citewatch | htmldate | trafilatura |")
    print("|---|---:|---:|---:|")
    t_ours = sum(norm_title(r.get("title")) == norm_title(c["title"]) for c, r in titled)
    t_traf = sum(norm_title(r.get("traf_title")) == norm_title(c["title"]) for c, r in titled)
    d_ours = sum(days_ok(r.get("date"), c) for c, r in dated)
    d_html = sum(days_ok(r.get("htmldate_date"), c) for c, r in dated)
    d_traf = sum(days_ok(r.get("traf_date"), c) for c, r in dated)
    na = "–" if not with_peers else None
    print(f"| title exact | {pct(t_ours, len(titled))} | – | {na or pct(t_traf, len(titled))} |")
    print(
        f"| day exact | {pct(d_ours, len(dated))} | {na or pct(d_html, len(dated))} | {na or pct(d_traf, len(dated))} |"
    )
    t_kept = [(c, r) for c, r in titled if c["id"] not in DISPUTED["title"]]
    d_kept = [(c, r) for c, r in dated if c["id"] not in DISPUTED["date"]]
    t_k = sum(norm_title(r.get("title")) == norm_title(c["title"]) for c, r in t_kept)
    print(f"| title exact, without {len(titled) - len(t_kept)} disputed checks | {pct(t_k, len(t_kept))} | | |")
    d_k = sum(days_ok(r.get("date"), c) for c, r in d_kept)
    print(f"| day exact, without {len(dated) - len(d_kept)} disputed checks | {pct(d_k, len(d_kept))} | | |")
    verdicts: dict[str, Counter] = {"title": Counter(), "date": Counter(), "publisher": Counter()}
    sets = {"title": titled, "date": dated, "publisher": named}
    for i, field in enumerate(("title", "date", "publisher")):
        alarms = 0
        for _c, r in sets[field]:
            if "matches" not in r:
                continue
            v = str(r["matches"][i].verdict)
            verdicts[field][re.sub(r"off-by-\d+-days", "off-by-N-days", v)] += 1
            alarms += is_alarm(v)
        print(f"| false alarms, {field} | {pct(alarms, len(sets[field]))} | | |")
    crashes = [r for r in rows if "crash" in r]
    print(
        f"| crashes | {len(crashes)} | {sum('htmldate_crash' in r for r in rows)} | {sum('traf_crash' in r for r in rows)} |"
    )
    slow = max(rows, key=lambda r: r["seconds"])
    hungry = max(rows, key=lambda r: r["cpu"])
    print(f"| slowest page (ours) | {slow['seconds']:.2f} s ({slow['id']}) | | |")
    print(f"| most CPU on one page (ours) | {hungry['cpu']:.2f} s ({hungry['id']}) | | |")
    print("\nverdicts when the footnote is right:")
    for field, counter in verdicts.items():
        print(f"  {field}: " + ", ".join(f"{k} {n}" for k, n in counter.most_common()))
    for r in crashes:
        print(f"  CRASH {r['id']}: {r['crash']}")
    if misses:
        _print_misses(misses, sets, rows)


def _print_misses(field: str, sets: dict, rows: list[dict]) -> None:
    print(f"\nmisses ({field}):")
    index = {"title": 0, "date": 1, "publisher": 2}[field]
    for c, r in sets[field]:
        m = r.get("matches")
        disputed = DISPUTED.get(field, {}).get(c["id"])
        if disputed and field in ("title", "date"):
            print(f"  {c['id']}: DISPUTED ({disputed})")
        if field == "title" and norm_title(r.get("title")) != norm_title(c["title"]):
            print(f"  {c['id']}: want {c['title']!r}\n  {' ' * len(c['id'])}  got  {r.get('title')!r}")
            for source, value in r.get("title_candidates") or []:
                print(f"  {' ' * len(c['id'])}    {source}: {value!r}")
        elif field == "date" and not days_ok(r.get("date"), c):
            print(
                f"  {c['id']}: want {c['date']} got {r.get('date')} from {r.get('date_source')} [{m[1].verdict if m else '-'}]"
            )
        elif field == "publisher" and m and is_alarm(m[index].verdict):
            print(f"  {c['id']}: cited {c['site_name']!r} page {m[2].found!r} → {m[2].verdict}")


class _NoDateparser:
    def get_date_data(self, _text: str) -> dict:
        return {"date_obj": None}


def _choose_dateparser(mode: str) -> None:
    """What each choice for htmldate's last resort costs in days (see bench/README.md)."""
    from pipeline import datefallback

    ours = datefallback._parser
    datefallback._parser = {
        "page": ours,
        "all": lambda _languages: _HTMLDATE_AS_SHIPPED(),
        "english": lambda _languages: ours(("en",)),
        "none": lambda _languages: _NoDateparser(),
    }[mode]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("realpages", nargs="?", default=str(DEFAULT))
    ap.add_argument("--no-peers", action="store_true", help="skip htmldate and trafilatura")
    ap.add_argument("--misses", choices=["title", "date", "publisher"], help="list the pages we got wrong")
    ap.add_argument("--source", help="only pages from this source (fundus, htmldate-mc, trafilatura)")
    ap.add_argument(
        "--dateparser",
        choices=["page", "all", "english", "none"],
        default="page",
        help="locales htmldate's free-text parser reads for us: the page's language and English (ours), "
        "all ~200 (htmldate as shipped), English only, or no dateparser at all",
    )
    args = ap.parse_args(argv)
    root = Path(args.realpages)
    if not (root / "ground_truth.json").is_file():
        print(f"{root}: no ground_truth.json (the real pages live in ../shared/realpages)", file=sys.stderr)
        return 1
    cases = json.loads((root / "ground_truth.json").read_text(encoding="utf-8"))
    if args.source:
        cases = [c for c in cases if c["source"] == args.source]
    warnings.simplefilter("ignore")
    import logging

    logging.disable(logging.CRITICAL)  # the peers log every page they cannot date
    from htmldate import extractors

    global _HTMLDATE_AS_SHIPPED
    _HTMLDATE_AS_SHIPPED = extractors.get_external_parser
    if not args.no_peers:  # htmldate as shipped loads dateparser's ~200 locales once: not timed
        _HTMLDATE_AS_SHIPPED().get_date_data("12 qqq 2020")  # matches no locale: every one is loaded

    _choose_dateparser(args.dateparser)
    if cases:
        run_case(cases[0], root, not args.no_peers)
    rows = [run_case(c, root, not args.no_peers) for c in cases]
    report(cases, rows, not args.no_peers, args.misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
