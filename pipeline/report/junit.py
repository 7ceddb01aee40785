"""Report → JUnit XML: one test case per citation, so CI systems list problems natively.

What --fail-on counted (``report.problems``, decided once by ``results.problems`` when the
run happened) is a <failure>; an unconfirmed failure or an unverifiable page (blocked,
timeout) is <skipped> with the reason, so it is visible without turning the build red.
Every value passes ``clean``: a control character from a status line, a title or an id
would make the file invalid XML, and the CI system would drop the whole report.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from ..textsafe import clean
from .model import Report


def render(report: Report) -> str:
    failing: dict[str, list[str]] = {}
    for p in report.problems:
        failing.setdefault(p.citation_id, []).append(p.what)
    suite = ET.Element(
        "testsuite",
        name=clean(f"citewatch.{report.name}"),
        tests=str(len(report.results)),
        failures=str(len(failing)),
        timestamp=clean(report.generated_at),
    )
    skipped = 0
    for r in report.results:
        c, check = r.citation, r.check
        name = clean(f"{{{c.id}}} {c.publisher or ''} {c.title or ''}").strip()
        case = ET.SubElement(suite, "testcase", classname=clean(f"citewatch.{report.name}"), name=name[:200])
        case.set("time", f"{(check.elapsed_ms if check else 0) / 1000:.3f}")
        message = clean(f"{check.status if check else None}: {check.reason if check else None}")
        if c.id in failing:
            kind = check.status.value if check else "problem"
            fail = ET.SubElement(case, "failure", message=clean("; ".join(failing[c.id])), type=kind)
            fail.text = "\n".join(f"{k}: {clean(v)}" for k, v in (("url", c.url), ("archive", c.archive_url)) if v)
        elif check and (check.status.is_unverifiable or check.failing_since):
            skipped += 1
            ET.SubElement(case, "skipped", message=message)
    suite.set("skipped", str(skipped))
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
