"""A note inserted or removed before others renumbers them: each entry of citations.yaml
follows its source (archive link, url_status, hand edits) to the source's new number."""

from __future__ import annotations

from pipeline import citations as cit
from pipeline.extract import extract

ARCHIVE = "https://web.archive.org/web/2023/"


def notes(*sources: str) -> str:
    cites = " ".join(f"Claim {i}.[^{i}]" for i in range(1, len(sources) + 1))
    defs = "".join(
        f'[^{i}]: Example News, "{s.title()}", 2023-01-0{i}, https://example.org/{s}\n'
        for i, s in enumerate(sources, start=1)
    )
    return f"# A\n\n{cites}\n\n{defs}"


def archived(path, sources):
    cf = cit.load(path)
    for i, s in enumerate(sources, start=1):
        cit.set_fields(cf, str(i), archive_url=ARCHIVE + s, url_status="dead" if s == "one" else "live")
    cf.entry("1")["access_date"] = "2023-05-05"  # a person's edit, about source one
    cit.save(cf)


def by_url(path):
    return {
        e["url"]: (str(e["id"]), e.get("archive_url"), e.get("url_status"), e.get("access_date"))
        for e in cit.load(path).entries
    }


def test_a_note_inserted_first_moves_every_entry_with_its_source(tmp_path):
    article, out = tmp_path / "a.md", tmp_path / "citations.yaml"
    article.write_text(notes("one", "two"), encoding="utf-8")
    extract(article, out)
    archived(out, ["one", "two"])
    article.write_text(notes("zero", "one", "two"), encoding="utf-8")
    extract(article, out)
    assert by_url(out) == {
        "https://example.org/zero": ("1", None, None, None),
        "https://example.org/one": ("2", ARCHIVE + "one", "dead", "2023-05-05"),
        "https://example.org/two": ("3", ARCHIVE + "two", "live", None),
    }


def test_a_note_removed_first_moves_the_rest_back_and_keeps_the_gone_one(tmp_path):
    article, out = tmp_path / "a.md", tmp_path / "citations.yaml"
    article.write_text(notes("one", "two", "three"), encoding="utf-8")
    extract(article, out)
    archived(out, ["one", "two", "three"])
    article.write_text(notes("two", "three"), encoding="utf-8")
    result = extract(article, out)
    assert by_url(out) == {
        "https://example.org/one": ("1#removed", ARCHIVE + "one", "dead", "2023-05-05"),
        "https://example.org/two": ("1", ARCHIVE + "two", "live", None),
        "https://example.org/three": ("2", ARCHIVE + "three", "live", None),
    }
    assert cit.load(out).entry("1#removed")["note_removed"] is True
    assert [f.footnote for f in result.findings if f.code.value == "note-removed"] == ["1#removed"]


def test_a_note_edited_in_place_stays_where_it_is(tmp_path):
    article, out = tmp_path / "a.md", tmp_path / "citations.yaml"
    article.write_text(notes("one", "two"), encoding="utf-8")
    extract(article, out)
    archived(out, ["one", "two"])
    article.write_text(notes("one", "two").replace('"Two"', '"Two, corrected"'), encoding="utf-8")
    extract(article, out)
    assert by_url(out)["https://example.org/two"] == ("2", ARCHIVE + "two", "live", None)
    assert cit.load(out).entry("2")["title"] == "Two, corrected"


def test_a_removed_notes_finding_names_no_article_line(tmp_path):
    """Its line was citations.yaml's, printed as the article's (a.md:5, another note there)."""
    article, out = tmp_path / "a.md", tmp_path / "citations.yaml"
    article.write_text(notes("one", "two"), encoding="utf-8")
    extract(article, out)
    article.write_text(notes("one"), encoding="utf-8")
    (removed,) = [f for f in extract(article, out).findings if f.code.value == "note-removed"]
    assert removed.line is None
    line = out.read_text(encoding="utf-8").split("\n").index('  - id: "2"') + 1
    assert removed.message == f"in citations.yaml (line {line}) but no longer in the article (kept, not deleted)"
