"""Footnote extraction: the example article, Markdown and HTML shapes, and the notes' own problems."""

from __future__ import annotations

import re

import pytest

from pipeline.footnotes import ArticleError, parse_article
from pipeline.model import PartialDate

from .conftest import EXAMPLE, FIXTURES
from .docx import field_link, link, make_docx, para, ref, run

ARTICLES = FIXTURES / "articles"


@pytest.fixture(scope="module")
def example():
    return parse_article(EXAMPLE)


def codes(article, code):
    return {f.footnote: f for f in article.findings if f.code == code}


def test_example_has_all_27_notes_with_lines(example):
    assert example.format == "text"
    assert example.title == "CCP, Master of Hostage Diplomacy"
    assert [n.id for n in example.notes] == [str(i) for i in range(1, 28)]
    assert example.notes[0].line == 83 and example.notes[-1].line == 109


@pytest.mark.parametrize(
    "note_id,publisher,title,date",
    [
        (
            "1",
            "Daily Mail",
            "Cheng Lei: Australian TV presenter is freed by China and finally returns home to Melbourne after three years in a ‘black jail’ accused of spying",
            "2023-10-11",
        ),
        ("3", "Kyodo News", "Hong Kong-based Nomura banker faces exit ban from China amid probe: FT", "2023-09-25"),
        (
            "4",
            "VOA",
            "After Meng’s Release, Two Chinese American Siblings Trapped in China for More Than 3 Years Were Allowed to Return to the U.S.",
            "2021-09-28",
        ),
        ("5", "China News Digest", "The Relationship Between the CCP and the Christianity: the Red Army", None),
        ("7", "Beijing Sprint", "Fang Zhimin Killed the Hostages After Didn’t Get Huge Ransom Payment", "2011-04-04"),
        ("9", "Biographical Dictionary of Chinese Christianity", "Rudolf Alfred Bosshardt", None),
        (
            "10",
            "Taylor & Francis Online",
            "Hostage Diplomacy: Britain, China, and the Politics of Negotiation, 1967–1969",
            "2009-11-03",
        ),
        (
            "17",
            None,
            "(Exclusive) Rio Tinto’s Chairman Exposed Why The Company Backed out of the Deal: Issuing Stock to Raise Money Than Getting the Infusion from Chinalco",
            "2009-06-08",
        ),
        (
            "22",
            "Chinascope",
            "Taiwan: Voice of China Commented on Far Eastern Group’s Statement of “Anti-Taiwan Independence”",
            "2021-12-02",
        ),
        ("26", "ChinaScope", "China’s ‘Panda Diplomacy’", "2023-10-20"),
    ],
)
def test_example_note_fields(example, note_id, publisher, title, date):
    note = next(n for n in example.notes if n.id == note_id)
    assert note.publisher == publisher
    assert note.title == title
    assert (note.date.iso() if note.date else None) == date


def test_non_latin_text_survives(example):
    five = next(n for n in example.notes if n.id == "5")
    assert "中国共产党与基督教的恩怨情仇(八):红军手里" in five.raw
    assert "中国共产党与基督教" in (five.extra or "")


def test_example_findings(example):
    assert set(codes(example, "note-not-cited")) == {"1"}
    ibid = codes(example, "ibid")
    assert set(ibid) == {"6"} and ibid["6"].related == "5"
    dups = codes(example, "duplicate-note")
    assert dups["8"].related == "5" and dups["16"].related == "14"
    assert codes(example, "note-not-cited")["1"].line == 83
    typo = codes(example, "publisher-typo")
    assert set(typo) == {"7"} and "Beijing Spring" in typo["7"].message


def test_example_missing_fields_and_urls(workdir):
    from pipeline.extract import extract

    result = extract("examples/hostage-diplomacy.txt", "citations.yaml")
    missing_pub = {f.footnote for f in result.findings if f.code == "missing-publisher"}
    assert missing_pub == {"17"}
    # the article links nothing; Ibid. is not a new source, so it is not asked for a URL
    assert result.without_url == 27
    assert len([f for f in result.findings if f.code == "missing-url"]) == 26


