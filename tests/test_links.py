"""Linked sources: articles that cite with links (HTML body links, Markdown links of every kind,
bare URLs, Sources lists) become citations with their link text and citing sentence, and
what a page links that is not a source is left out."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline import citations as cit
from pipeline.cli import main
from pipeline.extract import extract
from pipeline.footnotes import parse_article
from pipeline.footnotes.sentences import sentence_before_marker

NEWS_PAGE = """<!doctype html>
<html><head><title>Ministry says exports grew | Daily Example</title>
<link rel="canonical" href="https://news.example.com/world/2024/exports-grew">
</head><body class="single author-3">
<header><a href="/">Daily Example</a> <nav><a href="/world">World</a> <a href="/section/business">Business</a></nav>
<a href="/login">Sign in</a> <a href="/subscribe">Subscribe</a></header>
<article>
<h1>Ministry says exports grew</h1>
<div class="byline">By <a href="/authors/jane-doe">Jane Doe</a></div>
<div class="share-bar"><a href="https://www.facebook.com/sharer/sharer.php?u=x">Share</a>
<a href="https://twitter.com/intent/tweet?url=x">Tweet</a> <a href="mailto:?subject=x">Email</a></div>
<p>Exports grew 5% last year, the <a href="https://stats.example.gov/trade/2023">statistics office said</a>. The
figures were revised in March.</p>
<p>Critics disputed the method, as <a href="/2023/01/earlier-story">our earlier report</a> showed.
Call <a href="tel:+123">us</a> or <a href="javascript:void(0)">print</a> or jump <a href="#comments">to comments</a>.</p>
<p>The <a href="https://stats.example.gov/trade/2023">same office</a> later confirmed it.</p>
<p>Read the <a href="/tag/trade">trade</a> page or the <a href="https://news.example.com/">front page</a>.</p>
<h2>Sources</h2>
<ul><li><a href="https://imf.example.org/weo">IMF World Economic Outlook</a>, April 2024</li></ul>
<div class="tags"><a href="/topics/economy">economy</a></div>
<section class="related-stories"><h3>Related</h3><a href="/world/other">Other story</a></section>
<p><a href="https://apps.example.com/join">Join</a> | <a href="https://apps.example.com/app">Get the app</a></p>
<p><a href="https://photos.example.com/1"><img src="x.jpg"></a> Photo: Reuters</p>
<ul><li><a href="/world/2024/teaser">Ferry fares rise again</a> 3 hours ago</li></ul>
<p>According to <a href="https://bls.example.gov/jobs">the Bureau's monthly jobs report</a>, jobs grew.</p>
</article>
<aside><a href="https://ads.example.com/x">Ad</a></aside>
<footer><a href="/about">About</a> <a href="https://twitter.com/dailyexample">Follow us</a></footer>
</body></html>
"""

MARKDOWN_POST = """---
title: "Salmon and the Nobel"
date: 2024-03-05
---
# Salmon and the Nobel

Norway's salmon exports collapsed after the prize, as [the NYT reported](https://www.nytimes.com/2016/12/19/norway.html "Norway and China"). Trade resumed
six years later, according to [official figures][ssb]. See also <https://example.org/autolink> and
https://bare.example.com/path/page.html.

