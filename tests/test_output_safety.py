"""Text from outside never steers the terminal or breaks a report (issue 16, "terminal and
report injection"): a server's status line carrying ESC/OSC/BEL, a page title and a citation
id with control characters, a ``javascript:`` address. Assertions are on bytes."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.report import index as index_report
from pipeline.report import markdown as md_report
from pipeline.textsafe import clean, safe_href

from .servers import html

# clear screen, set the window title (OSC … BEL), a bell, a carriage return that would
# overwrite the line, and a right-to-left override
HOSTILE = "Gone\x1b[2J\x1b]0;owned\x07 for\rgood\u202e"
CONTROL_BYTES = [b"\x1b", b"\x07", b"\r", "\u202e".encode()]


def hostile_status_line(req) -> None:
    body = b"<html><head><title>x</title></head><body>no</body></html>"
    req.wfile.write(b"HTTP/1.1 404 " + HOSTILE.encode("latin-1", "ignore") + b"\r\n")
    req.wfile.write(b"Content-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body) + body)


@pytest.fixture
def hostile(site, tmp_path, monkeypatch):
    site.routes["/evil"] = hostile_status_line
    site.routes["/titled"] = html("Title \x1b]0;owned\x07 with \x1b[31mcolour")
    monkeypatch.chdir(tmp_path)
    Path("citations.yaml").write_text(
        "citations:\n"
        f'  - id: "evil\\e[2J1"\n    title: "A \\a bell"\n    url: {site.url("/evil")}\n'
        f'  - id: "2"\n    title: Something else entirely\n    url: {site.url("/titled")}\n',
        encoding="utf-8",
    )
    return site


def cli(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def assert_no_control(data: bytes, where: str) -> None:
    for b in CONTROL_BYTES:
        assert b not in data, f"{b!r} reached {where}"


def test_check_prints_no_control_characters_from_a_server_or_the_citations(hostile):
    res = cli("check", "--allow-private", "--timeout", "2", "--retries", "0", "--no-probe", "--confirm-checks", "1")
    assert res.exit_code in (0, 2), res.output
    assert "Gone" in res.stdout and "good" in res.stdout  # the text is kept, only the controls go
    assert_no_control(res.stdout_bytes, "stdout")
    assert_no_control(res.stderr_bytes, "stderr")


def test_run_reports_are_clean_and_junit_is_well_formed(hostile):
    args = ["run", "--allow-private", "--timeout", "2", "--retries", "0", "--no-wayback", "--no-probe"]
    res = cli(*args, "--confirm-checks", "1", "--confirm-days", "0", "--junit", "reports/junit.xml")
    assert res.exit_code == 2, res.output  # the 404 is confirmed at once
    assert_no_control(res.stdout_bytes, "stdout")
    assert_no_control(res.stderr_bytes, "stderr")
    for name in ("citations.md", "citations.html"):
        assert_no_control(Path("reports", name).read_bytes().replace(b"\r\n", b"\n"), name)
    suite = ET.parse("reports/junit.xml").getroot()  # raises on invalid XML
    failure = suite.find("testcase/failure")
    assert failure is not None and "Gone" in failure.get("message")
    assert suite.get("failures") == "1"
    md = Path("reports/citations.md").read_text(encoding="utf-8")
    assert "owned" in md and "\x1b" not in md


def test_the_saved_json_keeps_what_the_server_said():
    """Cleaning is for showing: the JSON report keeps evidence as it came (json escapes it)."""
    assert json.dumps("\x1b") == '"\\u001b"'


def test_clean_makes_one_line_without_controls():
    assert clean("a\x1b[2Jb\x07c\r\nd\te\u202ef") == "a[2Jbc d ef"
    assert clean(None) == "" and clean(42) == "42" and clean("plain ünïcode 中文") == "plain ünïcode 中文"
    assert clean("\ud800x\ufffe") == "x"  # lone surrogates and XML's non-characters


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>", "https://ok.example/\nx", "//evil"],
)
def test_only_plain_http_addresses_become_links(url):
    assert safe_href(url) is None
    assert "](" not in md_report.link("the source", url)
    assert "](" not in md_report.link(url, url)


def test_markdown_escapes_links_tables_and_newlines():
    assert md_report.link("x", "https://ok.example/a b)c") == "[x](<https://ok.example/a%20b%29c>)"
    cell = md_report.esc("a | b [c](javascript:x)\n# d")
    assert "|" not in cell.replace("\\|", "") and "](" not in cell and "\n" not in cell
    # a pipe in a link target or a code span would end the table cell
    assert "|" not in md_report.link("x", "https://ok.example/a|b")
    assert md_report.code("warc/x.warc.gz#offset=3|`") == "`warc/x.warc.gz#offset=3\\|'`"


def test_index_escapes_titles_and_names_and_has_the_reports_csp():
    rows = [index_report.IndexRow("a>b|c", "<script>alert(1)</script> | x\x1b[2J", 3, 1, 2)]
    md = index_report.render_markdown(rows)
    assert "<script>" not in md and "\x1b" not in md and "(<a%3Eb%7Cc.md>)" in md
    page = index_report.render_html(rows)
    assert "<script>alert" not in page and "\x1b" not in page and 'href="a%3Eb%7Cc.html"' in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_a_javascript_candidate_is_shown_as_text_in_every_report():
    from pipeline.model import Citation, LinkCheck, Result, Status
    from pipeline.report import html as html_report
    from pipeline.report import model as report_model

    bad = "javascript:alert(document.cookie)"
    cited = Citation("1", "Outlet", "No link yet", candidates=[{"url": bad, "confidence": 0.9, "source": "cdx"}])
    report = report_model.build("post", [Result(cited, check=LinkCheck("", Status.SKIPPED, "no URL"))])
    md, page = md_report.render(report), html_report.render(report)
    assert "javascript" in md and "](<javascript" not in md.lower()
    assert "javascript" in page and 'href="javascript' not in page.lower()
