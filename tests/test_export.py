"""`citewatch export`: what each format gives the tool it is pasted into, read back by that
tool's own kind of parser (MediaWiki templates, HTML, CSL-JSON's schema, CommonMark)."""

from __future__ import annotations

import html
import json
from pathlib import Path

import jsonschema
import mwparserfromhell
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from markdown_it import MarkdownIt

from pipeline import citations as cit
from pipeline.archive.history import History
from pipeline.cli import main
from pipeline.export import Format, export

from .conftest import ROOT

CSL_SCHEMA = json.loads((ROOT / "tests" / "fixtures" / "csl-data.subset.schema.json").read_text(encoding="utf-8"))

# a title that breaks every format that does not escape it
NASTY = "A | B {{x}} [[y]] ''it'' ~~~~ E=mc2 <script>alert(1)</script> & *bold* `code`"
LIVE_URL = "https://news.example/story?a=1&b=it's|2"

CITATIONS = f"""\
article:
  title: Test article
citations:
  - id: "1"
    publisher: "Example News"
    author: Jane Roe
    title: "{NASTY}"
    date: 2021-12-23
    url: "{LIVE_URL}"
    archive_url: https://web.archive.org/web/20211224000000/https://news.example/story
    archive_date: 2021-12-24
    url_status: live
  - id: "2"
    publisher: Gone Daily
    title: A story that is gone
    date: 2020-05
    url: https://gone.example/story
    archive_url: https://web.archive.org/web/20200601000000/https://gone.example/story
    archive_date: 2020-06-01
    url_status: dead
  - id: "3"
    publisher: Lapsed Times
    title: A domain that changed hands
    date: 2019
    url: https://lapsed.example/a
    archive_url: https://archive.ph/20190101000000/https://lapsed.example/a
    archive_date: 2019-01-01
    url_status: usurped
  - id: "4"
    publisher: Print Only Weekly
    title: A story with no address
    date: 2018-03
  - id: "5"
    note: Ibid.
    same_as: "1"
  - id: "6"
    publisher: Vanished
    title: A note no longer in the article
    url: https://vanished.example/
    note_removed: true
"""


@pytest.fixture
def citations_file(tmp_path: Path) -> Path:
    path = tmp_path / "citations.yaml"
    path.write_text(CITATIONS, encoding="utf-8")
    history = History(tmp_path / "archive")  # checked twice: the later reach is the access date
    history.record(LIVE_URL, {"at": "2024-01-05T10:00:00+00:00", "status": "live"})
    history.record(LIVE_URL, {"at": "2024-02-09T10:00:00+00:00", "status": "redirected"})
    history.record(LIVE_URL, {"at": "2024-03-01T10:00:00+00:00", "status": "timeout"})
    return path


def run_export(citations_file: Path, fmt: Format) -> str:
    cf = cit.load(citations_file, for_update=False)
    text, _ = export(cf, fmt, citations_file.parent / "archive")
    return text


def test_cite_web_templates_parse_back_to_the_citation_values(citations_file):
    code = mwparserfromhell.parse(run_export(citations_file, Format.CITE_WEB))
    templates = code.filter_templates()
    assert [str(t.name).strip() for t in templates] == ["cite web", "cite web", "cite web", "cite news"]

    def params(t):
        # the value MediaWiki shows: character references decoded
        return {str(p.name).strip(): html.unescape(str(p.value).strip()) for p in t.params}

    live, dead, usurped, no_url = (params(t) for t in templates)
    # the pipe, braces, brackets, quotes and tildes stayed inside the one title parameter
    assert live == {
        "author": "Jane Roe",
        "title": NASTY,
        "url": "https://news.example/story?a=1&b=it%27s%7C2",
        "website": "Example News",
        "date": "2021-12-23",
        "archive-url": "https://web.archive.org/web/20211224000000/https://news.example/story",
        "archive-date": "2021-12-24",
        "url-status": "live",
        "access-date": "2024-02-09",  # the last check that reached the page, not the timeout after it
    }
    # no nested template, link or signature survives in the wikitext itself
    raw_title = str(templates[0].get("title").value)
    assert "{{" not in raw_title and "[[" not in raw_title and "''" not in raw_title and "~~~" not in raw_title
    assert "<script" not in raw_title
    assert dead["url-status"] == "dead" and dead["date"] == "May 2020"  # CS1 reads 2020-05 as a range
    assert usurped["url-status"] == "usurped" and usurped["date"] == "2019"
    assert no_url == {"title": "A story with no address", "work": "Print Only Weekly", "date": "March 2018"}