def test_example_with_known_urls_counts_what_is_left(tmp_path):
    """The shipped citations.yaml fills 7 known addresses: 20 notes remain without URL."""
    import shutil

    from pipeline.extract import extract

    from .conftest import ROOT

    shutil.copy(ROOT / "citations.yaml", tmp_path / "citations.yaml")
    result = extract(EXAMPLE, tmp_path / "citations.yaml", write=False)
    assert result.without_url == 20
    assert {c.id for c in result.file.citations if c.url} == {"3", "9", "10", "22", "24", "25", "27"}


def test_markdown_footnotes():
    a = parse_article(ARTICLES / "blog-post.md")
    assert a.format == "markdown" and a.title == "Salmon, pandas and pressure"
    notes = {n.id: n for n in a.notes}
    assert list(notes) == ["norway", "panda", "3", "mark", "unused"]
    assert notes["norway"].urls == [
        "https://www.nytimes.com/2016/12/19/world/europe/china-norway-nobel-liu-xiaobo.html"
    ]
    assert notes["norway"].date == PartialDate(2016, 12, 19)
    # multi-line definition, title taken from the link text
    assert notes["panda"].title == "China's 'Panda Diplomacy'"
    assert notes["panda"].publisher == "ChinaScope"
    assert notes["panda"].date == PartialDate(2023, 10, 20)
    assert "second line" in notes["panda"].raw
    # Chicago style: author before the title, publisher after
    assert notes["mark"].author == "Chi-kwan Mark" and notes["mark"].publisher == "Diplomacy & Statecraft"
    assert notes["mark"].date == PartialDate(2009)
    assert set(codes(a, "note-not-cited")) == {"unused"}
    assert set(codes(a, "marker-without-note")) == {"ghost"}
    assert codes(a, "ibid")["3"].related == "panda"
    # a marker inside a code block is not a citation
    assert all(m.line != 14 for m in a.markers)


def test_wordpress_html_footnotes():
    a = parse_article(ARTICLES / "wordpress.html")
    assert a.format == "html" and a.title == "Apologies extracted"
    notes = {n.id: n for n in a.notes}
    assert list(notes) == ["1", "2", "3", "4"]
    assert notes["1"].urls == ["https://www.bbc.com/news/business-59400735"]
    assert notes["1"].publisher == "BBC"
    assert notes["2"].title == "Intel apologises to China over Xinjiang products and labour directive"
    assert notes["2"].publisher == "The Guardian" and notes["2"].date == PartialDate(2021, 12, 23)
    assert notes["3"].title == "中澳领导人介入力拓“间谍案”" and notes["3"].publisher == "经济参考报"
    assert notes["3"].date == PartialDate(2009, 7, 17)
    assert "↩" not in notes["3"].raw  # back-links are not part of the note
    assert [m.id for m in a.markers] == ["1", "2", "2", "3"]  # the script's fake link is ignored
    assert set(codes(a, "note-not-cited")) == {"4"}


def test_wikipedia_reference_list():
    a = parse_article(ARTICLES / "wikipedia.html")
    notes = {n.id: n for n in a.notes}
    assert notes["1"].title == "CORRECTED: H.K.-based Nomura banker faces exit ban from China amid probe: FT"
    assert notes["1"].date == PartialDate(2023, 9, 25)  # not the "Retrieved" date
    assert notes["1"].urls == ["https://english.kyodonews.net/news/2023/09/88fcc58cfadb.html"]
    assert set(codes(a, "marker-out-of-order")) == {"2"}
    assert codes(a, "duplicate-note")["3"].related == "2"


def test_numbered_notes_under_a_heading():
    a = parse_article(ARTICLES / "numbered-notes.txt")
    assert [n.id for n in a.notes] == ["1", "2", "3", "4"]
    assert a.notes[0].urls == ["https://www.reuters.com/markets/fall"]
    assert a.notes[1].date == PartialDate(2020, 3, 10)
    assert codes(a, "ibid")["3"].related == "2"
    assert set(codes(a, "marker-without-note")) == {"5"}
    assert set(codes(a, "note-not-cited")) == {"4"}


def test_format_override_and_detection(tmp_path):
    p = tmp_path / "article.txt"
    p.write_text('Text [^a].\n\n[^a]: BBC, "Title," 2020.\n', encoding="utf-8")
    assert parse_article(p).notes == []  # as plain text: no {n}/[n] notes
    assert [n.id for n in parse_article(p, "markdown").notes] == ["a"]


