"""Report dict → JUnit XML: one test case per citation, so CI systems list problems natively.

What --fail-on counts (``report["problems"]``, decided once by ``results.problems`` when
the run happened) is a <failure>; an unconfirmed failure or an unverifiable page (blocked,
timeout) is <skipped> with the reason, so it is visible without turning the build red.
Every value passes ``clean``: a control character from a status line, a title or an id
would make the file invalid XML, and the CI system would drop the whole report.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from ..textsafe import clean
from ..vocab import Status


def failures(report: dict[str, Any]) -> dict[str, list[str]]:
    """Citation id → what counts against it. A run saved before reports listed their
    problems: its confirmed failures, as the default --fail-on counted them."""
    if "problems" in report:
        out: dict[str, list[str]] = {}
        for p in report["problems"]:
            out.setdefault(p["id"], []).append(p["what"])
        return out
    return {
        r["id"]: [f"{r.get('status')}: {r.get('reason')}"]
        for r in report["results"]
        if (r.get("check") or {}).get("confirmed")
    }


def render(report: dict[str, Any]) -> str:
    failing = failures(report)
    suite = ET.Element(
        "testsuite",
        name=clean(f"citewatch.{report['name']}"),
        tests=str(len(report["results"])),
        failures=str(len(failing)),
        timestamp=clean(report["generated_at"]),
    )
    skipped = 0
    for r in report["results"]:
        name = clean(f"{{{r['id']}}} {r.get('publisher') or ''} {r.get('title') or ''}").strip()
        case = ET.SubElement(suite, "testcase", classname=clean(f"citewatch.{report['name']}"), name=name[:200])
        case.set("time", f"{(r.get('elapsed_ms') or 0) / 1000:.3f}")
        message = clean(f"{r.get('status')}: {r.get('reason')}")
        if r["id"] in failing:
            what = clean("; ".join(failing[r["id"]]))
            fail = ET.SubElement(case, "failure", message=what, type=r.get("status") or "problem")
            fail.text = "\n".join(
                f"{k}: {clean(v)}" for k, v in (("url", r.get("url")), ("archive", r.get("archive_url"))) if v
            )
        elif (r.get("status") and Status(r["status"]).is_unverifiable) or (r.get("check") or {}).get("failing_since"):
            skipped += 1
            ET.SubElement(case, "skipped", message=message)
    suite.set("skipped", str(skipped))
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