def test_robust_links_carry_the_snapshot_and_its_date(citations_file):
    soup = BeautifulSoup(run_export(citations_file, Format.ROBUST_LINKS), "html.parser")
    items = soup.find_all("li")
    assert len(items) == 4  # the Ibid. is the same source; the removed note is not cited any more
    live = items[0].a
    assert live["href"] == LIVE_URL
    assert live["data-versionurl"] == "https://web.archive.org/web/20211224000000/https://news.example/story"
    assert live["data-versiondate"] == "2021-12-24"
    assert live.get_text() == " ".join(NASTY.split()) and not soup.find("script")
    # a dead page: the reader is sent to the snapshot, the original kept as data-originalurl
    dead = items[1].a
    assert dead["href"].startswith("https://web.archive.org/web/20200601")
    assert dead["data-originalurl"] == "https://gone.example/story" and dead["data-versiondate"] == "2020-06-01"
    # a usurped domain is not linked at all: only its snapshot is
    usurped = items[2].a
    assert usurped["href"] == "https://archive.ph/20190101000000/https://lapsed.example/a"
    assert "data-originalurl" not in usurped.attrs and usurped["data-versiondate"] == "2019-01-01"
    # no address: listed as text
    assert items[3].a is None and "A story with no address" in items[3].get_text()


def test_csl_json_is_valid_csl_and_keeps_each_value(citations_file):
    items = json.loads(run_export(citations_file, Format.CSL_JSON))
    jsonschema.validate(items, CSL_SCHEMA)
    live, dead, usurped, no_url = items
    assert live["title"] == NASTY and live["URL"] == LIVE_URL and live["container-title"] == "Example News"
    assert live["author"] == [{"literal": "Jane Roe"}]
    assert live["issued"] == {"date-parts": [[2021, 12, 23]]}
    assert live["accessed"] == {"date-parts": [[2024, 2, 9]]}
    assert live["archive"] == "Wayback Machine"
    assert live["archive_location"].startswith("https://web.archive.org/web/20211224")
    assert dead["issued"] == {"date-parts": [[2020, 5]]} and "accessed" not in dead
    assert usurped["archive"] == "archive.today"
    assert no_url["type"] == "document" and "URL" not in no_url and no_url["issued"] == {"date-parts": [[2018, 3]]}


def test_a_csl_processor_renders_the_items_with_address_and_access_date(citations_file):
    # citeproc-py, with the Harvard style it bundles: what Pandoc or Zotero would print
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON

    items = json.loads(run_export(citations_file, Format.CSL_JSON))
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.plain)
    for i in items:
        bibliography.register(Citation([CitationItem(i["id"])]))
    entries = [str(e) for e in bibliography.bibliography()]
    first = next(e for e in entries if e.startswith("Jane Roe (2021)"))
    assert "Example News" in first and f"Available at: {LIVE_URL} (Accessed: February 9, 2024)" in first
    assert any("Print Only Weekly" in e and "Available at" not in e for e in entries)


def test_the_csl_schema_subset_refuses_a_made_up_variable():
    # the check above means something only if a misspelt field fails it
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{"id": "1", "type": "webpage", "archive-url": "https://x.example/"}], CSL_SCHEMA)