@pytest.mark.parametrize(
    "text",
    ["October 11, 2023", "11 Oct 2023", "2023-10-11", "Oct. 11, 2023", "11 October, 2023", "2023年10月11日"],
)
def test_written_date_forms(text):
    from pipeline.footnotes.fields import parse_date_string

    assert parse_date_string(text) == PartialDate(2023, 10, 11)


def test_note_with_nothing_parseable_is_kept(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("Body {1}.\n\n{1} ??? -- ...\n", encoding="utf-8")
    a = parse_article(p)
    assert a.notes[0].raw == "??? -- ..."
    assert "unparsed-note" in {f.code for f in a.findings}


@pytest.mark.parametrize(
    "content,message",
    [(b"", "empty"), (b"\x00\x01\x02binary\x00", "binary"), (b"   \n\n", "empty")],
)
def test_bad_articles(tmp_path, content, message):
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    with pytest.raises(ArticleError, match=message):
        parse_article(p)


def test_missing_article(tmp_path):
    with pytest.raises(ArticleError, match="no such file"):
        parse_article(tmp_path / "nope.txt")


def test_legacy_encoded_article(tmp_path):
    p = tmp_path / "gbk.txt"
    p.write_bytes("正文 {1}。\n\n{1} 经济参考报，《中澳领导人介入力拓“间谍案”》，2009年7月17日。\n".encode("gbk"))
    a = parse_article(p)
    assert a.notes[0].title == "中澳领导人介入力拓“间谍案”"


def test_substack_footnotes_outside_a_list():
    """Notes in <div>s, found by the body anchors that point down to them; the table of
    contents (pointing at headings) and the notes' back-links (pointing up) are not notes."""
    a = parse_article(ARTICLES / "substack.html")
    notes = {n.id: n for n in a.notes}
    assert list(notes) == ["1", "2", "3"]
    assert notes["1"].publisher == "BBC" and notes["1"].urls == ["https://www.bbc.com/news/world-us-canada-58690978"]
    assert notes["1"].date == PartialDate(2021, 9, 25)
    assert notes["2"].title == "Norway and China Restore Ties, 6 Years After Nobel Prize Dispute"
    assert notes["3"].publisher == "The Guardian" and notes["3"].date == PartialDate(2021, 12, 23)
    assert not notes["1"].raw.startswith("1")  # the note's own number is not its text
    assert [m.id for m in a.markers] == ["1", "2", "3"]
    assert not [f for f in a.findings if f.code in ("note-not-cited", "marker-without-note")]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_unicode_text_with_a_byte_order_mark_reads_like_utf8(tmp_path, encoding):
    # Word's and Notepad's "Unicode text" is UTF-16 with a byte-order mark: full of zero
    # bytes, it was taken for a binary file
    text = EXAMPLE.read_text(encoding="utf-8")
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path = tmp_path / "article.txt"
    path.write_bytes(data)
    assert [(n.id, n.raw, n.urls, n.title) for n in parse_article(path).notes] == [
        (n.id, n.raw, n.urls, n.title) for n in parse_article(EXAMPLE).notes
    ]


@pytest.mark.parametrize(
    "data,message",
    [
        (b"\xff\xfe", "the file is empty"),
        (b"\xff\xfeA\x00\x00\xd8", "starts with a UTF-16 byte-order mark but is not UTF-16 text"),
    ],
)
def test_a_byte_order_mark_with_nothing_or_garbage_after_it(tmp_path, data, message):
    path = tmp_path / "article.txt"
    path.write_bytes(data)
    with pytest.raises(ArticleError, match=message):
        parse_article(path)


def test_word_save_as_web_page_footnotes():
    """Word marks notes with HTML 4 named anchors (<a name="_ftn1">), not ids, inside
    <div style="mso-element:footnote">; the file says windows-1252."""
    a = parse_article(ARTICLES / "word-web-page.htm")
    assert a.format == "html"
    notes = {n.id: n for n in a.notes}
    assert list(notes) == ["1", "2"]
    assert notes["1"].publisher == "The Guardian" and notes["1"].title == "China denies link to detentions"
    assert notes["1"].urls == ["https://www.theguardian.com/world/2018/dec/12/china-denies-link"]
    assert notes["2"].publisher == "Xinhua" and notes["2"].date == PartialDate(2018, 12, 13)
    assert not notes["1"].raw.startswith("[1]")  # the note's own number is not its text
    assert [m.id for m in a.markers] == ["1", "2"]
    assert not [f for f in a.findings if f.code in ("note-not-cited", "marker-without-note")]


def test_google_docs_export_footnotes_cite_the_address_not_googles_redirect():
    a = parse_article(ARTICLES / "google-docs.html")
    notes = {n.id: n for n in a.notes}
    assert list(notes) == ["1", "2"]
    assert notes["1"].urls == ["https://www.reuters.com/article/us-china-canada-idUSKCN1SM0BI"]
    assert "google.com/url" not in notes["1"].raw
    assert notes["1"].title == "China formally arrests two Canadians" and notes["1"].date == PartialDate(2019, 5, 16)
    assert notes["2"].publisher == "BBC News" and notes["2"].urls == []
    assert [m.id for m in a.markers] == ["1", "2"]


@pytest.mark.parametrize(
    "name,data,message",
    [
        ("draft.docx", b"PK\x03\x04" + b"\x00" * 100, "not a readable Word file"),
        ("draft.odt", b"PK\x03\x04" + b"\x00" * 100, "not a readable OpenDocument file"),
        ("draft.pages", b"PK\x03\x04" + b"\x00" * 100, "a word-processor file citewatch cannot read; save it as .docx"),
        ("draft.pdf", b"%PDF-1.7\n%\xe2\xe3\n" + b"\x00" * 100, "a PDF; export the article as a web page"),
        ("image.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "looks like a binary file"),
    ],
)
def test_files_that_are_not_articles_say_what_to_do(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    refused(path, message)


def refused(path, message):
    """The article is not read, and the one-line error names the file and says why."""
    with pytest.raises(ArticleError, match=re.escape(f"{path}: {message}")):
        parse_article(path)


def test_pandoc_inline_notes_are_marker_and_note_at_once(tmp_path):
    article = tmp_path / "inline.md"
    article.write_text(
        "# Inline\n"
        "\n"
        "The talks collapsed.[^talks] The deal was signed.^[Reuters, [Deal signed in\n"
        "Geneva](https://www.reuters.com/world/deal-2023-03-12/), 12 March 2023.] It held.^[Ibid.]\n"
        "\n"
        "An aside with a caret ^[ that never closes cites [^talks]\n"
        "\n"
        "```\n"
        "code does not cite: ^[BBC, https://bbc.co.uk/x]\n"
        "```\n"
        "\n"
        '[^talks]: BBC News, "Talks collapse", 1 March 2023, https://www.bbc.co.uk/news/world-1\n',
        encoding="utf-8",
    )
    a = parse_article(article)
    notes = {n.id: n for n in a.notes}
    assert list(notes) == ["talks", "inline-1", "inline-2"]  # reading order, as rendered
    signed = notes["inline-1"]
    assert signed.line == 3 and signed.publisher == "Reuters"
    assert signed.title == "Deal signed in Geneva"
    assert signed.urls == ["https://www.reuters.com/world/deal-2023-03-12/"]
    assert signed.date == PartialDate(2023, 3, 12)
    assert codes(a, "ibid")["inline-2"].related == "inline-1"
    assert not codes(a, "note-not-cited") and not codes(a, "marker-without-note")
    assert [(m.id, m.line) for m in a.markers] == [("talks", 3), ("inline-1", 3), ("inline-2", 4), ("talks", 6)]


def test_superscript_notes_copied_out_of_a_word_processor(tmp_path):
    article = tmp_path / "copied.txt"
    article.write_text(
        "Deal signed\n"
        "\n"
        "Officials confirmed the deal on Tuesday.¹ Critics said it was rushed.²³\n"
        "\n"
        "¹ Reuters, “Deal confirmed in Geneva”, 12 March 2023, https://www.reuters.com/world/deal-2023-03-12/\n"
        "² BBC News, “Critics attack rushed deal”, 13 March 2023, https://www.bbc.co.uk/news/world-123456\n"
        "³Ibid.\n"
        "¹² The Guardian, “A twelfth note”, 2023, https://www.theguardian.com/world/2023/mar/14/x\n",
        encoding="utf-8",
    )
    a = parse_article(article)
    assert [n.id for n in a.notes] == ["1", "2", "3", "12"]
    assert a.notes[0].title == "Deal confirmed in Geneva" and a.notes[0].date == PartialDate(2023, 3, 12)
    assert a.notes[1].urls == ["https://www.bbc.co.uk/news/world-123456"]
    assert codes(a, "ibid")["3"].related == "2"
    assert {m.id for m in a.markers} == {"1", "23"}  # ²³ side by side reads as 23, as typed
    assert set(codes(a, "note-not-cited")) == {"2", "3", "12"}


def test_html_with_typed_notes_and_bare_superscripts():
    """No anchors and no note list: notes typed as paragraphs under a heading, markers as
    bare <sup>, as a CMS or a pasted document gives them."""
    a = parse_article(ARTICLES / "pasted-notes.html")
    assert a.format == "html" and a.title == "Deal signed after a year of talks"
    notes = {n.id: n for n in a.notes}
    assert list(notes) == ["1", "2", "3", "4", "5"]
    assert notes["1"].line == 10 and notes["1"].publisher == "Reuters"
    assert notes["1"].title == "Deal signed in Geneva" and notes["1"].date == PartialDate(2023, 3, 12)
    assert notes["1"].urls == ["https://www.reuters.com/world/deal-2023-03-12/"]
    # the address, not Google's redirect; the title from the words that link it
    assert notes["2"].urls == ["https://www.bbc.co.uk/news/world-123456"]
    assert notes["2"].title == "Critics attack rushed deal"
    assert codes(a, "ibid")["3"].related == "2"
    assert notes["4"].urls == ["https://www.ft.com/content/abc-123"] and notes["4"].date == PartialDate(2023, 3, 14)
    assert "rights reserved" not in notes["5"].raw  # the footer is not part of the last note
    assert [(m.id, m.line) for m in a.markers] == [("1", 6), ("2", 6), ("3", 6), ("4", 8)]
    assert set(codes(a, "note-not-cited")) == {"5"}


def test_word_document_footnotes_and_endnotes(tmp_path):
    """Notes take the numbers Word shows (footnotes by first citation, endnotes i, ii, …),
    links their addresses from the part's relationships or from a HYPERLINK field."""
    path = make_docx(
        tmp_path / "draft.docx",
        [
            para(run("Deal signed after a year of talks"), style="Title"),
            para(
                run("Officials confirmed the deal."), ref("footnote", 7), run(" Critics objected."), ref("footnote", 3)
            ),
            para(run("The minister disagreed."), ref("footnote", 9), run(" Background."), ref("endnote", 2)),
        ],
        footnotes={
            3: run("BBC News, ") + link("rId5", "Critics attack rushed deal") + run(", 13 March 2023."),
            7: run("Reuters, “Deal signed in Geneva,” 12 March 2023, ") + link("rId4", "reuters.com") + run("."),
            9: run("Ibid."),
            12: run("Financial Times, “Markets shrug,” 2023, ")
            + field_link("https://www.ft.com/content/abc-123", "FT"),
        },
        endnotes={2: run("Le Monde, « Un accord contesté », 15 mars 2023, https://www.lemonde.fr/x.html")},
        links={
            "rId4": "https://www.reuters.com/world/deal-2023-03-12/",
            "rId5": "https://www.bbc.co.uk/news/world-123456",
        },
    )
    a = parse_article(path)
    assert a.format == "docx" and a.title == "Deal signed after a year of talks"
    notes = {n.id: n for n in a.notes}
    assert list(notes) == ["1", "2", "3", "4", "i"]
    assert notes["1"].publisher == "Reuters" and notes["1"].title == "Deal signed in Geneva"
    assert notes["1"].urls == ["https://www.reuters.com/world/deal-2023-03-12/"]
    assert notes["1"].date == PartialDate(2023, 3, 12)
    assert notes["2"].title == "Critics attack rushed deal"  # from the words that link it
    assert notes["2"].urls == ["https://www.bbc.co.uk/news/world-123456"]
    assert codes(a, "ibid")["3"].related == "2"
    assert notes["4"].urls == ["https://www.ft.com/content/abc-123"]
    assert set(codes(a, "note-not-cited")) == {"4"}  # a note whose reference was deleted
    assert notes["i"].urls == ["https://www.lemonde.fr/x.html"]
    assert [m.id for m in a.markers] == ["1", "2", "3", "i"]


def test_word_document_without_a_title_style_uses_its_properties(tmp_path):
    path = make_docx(
        tmp_path / "memo.docx",
        [para(run("Body text."), ref("footnote", 1))],
        footnotes={1: run("AP, “A story,” 2022, https://apnews.com/article/x")},
        title="Memo on sources",
    )
    a = parse_article(path)
    assert a.title == "Memo on sources" and [n.id for n in a.notes] == ["1"]


def test_extract_reads_a_word_document_end_to_end(workdir):
    from click.testing import CliRunner

    from pipeline.cli import main

    make_docx(
        workdir / "draft.docx",
        [para(run("Claim."), ref("footnote", 2))],
        footnotes={2: run("Reuters, “Deal signed,” 12 March 2023, ") + link("rId1", "link")},
        links={"rId1": "https://www.reuters.com/world/deal/"},
    )
    res = CliRunner().invoke(main, ["extract", "draft.docx", "-o", "c.yaml"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "1 note (docx), 1 body marker" in res.output
    text = (workdir / "c.yaml").read_text(encoding="utf-8")
    assert 'id: "1"' in text and "url: https://www.reuters.com/world/deal/" in text


@pytest.mark.parametrize(
    "parts,message",
    [
        ({"word/styles.xml": "<x/>"}, "no word/document.xml: not a Word document"),
        ({"word/document.xml": "<w:document><unclosed>"}, "word/document.xml is not well-formed XML"),
    ],
)
def test_broken_word_files_get_one_line(tmp_path, parts, message):
    import zipfile

    path = tmp_path / "broken.docx"
    with zipfile.ZipFile(path, "w") as z:
        for name, xml in parts.items():
            z.writestr(name, xml)
    refused(path, message)


def test_html_note_list_cited_by_bare_superscripts(tmp_path):
    path = tmp_path / "list.html"
    path.write_text(
        "<html><body><h1>Deal signed</h1>\n"
        "<p>Officials confirmed the deal.<sup>1</sup> Critics objected.<sup>[2,3]</sup> It is 40 km<sup>2</sup>.</p>\n"
        "<h2>Notes</h2>\n<ol>\n"
        '<li>Reuters, "Deal signed in Geneva", 12 March 2023, https://www.reuters.com/world/deal/</li>\n'
        '<li>BBC News, "Critics attack rushed deal", 13 March 2023.</li>\n'
        '<li>Ibid.</li>\n<li>AP, "Never cited", 2023.</li>\n</ol></body></html>\n',
        encoding="utf-8",
    )
    a = parse_article(path)
    assert [n.id for n in a.notes] == ["1", "2", "3", "4"]
    # km² reads as a citation of note 2 too: a bare superscript number cannot be told apart
    assert [(m.id, m.line) for m in a.markers] == [("1", 2), ("2", 2), ("3", 2), ("2", 2)]
    assert set(codes(a, "note-not-cited")) == {"4"}


ODT_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:xlink="http://www.w3.org/1999/xlink"
 office:version="1.3"><office:body><office:text>
<text:h text:outline-level="1">Deal signed after a year of talks</text:h>
<text:p>Officials confirmed the deal.<text:note text:id="ftn1" text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>Reuters, “Deal signed in Geneva,” 12<text:s/>March 2023, <text:a xlink:type="simple" xlink:href="https://www.reuters.com/world/deal-2023-03-12/">reuters.com</text:a>.</text:p></text:note-body></text:note> Critics objected.<text:note text:id="ftn2" text:note-class="footnote"><text:note-citation>2</text:note-citation><text:note-body><text:p>BBC News, <text:a xlink:type="simple" xlink:href="https://www.bbc.co.uk/news/world-123456">Critics attack rushed deal</text:a>, 13 March 2023.</text:p></text:note-body></text:note> Background.<text:note text:id="edn1" text:note-class="endnote"><text:note-citation>i</text:note-citation><text:note-body><text:p>Ibid.</text:p></text:note-body></text:note></text:p>
</office:text></office:body></office:document-content>
"""


def test_opendocument_notes(tmp_path):
    """LibreOffice's and Google Docs' .odt: notes sit where they are cited, with their numbers."""
    import zipfile

    path = tmp_path / "draft.odt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", ODT_CONTENT)
    a = parse_article(path)
    assert a.format == "odt" and a.title == "Deal signed after a year of talks"
    notes = {n.id: n for n in a.notes}
    assert list(notes) == ["1", "2", "i"]
    assert notes["1"].publisher == "Reuters" and notes["1"].date == PartialDate(2023, 3, 12)
    assert notes["1"].urls == ["https://www.reuters.com/world/deal-2023-03-12/"]
    assert notes["2"].title == "Critics attack rushed deal"
    assert codes(a, "ibid")["i"].related == "2"
    assert [m.id for m in a.markers] == ["1", "2", "i"] and not codes(a, "note-not-cited")


@pytest.mark.parametrize(
    "middle,message",
    [
        ("<div>" * 100_000 + "x" + "</div>" * 100_000, "nested more than 256 levels deep (line 1)"),
        ("<p>" + "x" * 11_000_000 + "</p>", "too big for the HTML parser (line 1): "),
    ],
    ids=["100,000 levels deep", "an 11 MB paragraph"],
)
def test_an_html_article_the_parser_gives_up_on_is_one_line_not_no_sources(workdir, middle, message):
    """libxml2 stops at its limits and keeps what came before: the notes and links after
    that point used to vanish ("no sources found", or a run on half the article)."""
    from click.testing import CliRunner

    from pipeline.cli import main

    cited = '<p>Claim.<sup><a href="#fn1">1</a></sup> See <a href="https://example.org/b">this</a>.</p>'
    notes = '<ol><li id="fn1">Reuters, "Deal signed," 2023, https://example.com/a</li></ol>'
    (workdir / "article.html").write_text(f"<html><body><article>{cited}{middle}{notes}</article></body></html>")
    for args in (["extract", "article.html"], ["run", "article.html", "--no-wayback"]):
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 1, res.output
        said = res.output.splitlines()[-1]
        assert said.startswith(f"citewatch: article.html: {message}"), res.output
        assert said.endswith("; cannot read its notes and links") and "Traceback" not in res.output
        assert "no sources found" not in res.output
    assert not (workdir / "citations.yaml").exists()


def test_an_html_article_a_few_hundred_tags_deep_but_within_the_limit_is_read_whole(workdir):
    from pipeline.footnotes import parse_article

    deep = "<div>" * 240 + "<p>Deep <a href='https://example.org/d'>source</a>.</p>" + "</div>" * 240
    (workdir / "a.html").write_text(
        "<html><body><article><p>Claim.<sup><a href='#fn1'>1</a></sup></p>"
        f"{deep}<p>After <a href='https://example.org/c'>this</a>.</p>"
        "<ol><li id='fn1'>Source, https://example.com/a</li></ol></article></body></html>"
    )
    article = parse_article(workdir / "a.html")
    assert [n.urls for n in article.notes] == [["https://example.com/a"]]
    assert {s.url for s in article.links} == {"https://example.org/d", "https://example.org/c"}


def test_a_markdown_footnotes_link_keeps_the_parentheses_of_its_address(tmp_path):
    """[words](address): an address with a balanced pair (a Wikipedia title) is whole; one
    with an unbalanced "(" is not lost; the link's words name the address (the note's
    title), not the words and the year after it."""
    post = tmp_path / "post.md"
    post.write_text(
        "A claim.[^1] Another.[^2]\n\n"
        "[^1]: Wikipedia, [Foo (bar)](https://en.wikipedia.org/wiki/Foo_(bar)), 2024.\n"
        "[^2]: Example, [Odd](http://example.org/a(b), 2023.\n",
        encoding="utf-8",
    )
    notes = {n.id: n for n in parse_article(post).notes}
    assert notes["1"].urls == ["https://en.wikipedia.org/wiki/Foo_(bar)"]
    assert notes["1"].title == "Foo (bar)"
    assert [u[:20] for u in notes["2"].urls] == ["http://example.org/a"]  # not lost