The [NYT piece](https://www.nytimes.com/2016/12/19/norway.html) was widely cited. Code `https://code.example/x` is not.

```
https://fenced.example/no
```

## Further reading

- [A book review](https://reviews.example.net/book)
- https://list.example.com/item

[ssb]: https://www.ssb.no/en/utenriksokonomi "Statistics Norway"
"""


# no <article>, <main> or body class: the body is found by trafilatura's main-content extraction
DIV_PAGE = """<!doctype html>
<html><head><title>Port strike ends</title><base href="https://www.portnews.example/2024/05/strike"></head>
<body>
<div class="top"><a href="/">Port News</a> | <a href="/world">World</a> | <a href="/business">Business</a> | <a href="/sport">Sport</a></div>
<div class="wrap">
<div class="c1">
<h1>Port strike ends after nine days</h1>
<div class="txt">
<p>Dock workers in the harbour returned to work on Monday after nine days, ending a strike that had held up more than two hundred container ships, the <a href="https://union.example.org/statement">union said in a statement</a> issued late on Sunday evening after a long night of talks.</p>
<p>The port authority estimated the cost of the stoppage at forty million euros, according to <a href="/2024/05/cost-estimate">its own estimate published last week</a>, and said that the backlog of ships waiting outside the harbour would take at least a week to clear.</p>
<p>Shipping companies had diverted some vessels to neighbouring ports during the strike, and several exporters said they had lost orders because goods could not leave the country on time, as <a href="https://trade.example.com/survey-2024">a survey of exporters</a> found earlier this month.</p>
<p>Talks between the union and the employers' association are due to resume in June on the remaining questions of shift patterns and overtime pay, both sides said in separate statements on Monday morning.</p>
</div>
</div>
<div class="c2"><ul><li><a href="/world/other-story">Ferry fares rise again</a></li><li><a href="/world/third-story">New bridge opens</a></li><li><a href="/world/fourth">Airport expands</a></li></ul></div>
</div>
<div class="bottom"><a href="/about">About us</a> <a href="/contact">Contact</a> <a href="/privacy">Privacy</a></div>
</body></html>
"""


def sources(path: Path) -> dict[str, list[tuple[int | None, str | None, str | None]]]:
    article = parse_article(path)
    return {s.url: [(p.line, p.link_text, p.citing_text) for p in s.places] for s in article.links}


def test_news_page_body_links_without_the_boilerplate(tmp_path):
    page = tmp_path / "news.html"
    page.write_text(NEWS_PAGE, encoding="utf-8")
    found = sources(page)
    assert found == {
        "https://stats.example.gov/trade/2023": [
            (12, "statistics office said", "Exports grew 5% last year, the statistics office said."),
            (16, "same office", "The same office later confirmed it."),
        ],
        # relative, resolved against the canonical URL
        "https://news.example.com/2023/01/earlier-story": [
            (14, "our earlier report", "Critics disputed the method, as our earlier report showed.")
        ],
        "https://imf.example.org/weo": [
            (19, "IMF World Economic Outlook", "IMF World Economic Outlook, April 2024"),
        ],
        # a short sentence that is mostly its link still cites it
        "https://bls.example.gov/jobs": [
            (25, "the Bureau's monthly jobs report", "According to the Bureau's monthly jobs report, jobs grew.")
        ],
    }
    assert parse_article(page).title == "Ministry says exports grew"


def test_markdown_post_with_every_kind_of_link(tmp_path):
    post = tmp_path / "post.md"
    post.write_text(MARKDOWN_POST, encoding="utf-8")
    article = parse_article(post)
    assert article.title == "Salmon and the Nobel" and str(article.date) == "2024-03-05"
    found = sources(post)
    assert list(found) == [
        "https://www.nytimes.com/2016/12/19/norway.html",
        "https://www.ssb.no/en/utenriksokonomi",
        "https://example.org/autolink",
        "https://bare.example.com/path/page.html",
        "https://reviews.example.net/book",
        "https://list.example.com/item",
    ]
    assert found["https://www.nytimes.com/2016/12/19/norway.html"] == [
        (7, "the NYT reported", "Norway's salmon exports collapsed after the prize, as the NYT reported."),
        (11, "NYT piece", "The NYT piece was widely cited."),
    ]
    assert found["https://www.ssb.no/en/utenriksokonomi"] == [
        (8, "official figures", "Trade resumed six years later, according to official figures.")
    ]
    assert found["https://bare.example.com/path/page.html"][0][0] == 9
    assert found["https://reviews.example.net/book"] == [(19, "A book review", "A book review")]


def test_plain_text_with_bare_urls(tmp_path):
    text = tmp_path / "t.txt"
    text.write_text(
        "Rising seas\n\nThe report (https://ipcc.example.int/ar6) warns of rising seas. Dr. Lee agreed.\n"
        "Data: www.noaa.example.gov/sea-level, updated daily.\n\nMore at https://ipcc.example.int/ar6.\n",
        encoding="utf-8",
    )
    assert sources(text) == {
        "https://ipcc.example.int/ar6": [
            (3, "https://ipcc.example.int/ar6", "The report (https://ipcc.example.int/ar6) warns of rising seas."),
            (6, "https://ipcc.example.int/ar6", "More at https://ipcc.example.int/ar6."),
        ],
        "https://www.noaa.example.gov/sea-level": [
            (4, "www.noaa.example.gov/sea-level", "Data: www.noaa.example.gov/sea-level, updated daily.")
        ],
    }


def test_a_sources_list_with_no_markers_is_linked_sources_with_their_fields(tmp_path):
    text = tmp_path / "piece.txt"
    text.write_text(
        "A piece\n\nThe talks failed, officials said.\n\nSources\n"
        '1. Reuters, "Talks collapse in Geneva," May 3, 2024, https://reuters.example.com/talks\n'
        '2. BBC, "Geneva talks end," 2024\n',
        encoding="utf-8",
    )
    article = parse_article(text)
    assert [s.url for s in article.links] == ["https://reuters.example.com/talks"]
    assert [n.id for n in article.notes] == ["2"]  # no address: stays a note for `resolve`
    out = tmp_path / "c.yaml"
    extract(text, out)
    entry = cit.load(out).entry("link-1")
    assert entry["kind"] == "link" and entry["publisher"] == "Reuters"
    assert entry["title"] == "Talks collapse in Geneva"


def test_footnote_and_body_link_to_one_url_are_one_source(tmp_path):
    post = tmp_path / "p.md"
    post.write_text(
        "The [ministry said](https://gov.example/a) so.[^1] Others [disagreed](https://other.example/b).\n\n"
        '[^1]: Ministry, "Statement," 2024, https://gov.example/a\n',
        encoding="utf-8",
    )
    article = parse_article(post)
    assert [n.urls for n in article.notes] == [["https://gov.example/a"]]
    assert [s.url for s in article.links] == ["https://other.example/b"]
    assert article.notes[0].citing_text == "The ministry said so."


def test_citations_file_lists_every_place_and_keeps_ids_by_url(tmp_path):
    post = tmp_path / "post.md"
    post.write_text(MARKDOWN_POST, encoding="utf-8")
    out = tmp_path / "citations.yaml"
    extract(post, out)
    cf = cit.load(out)
    nyt = next(c for c in cf.citations if c.url == "https://www.nytimes.com/2016/12/19/norway.html")
    assert nyt.kind == "link" and nyt.link_text == "the NYT reported"
    assert nyt.citing_text == "Norway's salmon exports collapsed after the prize, as the NYT reported."
    assert [p.line for p in nyt.places] == [7, 11]
    assert str(cf.doc["article"]["date"]) == "2024-03-05"  # from the front matter
    # a new link at the top: the old ones keep their ids, the new one gets the next number
    post.write_text(
        MARKDOWN_POST.replace("# Salmon and the Nobel\n", "# Salmon and the Nobel\n\nSee [x](https://new.example/x).\n")
    )
    extract(post, out)
    again = {c.url: c.id for c in cit.load(out).citations}
    assert again["https://www.nytimes.com/2016/12/19/norway.html"] == nyt.id
    assert again["https://new.example/x"] == "link-7"


def test_markdown_numbered_notes_work_without_format_text(tmp_path):
    post = tmp_path / "notes.md"
    post.write_text(
        "# Title\n\nThe talks failed.[1] Trade resumed.[2]\n\n## Notes\n\n"
        '1. Reuters, "Talks collapse," 2024, https://reuters.example.com/t\n'
        '2. BBC, ["Trade resumes"](https://bbc.example.co.uk/t), 2024\n',
        encoding="utf-8",
    )
    article = parse_article(post)
    assert [(n.id, n.urls) for n in article.notes] == [
        ("1", ["https://reuters.example.com/t"]),
        ("2", ["https://bbc.example.co.uk/t"]),
    ]
    assert [m.id for m in article.markers] == ["1", "2"] and article.links == []
    post.write_text("A [2019] survey, [linked](https://s.example/x).\n", encoding="utf-8")
    assert parse_article(post).findings == []  # no notes anywhere: a year in brackets, not a marker


def test_the_marker_sentence_and_the_quotation_it_closes():
    text = 'He spoke. The minister said: "We will not yield. We never have."[3] Talks went on.'
    assert sentence_before_marker(text, text.index("[3]")) == ('The minister said: "We will not yield. We never have."')
    text = "Mr. Smith said sales fell[2] by half. Next."
    assert sentence_before_marker(text, text.index("[2]")) == "Mr. Smith said sales fell by half."


def cli(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_two_articles_run_in_one_folder_keep_both_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a.md").write_text('A says so.[^1]\n\n[^1]: Ex, "One," 2021, http://127.0.0.1:9/one\n', encoding="utf-8")
    Path("b.md").write_text("B [links](http://127.0.0.1:9/two) instead.\n", encoding="utf-8")
    args = ["--no-wayback", "--timeout", "1", "--retries", "0", "--archive-dir", "arch"]
    assert cli("run", "a.md", *args).exit_code == 0
    res = cli("run", "b.md", *args)
    assert res.exit_code == 0, res.output
    assert "citations.yaml holds the sources of a.md; using citations/b.yaml" in res.stderr
    a = cit.load(tmp_path / "citations.yaml")
    assert [(c.id, c.url) for c in a.citations] == [("1", "http://127.0.0.1:9/one")]
    assert "note_removed" not in (tmp_path / "citations.yaml").read_text(encoding="utf-8")
    b = cit.load(tmp_path / "citations" / "b.yaml")
    assert [(c.id, c.url) for c in b.citations] == [("link-1", "http://127.0.0.1:9/two")]
    assert "| link-1 | [“links”](<http://127.0.0.1:9/two>) |" in Path("reports/b.md").read_text(encoding="utf-8")
    # sharing a file on purpose: the second article's ids are its own, the first's untouched
    res = cli("run", "b.md", "--citations", "citations.yaml", *args)
    assert res.exit_code == 0, res.output
    shared = cit.load(tmp_path / "citations.yaml")
    assert [(c.id, c.url) for c in shared.citations] == [
        ("1", "http://127.0.0.1:9/one"),
        ("b:link-1", "http://127.0.0.1:9/two"),
    ]
    assert "note_removed" not in (tmp_path / "citations.yaml").read_text(encoding="utf-8")
    assert (
        cli("extract", "b.md", "--dry-run", "-o", "b.yaml").output
        == "1 linked source (markdown); 0 errors, 0 warnings; would write b.yaml\n"
    )
    # extract refuses to write one article's sources into another's file, and says what to pass
    res = cli("extract", "b.md")
    assert res.exit_code == 1
    assert (
        res.stderr.strip() == "citewatch: citations.yaml holds the sources of a.md, not b.md; pass -o citations/b.yaml"
    )


def test_a_run_of_several_articles_keeps_using_the_file_a_run_of_one_wrote(tmp_path, monkeypatch):
    """`run a.md`, a title corrected by hand in citations.yaml, then `run a.md b.md`: a.md
    keeps its file and the correction (it used to start a fresh citations/a.yaml, the
    edited file left behind unsaid), b.md gets citations/b.yaml, and the run says so.
    And back: `run a.md` alone after that keeps to the same file."""
    monkeypatch.chdir(tmp_path)
    Path("a.md").write_text('A says so.[^1]\n\n[^1]: Ex, "One," 2021, http://127.0.0.1:9/one\n', encoding="utf-8")
    Path("b.md").write_text("B [links](http://127.0.0.1:9/two) instead.\n", encoding="utf-8")
    args = ["--no-wayback", "--timeout", "1", "--retries", "0", "--archive-dir", "arch"]
    assert cli("run", "a.md", *args).exit_code == 0
    edited = Path("citations.yaml").read_text(encoding="utf-8").replace("title: One", "title: One (corrected)")
    Path("citations.yaml").write_text(edited, encoding="utf-8")
    res = cli("run", "a.md", "b.md", *args)
    assert res.exit_code == 0, res.output
    assert (
        "citewatch: using citations.yaml for a.md: its citations file from an earlier run of it alone"
        in res.stderr.splitlines()
    )
    assert not Path("citations/a.yaml").exists()
    assert [c.title for c in cit.load(tmp_path / "citations.yaml").citations] == ["One (corrected)"]
    assert [c.url for c in cit.load(tmp_path / "citations" / "b.yaml").citations] == ["http://127.0.0.1:9/two"]
    assert "One (corrected)" in Path("reports/a.json").read_text(encoding="utf-8")  # what was checked
    # a file of its own under citations/ as well (written by hand, or by an older version):
    # that one is used, and the run names the one it leaves alone
    Path("citations/a.yaml").write_text(edited.replace("(corrected)", "(in the dir)"), encoding="utf-8")
    res = cli("run", "a.md", "b.md", *args)
    assert res.exit_code == 0, res.output
    assert (
        "citewatch: using citations/a.yaml for a.md; citations.yaml, from an earlier run of it alone,"
        " is left as it is and not read" in res.stderr.splitlines()
    )
    assert Path("citations.yaml").read_text(encoding="utf-8") == edited  # untouched


def test_a_run_of_one_article_finds_its_file_from_a_run_of_several(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a.md").write_text('A says so.[^1]\n\n[^1]: Ex, "One," 2021, http://127.0.0.1:9/one\n', encoding="utf-8")
    Path("b.md").write_text("B [links](http://127.0.0.1:9/two) instead.\n", encoding="utf-8")
    args = ["--no-wayback", "--timeout", "1", "--retries", "0", "--archive-dir", "arch"]
    assert cli("run", "a.md", "b.md", *args).exit_code == 0
    res = cli("run", "a.md", *args)
    assert res.exit_code == 0, res.output
    assert "citewatch: using citations/a.yaml, the citations file of a.md from an earlier run" in res.stderr
    assert not Path("citations.yaml").exists()


def test_an_article_with_no_sources_exits_1(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("empty.md").write_text("# Nothing cited\n\nJust prose.\n", encoding="utf-8")
    res = cli("run", "empty.md", "--no-wayback")
    assert res.exit_code == 1
    assert res.stderr.splitlines()[-1].startswith("citewatch: no sources found in empty.md (looked for footnotes")
    assert not Path("citations.yaml").exists()


def test_fail_on_a_note_problem_fails_the_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a.md").write_text(
        'Cited.[^1] And a ghost.[^9]\n\n[^1]: Ex, "One," 2021, http://127.0.0.1:9/one\n', encoding="utf-8"
    )
    args = ["run", "a.md", "--no-wayback", "--timeout", "1", "--retries", "0"]
    res = cli(*args)
    assert res.exit_code == 0  # the default fails only on confirmed dead sources
    assert "a.md:1: footnote 9: error: the body cites 9 but there is no such note [marker-without-note]" in res.output
    failed = cli(*args, "--fail-on", "marker-without-note")
    assert failed.exit_code == 2
    # a failed job names what failed it, on the terminal and in the report
    assert "1 problem failing this run: 9: " in failed.stderr and "marker-without-note" in failed.stderr
    assert "Failing this run: 9: " in Path("reports/a.md").read_text(encoding="utf-8")
    assert cli(*args, "--fail-on", "findings:error").exit_code == 2
    assert cli(*args, "--fail-on", "note-not-cited").exit_code == 0
    quiet = cli(*args, "-q")
    assert "marker-without-note" not in quiet.output


def test_a_big_broken_html_article_extracts_in_linear_time(tmp_path):
    """1 MB of HTML with 16,000 unclosed <p>, 16,000 body links, note markers and a note
    list: notes, markers and linked sources all read in under 2 s of CPU."""
    parts = ["<html><head><link rel=canonical href='https://n.example/a'></head><body><article><h1>Big</h1>"]
    for i in range(16000):
        marker = f"<sup><a href='#fn{i % 50 + 1}'>{i % 50 + 1}</a></sup>" if i % 9 == 0 else ""
        parts.append(f"<p>Claim {i} rests on <a href='https://s{i % 400}.example/r{i}'>a report</a>.{marker} More.")
    parts.append("<h2>Notes</h2><ol>")
    parts += [
        f"<li id='fn{n}'>Reuters, “Story {n},” 2023, <a href='https://r.example/{n}'>link</a></li>"
        for n in range(1, 51)
    ]
    page = tmp_path / "big.html"
    page.write_text("".join(parts) + "</ol></article></body></html>", encoding="utf-8")
    assert page.stat().st_size > 1_000_000
    started = time.process_time()  # CPU time: other processes on a loaded machine do not count
    article = parse_article(page)
    assert time.process_time() - started < 2.0
    assert len(article.notes) == 50 and len(article.markers) == 1778 and len(article.links) == 16000
    assert article.notes[0].raw == "Reuters, “Story 1,” 2023, link" and article.notes[0].urls == ["https://r.example/1"]


def test_an_ibid_note_shows_the_note_it_repeats_in_every_report(tmp_path, monkeypatch):
    import json

    monkeypatch.chdir(tmp_path)
    Path("a.txt").write_text(
        "Title\n\nIt was so.{1} Again.{2} Elsewhere.{3}\n\n"
        '{1} Ex, "One," 2021, http://127.0.0.1:9/one\n{2} Ibid.\n{3} BBC, "No address," 2020\n',
        encoding="utf-8",
    )
    res = cli("run", "a.txt", "--no-wayback", "--timeout", "1", "--retries", "0", "--allow-private")
    assert res.exit_code == 0, res.output
    report = json.loads(Path("reports/a.json").read_text(encoding="utf-8"))
    two = next(r for r in report["results"] if r["id"] == "2")
    assert two["same_as"] == "1" and two["reason"] == "same as note 1 (unreachable)"
    md = Path("reports/a.md").read_text(encoding="utf-8")
    assert r"same as note 1 \(unreachable\)" in md
    assert "same as note 1 (unreachable)" in Path("reports/a.html").read_text(encoding="utf-8")
    unresolved = md.split("## Unresolved citations", 1)[1].split("##", 1)[0]
    assert "{3}" in unresolved and "{2}" not in unresolved


def test_an_html_note_keeps_its_text_as_the_reader_sees_it(tmp_path):
    page = tmp_path / "n.html"
    page.write_text(
        '<html><body><p>Talks failed.<a href="#fn1" id="r1">1</a></p><ol class="footnotes">'
        '<li id="fn1"><em>Data &amp; Research </em>, “<a href="https://x.example/a">Talks <b>collapse</b></a>,”'
        ' May 3, 2024. <a href="#r1">↩</a></li></ol></body></html>',
        encoding="utf-8",
    )
    note = parse_article(page).notes[0]
    assert note.raw == "Data & Research , “Talks collapse,” May 3, 2024."  # no address inside the quotes
    assert note.urls == ["https://x.example/a"] and note.title == "Talks collapse"
    assert note.publisher == "Data & Research"  # no space left at its end
    assert note.citing_text == "Talks failed."


def test_a_page_without_article_markup_finds_its_body_by_main_content_extraction(tmp_path):
    page = tmp_path / "divs.html"
    page.write_text(DIV_PAGE, encoding="utf-8")
    assert {url: places[0][:2] for url, places in sources(page).items()} == {
        "https://union.example.org/statement": (9, "union said in a statement"),
        "https://www.portnews.example/2024/05/cost-estimate": (10, "its own estimate published last week"),
        "https://trade.example.com/survey-2024": (11, "a survey of exporters"),
    }  # not the menu, the "more stories" column or the footer


def test_extract_of_findings_only_says_1_error_and_fails(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a.txt").write_text("Title\n\nIt cites a note that is not there.{4}\n", encoding="utf-8")
    res = cli("extract", "a.txt")
    assert res.exit_code == 1
    assert "a.txt:3: footnote 4: error: the body cites 4 but there is no such note [marker-without-note]" in res.output
    assert "1 error, 0 warnings" in res.output
    assert res.stderr.startswith("citewatch: no sources found in a.txt")


def test_relative_links_on_a_page_with_no_address_of_its_own_are_reported(tmp_path):
    page = tmp_path / "saved.html"
    page.write_text(
        '<html><body><article><p>See <a href="/2024/report">the report</a> and'
        ' <a href="https://ok.example/a">this</a>.</p></article></body></html>',
        encoding="utf-8",
    )
    article = parse_article(page)
    assert [s.url for s in article.links] == ["https://ok.example/a"]
    assert [(f.code, f.message) for f in article.findings] == [
        (
            "relative-links",
            "1 relative link(s) left out: the page names no address of its own"
            " (<link rel=canonical> or <base href>) to resolve them against",
        )
    ]


def test_notes_of_text_and_pasted_html_articles_keep_their_citing_sentence():
    from .conftest import EXAMPLE, FIXTURES

    example = {n.id: n.citing_text for n in parse_article(EXAMPLE).notes}
    assert example["4"] == (
        "The Chinese authorities demanded the surrender of the siblings’ father, Liu Changming,"
        " a former bank official who had fled China after allegedly making $1.6 billion in illegal loans."
    )
    assert example["1"] is None  # never cited
    pasted = {n.id: n.citing_text for n in parse_article(FIXTURES / "articles" / "pasted-notes.html").notes}
    assert pasted["2"] == "Critics said it was rushed."  # a bare superscript marker


REAL_PAGES = Path(__file__).resolve().parents[2] / "shared" / "realpages" / "pages"


def real_page(name: str) -> str:
    import gzip

    import pytest

    path = REAL_PAGES / f"{name}.html.gz"
    if not path.exists():
        pytest.skip(f"{path} is absent: the real saved pages live in ../shared/realpages beside the project")
    return gzip.decompress(path.read_bytes()).decode("utf-8")


def test_real_news_pages_list_the_sources_their_text_links_and_nothing_else():
    from pipeline.footnotes.htmlbody import from_html

    def hosts(name: str) -> list[str]:
        links, _ = from_html(real_page(name), [])
        return [s.url.split("/")[2] for s in links]

    # a report citing seven documents and articles inline; its menus, share bar, author box,
    # newsletter box and "more stories" give nothing
    assert hosts("fundus-za-DailyMaverick_2026_01_06") == [
        "www.ewn.co.za",
        "www.wiego.org",
        "iol.co.za",
        "www.dailymaverick.co.za",
        "joburg.org.za",
        "joburg.org.za",
        "theconversation.com",
    ]
    # two statistics sources, one under a path that is a topic page only on a news site
    assert hosts("fundus-de-NetzpolitikOrg_2024_04_28") == ["www.destatis.de", "www.bmfsfj.de"]
    # an article with no inline links: its <article> holds menus and teaser lists only
    assert hosts("fundus-jp-MainichiShimbun_2025_01_14") == []


def test_a_big_page_without_article_markup_is_read_in_bounded_time():
    """trafilatura's work grows faster than the page: above a size the rules alone read it."""
    from pipeline.footnotes.htmlbody import MAIN_TEXT_MAX_CHARS, from_html

    block = (
        "<div class=t><p>Claim {i} rests on <a href='https://s{i}.example/r'>a report</a> released on Monday.</p></div>"
    )
    parts = ["<html><head><link rel=canonical href='https://n.example/a'></head><body><div class=c>"]
    size = i = 0
    while size < MAIN_TEXT_MAX_CHARS * 1.2:
        parts.append(block.format(i=i))
        size, i = size + len(parts[-1]), i + 1
    started = time.process_time()
    found, _ = from_html("".join(parts) + "</div></body></html>", [])
    assert time.process_time() - started < 3.0
    assert len(found) == i


def test_one_huge_paragraph_is_read_in_linear_time(tmp_path):
    """No blank line in 1 MB of text: 16,000 bare URLs and 16,000 markers in one paragraph."""
    lines = [
        f"Claim {i} per https://s{i % 300}.example/r{i} was said. Mr. Lee agreed.{{{i % 20 + 1}}}" for i in range(16000)
    ]
    notes = [f'{{{n}}} Reuters, "Story {n}," 2023, https://r.example/{n}' for n in range(1, 21)]
    text = tmp_path / "one.txt"
    text.write_text("Title\n\n" + "\n".join(lines) + "\n\n" + "\n".join(notes) + "\n", encoding="utf-8")
    started = time.process_time()
    article = parse_article(text)
    assert time.process_time() - started < 2.0
    assert len(article.links) == 16000 and len(article.notes) == 20
    assert article.links[5].places[0].citing_text == "Claim 5 per https://s5.example/r5 was said."
    assert article.notes[0].citing_text == "Mr. Lee agreed."


def test_an_article_of_thousands_of_links_is_written_to_its_citations_file_in_linear_time(tmp_path):
    """Writing the sources into citations.yaml: each entry was found again by comparing whole
    YAML entries from the top (1,600 links: 8.8 s; 4,500: minutes)."""
    article = tmp_path / "many.md"
    article.write_text(
        "# Many\n\n" + "".join(f"Claim {i} [a source](https://s{i}.example/r).\n\n" for i in range(1500)),
        encoding="utf-8",
    )
    out = tmp_path / "citations.yaml"
    started = time.process_time()
    extract(article, out)
    extract(article, out)  # and merged again into the file it wrote
    assert time.process_time() - started < 6.0  # ~2.5 s; before: 7 s for the first write alone
    assert len(cit.load(out).citations) == 1500


@pytest.mark.parametrize("written", ['"{u}"', "'{u}'", "[{u}]", "‹{u}›", "({u})"])
def test_a_bare_url_in_quotes_or_brackets_is_a_source(tmp_path, written):
    text = tmp_path / "q.txt"
    text.write_text("Title\n\nSee " + written.format(u="https://a.example/q1") + " now.\n", encoding="utf-8")
    assert [s.url for s in parse_article(text).links] == ["https://a.example/q1"]


def test_an_html_attribute_in_plain_text_is_not_a_bare_url(tmp_path):
    text = tmp_path / "q.txt"
    text.write_text('Title\n\nSee <a href="https://a.example/q1">x</a> and https://b.example/q2 now.\n')
    assert [s.url for s in parse_article(text).links] == ["https://b.example/q2"]


def test_inline_code_keeps_its_words_in_the_link_text_and_sentence_but_is_no_source(tmp_path):
    post = tmp_path / "c.md"
    post.write_text(
        "# T\n\nSee [the `foo` report by *Smith*](http://a.example/r1) now. Code `http://b.example/x` is no source.\n",
        encoding="utf-8",
    )
    [source] = parse_article(post).links
    place = source.places[0]
    assert source.url == "http://a.example/r1" and place.link_text == "the foo report by Smith"
    assert place.citing_text == "See the foo report by Smith now."


def test_an_article_of_thousands_of_notes_sorts_its_findings_in_linear_time(tmp_path):
    """The findings (a note without a title, a date...) are listed in note order: each
    finding's note was looked up from the first note on (10,000 notes: 10 s of a 15 s
    extract). Not written out here: the YAML writer's own time is another test's."""
    article = tmp_path / "many.txt"
    article.write_text(
        "Intro {1}.\n\nNotes\n\n" + "".join(f"{{{i}}} Reuters, https://example.org/{i}\n" for i in range(1, 6001)),
        encoding="utf-8",
    )
    started = time.process_time()
    result = extract(article, tmp_path / "citations.yaml", write=False)
    assert time.process_time() - started < 3.0  # ~0.6 s; before: 4.5 s
    assert len(result.findings) >= 6000


def test_every_marker_is_found_where_its_own_pattern_finds_it():
    """``_first_tokens`` reads every marker of a paragraph in one pass per shape; for each
    note id it must give the place ``_marker_token(id)`` finds (or none, and the caller asks
    that pattern). Random texts of marker shapes, brackets and separators."""
    import random

    from pipeline.footnotes.links import _first_tokens, _marker_token

    rng = random.Random(7)
    pieces = ["[^1]", "[^12]", "{1}", "{2}", "[1]", "[1, 2]", "[1–3]", "[2-4]", "[a]", "[1, a]", "[a, b]", "¹", "¹²"]
    pieces += ["²", "³¹", "{[1]}", "[[1]]", "{a{1}", "[^[1]]", "x", " ", ",", "1", "[", "]", "{", "}", "^", "-", "–"]
    pieces += ["[ 1]", "[1 ,2]", "⁰", "a", "[^a]", "[^ 1]", "{ 1}"]
    ids = ["1", "2", "3", "12", "13", "31", "a", "b", "0", "10", " 1"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        first = _first_tokens(text)
        for marker_id in ids:
            m = _marker_token(marker_id).search(text)
            if marker_id in first:
                assert m is not None and m.start() == first[marker_id], (text, marker_id)