def test_markdown_is_a_numbered_list_with_archive_links(citations_file):
    text = run_export(citations_file, Format.MARKDOWN)
    tokens = MarkdownIt("commonmark").parse(text)
    assert sum(1 for t in tokens if t.type == "list_item_open") == 4
    assert tokens[0].type == "ordered_list_open"
    rendered = MarkdownIt("commonmark").render(text)
    soup = BeautifulSoup(rendered, "html.parser")
    items = soup.find_all("li")
    first_links = {a.get_text(): a["href"] for a in items[0].find_all("a")}
    assert first_links[f"“{' '.join(NASTY.split())}”"] == LIVE_URL.replace("|", "%7C")  # as CommonMark normalises it
    assert items[0].get_text().startswith("Jane Roe, Example News, “A | B {{x}} [[y]] ''it''")
    assert not soup.find("script") and not soup.find("strong") and not soup.find("code")
    assert first_links["Archived"].startswith("https://web.archive.org/web/20211224")
    # a dead page: the title leads to the snapshot, and the text says the original is gone
    dead_links = [a["href"] for a in items[1].find_all("a")]
    assert dead_links[0].startswith("https://web.archive.org/web/20200601")
    assert "https://gone.example/story" in dead_links and "the original (now gone)" in items[1].get_text()
    assert [a["href"] for a in items[2].find_all("a")] == [
        "https://archive.ph/20190101000000/https://lapsed.example/a"
    ]  # the usurped address is never a link
    assert items[3].find("a") is None and "Print Only Weekly" in items[3].get_text()


def cli(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_export_command_writes_stdout_or_a_file_and_says_what_it_left_out(citations_file, tmp_path):
    res = cli("export", str(citations_file), "--format", "csl-json", "--archive-dir", str(tmp_path / "archive"))
    assert res.exit_code == 0
    assert [i["id"] for i in json.loads(res.stdout)] == ["1", "2", "3", "4"]
    assert "notes repeating another (5)" in res.stderr and "removed from the article (6)" in res.stderr
    out = tmp_path / "refs" / "sources.wiki"
    res = cli("export", str(citations_file), "-f", "cite-web", "-o", str(out))
    assert res.exit_code == 0 and res.stdout == ""
    assert out.read_text(encoding="utf-8").count("{{cite ") == 4
    assert "exported 4 sources as cite-web to " + str(out) in res.stderr


def test_export_command_errors_are_one_line(citations_file, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("citations:\n  - id: '1'\n    url: ftp://x.example/\n", encoding="utf-8")
    res = cli("export", str(bad), "-f", "markdown")
    assert res.exit_code == 1
    assert res.stderr.strip() == f"citewatch: {bad}:3: citation 1: url must be an http(s) URL, not 'ftp://x.example/'"
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    res = cli("export", str(citations_file), "-f", "markdown", "-o", str(blocker / "out.md"))
    assert res.exit_code == 1 and res.stderr.startswith(f"citewatch: {blocker / 'out.md'}: cannot write")
    assert len(res.stderr.strip().splitlines()) == 1
    # a slip of -o must not replace the hand-kept citations file with an export
    before = citations_file.read_text(encoding="utf-8")
    res = cli("export", str(citations_file), "-f", "markdown", "-o", str(citations_file))
    assert res.exit_code == 1 and "is the citations file itself" in res.stderr
    assert citations_file.read_text(encoding="utf-8") == before


def test_a_repeat_of_a_removed_note_is_exported_in_its_place(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "citations:\n  - id: '1'\n    title: First\n    url: https://a.example/\n    note_removed: true\n"
        "  - id: '2'\n    title: First\n    url: https://a.example/\n    same_as: '1'\n",
        encoding="utf-8",
    )
    _, selection = export(cit.load(path, for_update=False), Format.MARKDOWN)
    assert [s.id for s in selection.sources] == ["2"] and selection.removed == ["1"] and selection.repeats == []


def test_export_help_names_every_format_with_an_example():
    res = cli("export", "--help")
    assert res.exit_code == 0 and "Example" in res.output
    for fmt in Format:
        assert fmt.value in res.output
