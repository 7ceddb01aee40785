"""Articles as people write them: addresses with parentheses, escapes, a note marker
written right after a URL, two notes numbered alike, a line separator in the text."""

from __future__ import annotations

import pytest

from pipeline import citations as cit
from pipeline.extract import extract
from pipeline.footnotes import parse_article


def urls(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return [link.url for link in parse_article(path).links]


@pytest.mark.parametrize(
    ("written", "url"),
    [
        ("[text](https://example.org/md_(x))", "https://example.org/md_(x)"),
        ("[x](https://example.org/p(a(b)))", "https://example.org/p(a(b))"),
        ("[y](https://example.org/z\\_w)", "https://example.org/z_w"),
        ('[t](https://example.org/t "a title")', "https://example.org/t"),
        ("see https://en.wikipedia.org/wiki/Foo_(bar).", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("(see https://example.org/in-parens)", "https://example.org/in-parens"),
        ("{https://example.org/brace}", "https://example.org/brace"),
    ],
)
def test_a_markdown_address_is_read_whole(tmp_path, written, url):
    assert urls(tmp_path, "a.md", f"# T\n\nA sentence {written} here.\n") == [url]


@pytest.mark.parametrize("marker", ["{1}", "¹"])
def test_a_note_marker_right_after_a_bare_url_is_not_part_of_it(tmp_path, marker):
    note = "{1}" if marker == "{1}" else "¹"
    text = f'Title\n\nThe report is at https://example.org/x{marker} today.\n\nNotes\n{note} Example News, "One", 2023-01-01, https://example.org/one\n'
    assert "https://example.org/x" in urls(tmp_path, "a.txt", text)
    assert not [u for u in urls(tmp_path, "a.txt", text) if "{" in u or "¹" in u]


def test_two_notes_numbered_alike_are_both_kept_and_reported(tmp_path):
    article = tmp_path / "dup.txt"
    article.write_text(
        'Title\n\nClaim one {1}. Claim two {1}.\n\nNotes\n{1} Example News, "One", 2023-01-01, https://example.org/one\n'
        '{1} Example News, "Again", 2023-01-01, https://example.org/again\n',
        encoding="utf-8",
    )
    out = tmp_path / "citations.yaml"
    for _ in range(2):  # and the same ids on the next run
        result = extract(article, out)
        cf = cit.load(out)
        assert [(c.id, c.url) for c in cf.citations] == [
            ("1", "https://example.org/one"),
            ("1#2", "https://example.org/again"),
        ]
    assert any(f.code.value == "duplicate-id" for f in result.findings)


@pytest.mark.parametrize("separator", ["\u2028", "\x0c", "\x85", "\x1e"])
@pytest.mark.parametrize(("name", "marker", "note"), [("a.txt", "{3}", "{1}"), ("a.md", "[^3]", "[^1]:")])
def test_line_numbers_in_an_article_count_newlines_only(tmp_path, separator, name, marker, note):
    """A page break or a pasted line separator inside a line is no new line to an editor."""
    head = "Title\n\n" if name == "a.txt" else "# Title\n\n"
    text = (
        f"{head}First{separator}paragraph {note[:-1] if name == 'a.md' else note} here.\n\n"
        f"Second paragraph {marker} here, see https://example.org/x.\n\nNotes\n"
        f'{note} Example News, "One", 2023-01-01, https://example.org/one\n'
    )
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    article = parse_article(path)
    missing = [f for f in article.findings if f.code.value == "marker-without-note"]
    assert [f.line for f in missing] == [5]
    assert [p.line for link in article.links if link.url == "https://example.org/x" for p in link.places] == [5]


@pytest.mark.parametrize(
    ("in_note", "url"),
    [
        ("https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("(https://example.org/in-parens)", "https://example.org/in-parens"),
        ("https://en.wikipedia.org/wiki/Foo_(bar).", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("<https://example.org/angle>", "https://example.org/angle"),
    ],
)
def test_a_notes_address_keeps_its_balanced_parentheses(tmp_path, in_note, url):
    from tests.docx import field_link, make_docx, para, ref, run

    text = f'Title\n\nClaim {{1}}.\n\nNotes\n{{1}} Example News, "One", 2023-01-01, {in_note}\n'
    md = f'# T\n\nClaim.[^1]\n\n[^1]: Example News, "One", 2023-01-01, {in_note}\n'
    for name, content in (("a.txt", text), ("a.md", md)):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        assert parse_article(path).notes[0].urls == [url], name
    docx = make_docx(
        tmp_path / "a.docx",
        [para(run("Claim."), ref("footnote", 1))],
        footnotes={1: run('Example News, "One", 2023-01-01, ') + field_link(url, url)},
    )
    assert parse_article(docx).notes[0].urls == [url]


def test_html_hrefs_are_read_as_a_browser_reads_them(tmp_path):
    page = tmp_path / "a.html"
    page.write_text(
        "<html><head><title>T</title></head><body><article><h1>T</h1>"
        '<p>Claim<sup><a href="#fn1">1</a></sup>. Wrapped <a href="https://example.org/wr\napped">w</a>,'
        ' tab <a href="https://example.org/t&#9;ab">t</a>, protocol-relative <a href="//example.org/pr">p</a>,'
        ' padded <a href=" \n https://example.org/padded \t">p</a>.</p></article>'
        '<ol><li id="fn1">Example News, "One", 2023-01-01, <a href="https://example.org/o\nne">here</a></li></ol>'
        "</body></html>",
        encoding="utf-8",
    )
    article = parse_article(page)
    assert [link.url for link in article.links] == [
        "https://example.org/wrapped",
        "https://example.org/tab",
        "https://example.org/pr",
        "https://example.org/padded",
    ]
    assert article.notes[0].urls == ["https://example.org/one"]


def test_invisible_break_hints_are_not_part_of_an_address(tmp_path):
    """A CMS puts zero-width spaces and soft hyphens into long addresses so they can wrap."""
    text = (
        "# T\n\nSee https://example.org/zw\u200bx and https://example.org/so\u00adft here.[^1]\n\n"
        '[^1]: Example News, "One", 2023-01-01, https://example.org/o\u200bne\n'
    )
    path = tmp_path / "a.md"
    path.write_text(text, encoding="utf-8")
    article = parse_article(path)
    assert [link.url for link in article.links] == ["https://example.org/zwx", "https://example.org/soft"]
    assert article.notes[0].urls == ["https://example.org/one"]


def test_a_marker_in_a_code_span_is_not_a_citation(tmp_path):
    path = tmp_path / "a.md"
    path.write_text(
        "# T\n\nReal.[^1] Written as `[^2]` in code, and ``[^2]`` too.\n\n"
        '[^1]: Example News, "One", 2023-01-01, https://example.org/one\n'
        '[^2]: Example News, "Two", 2023-01-01, https://example.org/two\n',
        encoding="utf-8",
    )
    article = parse_article(path)
    assert [m.id for m in article.markers] == ["1"]
    assert [f.footnote for f in article.findings if f.code.value == "note-not-cited"] == ["2"]


def test_a_paragraph_of_many_bare_links_keeps_a_bounded_sentence_for_each(tmp_path):
    """No sentence end in 5,000 links: each link kept the whole paragraph (at 50,000 links,
    1 MB each, the run was killed for memory)."""
    path = tmp_path / "a.md"
    path.write_text("# T\n\n" + " ".join(f"https://x.org/{i}" for i in range(5000)) + "\n", encoding="utf-8")
    article = parse_article(path)
    assert len(article.links) == 5000
    texts = [p.citing_text for link in article.links for p in link.places]
    assert max(len(t) for t in texts) <= 2002 and "https://x.org/2500" in texts[2500]
