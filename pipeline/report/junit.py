"""Report dict → JUnit XML: one test case per citation, so CI systems list problems natively.

A confirmed failure (or anything --fail-on names) is a <failure>; an
unconfirmed failure or an unverifiable page (blocked, timeout) is <skipped>
with the reason, so it is visible without turning the build red.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from ..vocab import Status


def render(report: dict[str, Any], failing_ids: set[str]) -> str:
    suite = ET.Element(
        "testsuite",
        name=f"citewatch.{report['name']}",
        tests=str(len(report["results"])),
        failures=str(len(failing_ids)),
        timestamp=report["generated_at"],
    )
    skipped = 0
    for r in report["results"]:
        name = f"{{{r['id']}}} {r.get('publisher') or ''} {r.get('title') or ''}".strip()
        case = ET.SubElement(suite, "testcase", classname=f"citewatch.{report['name']}", name=name[:200])
        case.set("time", f"{(r.get('elapsed_ms') or 0) / 1000:.3f}")
        message = f"{r.get('status')}: {r.get('reason')}"
        if r["id"] in failing_ids:
            fail = ET.SubElement(case, "failure", message=message, type=r.get("status") or "problem")
            fail.text = "\n".join(
                f"{k}: {v}" for k, v in (("url", r.get("url")), ("archive", r.get("archive_url"))) if v
            )
        elif (r.get("status") and Status(r["status"]).is_unverifiable) or (r.get("check") or {}).get("failing_since"):
            skipped += 1
            ET.SubElement(case, "skipped", message=message)
    suite.set("skipped", str(skipped))
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
