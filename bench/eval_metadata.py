"""Precision and recall of title and date extraction over the saved pages in
tests/fixtures/pages (their expected values are in expected.yaml).

    python bench/eval_metadata.py

A page counts as *extracted* when a value came out, *correct* when it equals the
expected value. precision = correct / extracted; recall = correct / expected.
Pages are read from disk (no server): this measures the extractors, not the fetch.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ruamel.yaml import YAML

from pipeline.metadata import extract
from pipeline.model import Fetch

PAGES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pages"


def main() -> None:
    cases = YAML(typ="safe").load((PAGES / "expected.yaml").read_text(encoding="utf-8"))["pages"]
    stats = {"title": [0, 0, 0], "published": [0, 0, 0], "site_name": [0, 0, 0]}  # extracted, correct, expected
    rows = []
    for case in cases:
        url = "https://www.example.org" + case["path"]
        body = (PAGES / case["file"]).read_bytes()
        page = extract(
            Fetch(url=url, final_url=url, http_status=200, body=body, headers={"content-type": case["content_type"]})
        )
        for field in stats:
            want = case.get(field)
            got = getattr(page, field)
            if field == "site_name" and want is None:
                continue  # no site declared: the fallback is the (test) domain
            if isinstance(got, dt.date):
                got = got.isoformat()
                want = want.isoformat() if isinstance(want, dt.date) else want
            stats[field][0] += got is not None
            stats[field][1] += got is not None and got == want
            stats[field][2] += want is not None
            if got != want:
                rows.append(f"  {case['file']}: {field} expected {want!r}, got {got!r}")
    print(f"{len(cases)} saved pages\n")
    print("| field | precision | recall | correct / extracted / expected |")
    print("|---|---:|---:|---|")
    for field, (extracted, correct, expected) in stats.items():
        p = correct / extracted if extracted else 0.0
        r = correct / expected if expected else 0.0
        print(f"| {field} | {p:.2f} | {r:.2f} | {correct} / {extracted} / {expected} |")
    if rows:
        print("\nmisses:")
        print("\n".join(rows))


if __name__ == "__main__":
    main()
