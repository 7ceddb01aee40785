"""A run's write-backs made to citations.yaml's text (citations_text): the same bytes as a
whole-file round-trip save, a person's edits made meanwhile kept, and a fraction of the
memory of holding the whole file as a round-trip document."""

from __future__ import annotations

import datetime as dt
import tracemalloc

import pytest

from pipeline import citations as cit

HAND_KEPT = """# kept by hand
article:
  title: "A story"   # the headline
  source: posts/a.md
citations:
  # first block
  - id: '1'
    title: "Quoted title"
    url: https://example.org/a   # trailing comment
    date: 2023-02-01
  - id: 2
    title: >-
      A folded
      title
    url: https://example.org/b
    places:
      - article_line: 3
        citing_text: "he said"
    url_status: live
  # between entries
  - id: '3'
    url: https://example.org/c
    note: |
      line one
      line two
  - {id: '4', url: 'https://example.org/d'}
  - id: 'é5'
    title: Ünïcode ✓
    url: https://example.org/e
    archive_url: https://web.archive.org/web/2020/https://example.org/e

  # end of list comment
extra: 1
"""
ARCHIVED = "https://web.archive.org/web/2024/"


def write_backs(cf: cit.CitationsFile, only: set[str] | None = None) -> None:
    for c in cf.citations:
        if only is None or c.id in only:
            cit.set_fields(
                cf,
                c.id,
                archive_url=ARCHIVED + c.url,
                archive_date=dt.date(2024, 1, 2),
                url_status="dead" if c.id == "2" else "live",
            )
    cit.save(cf)


@pytest.mark.parametrize("only", [None, {"2"}, {"1", "é5"}, set()])
def test_text_write_backs_give_the_bytes_a_whole_file_save_gives(tmp_path, only):
    whole, text = tmp_path / "whole.yaml", tmp_path / "text.yaml"
    whole.write_text(HAND_KEPT, encoding="utf-8")
    text.write_text(HAND_KEPT, encoding="utf-8")
    held_small = cit.load_for_run(text, lenient=True)
    assert held_small.text_edits is not None  # this layout is one the text edits know
    round_trip = cit.load(whole, lenient=True)
    assert [(c.id, c.line, c.url) for c in held_small.citations] == [
        (c.id, c.line, c.url) for c in round_trip.citations
    ]
    write_backs(round_trip, only)
    write_backs(held_small, only)
    assert text.read_text(encoding="utf-8") == whole.read_text(encoding="utf-8")
    if only == set():
        assert text.read_text(encoding="utf-8") == HAND_KEPT  # nothing changed: not rewritten


def test_saves_during_a_run_add_up_and_keep_a_persons_edit_made_meanwhile(tmp_path):
    p = tmp_path / "citations.yaml"
    p.write_text(HAND_KEPT, encoding="utf-8")
    cf = cit.load_for_run(p)
    cit.set_fields(cf, "1", archive_url=ARCHIVED + "a", url_status="live")
    cit.save(cf)
    # the person's editor still had the file as it was before the run, and saves a fix
    p.write_text(HAND_KEPT.replace("title: Ünïcode ✓", "title: Unicode, fixed  # by hand"), encoding="utf-8")
    cit.set_fields(cf, "3", url_status="dead")
    cit.save(cf)
    after = cit.load(p)
    assert after.entry("é5")["title"] == "Unicode, fixed" and "# by hand" in p.read_text(encoding="utf-8")
    assert after.entry("1")["archive_url"] == ARCHIVED + "a"  # the run's first change, made again
    assert after.entry("3")["url_status"] == "dead" and after.entry("2")["url_status"] == "live"


def test_a_half_edited_file_is_left_alone_until_it_loads_again(tmp_path):
    p = tmp_path / "citations.yaml"
    p.write_text(HAND_KEPT, encoding="utf-8")
    cf = cit.load_for_run(p)
    cit.set_fields(cf, "1", archive_url=ARCHIVED + "a")
    half = HAND_KEPT.replace("title: Ünïcode ✓", "title: [Ünïcode")
    p.write_text(half, encoding="utf-8")
    with pytest.raises(cit.CitationsError) as e:
        cit.save(cf)
    assert p.read_text(encoding="utf-8") == half
    assert "changed by someone else while citewatch was working, and it does not load now" in str(e.value)
    p.write_text(HAND_KEPT.replace("title: Ünïcode ✓", "title: fixed"), encoding="utf-8")
    cit.save(cf)
    after = cit.load(p)
    assert after.entry("1")["archive_url"] == ARCHIVED + "a" and after.entry("é5")["title"] == "fixed"


def test_an_entry_removed_meanwhile_is_left_out_and_the_rest_written(tmp_path):
    p = tmp_path / "citations.yaml"
    p.write_text(HAND_KEPT, encoding="utf-8")
    cf = cit.load_for_run(p)
    p.write_text(HAND_KEPT.replace("  - {id: '4', url: 'https://example.org/d'}\n", ""), encoding="utf-8")
    write_backs(cf)
    after = cit.load(p)
    assert after.entry("4") is None and after.entry("3")["url_status"] == "live"


def test_a_file_the_text_edits_do_not_know_is_written_round_trip(tmp_path):
    """A flow-style list: loaded and written back the whole-file way, same result."""
    p = tmp_path / "citations.yaml"
    p.write_text("citations: [{id: '1', url: 'https://example.org/a'}]\n", encoding="utf-8")
    cf = cit.load_for_run(p)
    assert cf.text_edits is None
    write_backs(cf)
    assert cit.load(p).entry("1")["url_status"] == "live"


def test_a_large_file_is_held_in_a_fraction_of_a_round_trip_documents_memory(tmp_path):
    p = tmp_path / "citations.yaml"
    p.write_text(
        "citations:\n"
        + "".join(
            f"  - id: '{i}'\n    title: Story {i}\n    publisher: Bench News\n    url: https://example.org/{i}\n"
            for i in range(1000)
        ),
        encoding="utf-8",
    )

    def held(load) -> int:
        tracemalloc.start()
        try:
            cf = load(p, lenient=True)
            size = tracemalloc.get_traced_memory()[0]
            del cf
            return size
        finally:
            tracemalloc.stop()

    assert held(cit.load_for_run) * 2 < held(cit.load)


def test_a_key_twice_in_an_entry_is_refused_with_its_line_as_before(tmp_path):
    p = tmp_path / "citations.yaml"
    p.write_text(HAND_KEPT.replace("    url: https://example.org/c\n", "    url: https://example.org/c\n    url: x\n"))
    with pytest.raises(cit.CitationsError) as e:
        cit.load_for_run(p, lenient=True)
    with pytest.raises(cit.CitationsError) as whole:
        cit.load(p, lenient=True)
    assert str(e.value) == str(whole.value)


# Files a person or another tool wrote with other indentation or no last newline: the run's
# write-backs must keep every entry, read back the same, and equal a whole-file save.
OTHER_LAYOUTS = {
    "dash at column 0 (PyYAML's default)": (
        "citations:\n- id: '1'\n  url: https://example.org/a\n- id: '2'\n  url: https://example.org/b\n"
        "- id: '3'\n  title: Three\n"
    ),
    "dash at column 6, after a block scalar": (
        "citations:\n      - id: '1'\n        url: https://example.org/a\n        note: |\n"
        "          Checked by hand.\n      - id: '2'\n        title: Second source, no URL yet\n"
    ),
    "no newline at the end, a block scalar last": (
        "citations:\n  - id: '1'\n    url: https://example.org/a\n    note: |\n      line a\n      line b"
    ),
}


@pytest.mark.parametrize("layout", list(OTHER_LAYOUTS))
def test_a_file_laid_out_otherwise_keeps_every_entry_and_value(tmp_path, layout):
    import yaml

    source = OTHER_LAYOUTS[layout]
    whole, text = tmp_path / "whole.yaml", tmp_path / "text.yaml"
    whole.write_text(source, encoding="utf-8")
    text.write_text(source, encoding="utf-8")
    before = yaml.safe_load(source)["citations"]
    for cf in (cit.load(whole, lenient=True), cit.load_for_run(text, lenient=True)):
        cit.set_fields(cf, "1", url_status="live")
        cit.save(cf)
    after = yaml.safe_load(text.read_text(encoding="utf-8"))["citations"]
    assert [e["id"] for e in after] == [e["id"] for e in before]
    assert after[0] == {**before[0], "url_status": "live"} and after[1:] == before[1:]
    assert text.read_text(encoding="utf-8") == whole.read_text(encoding="utf-8")


@pytest.mark.parametrize("layout", ["dash at column 0 (PyYAML's default)", "dash at column 6, after a block scalar"])
def test_a_splice_that_would_not_read_back_is_never_written(tmp_path, monkeypatch, layout):
    """The second guard: were the layout check to let a file through, the spliced text is
    read back before it is written, and a file that lost or broke an entry is never saved."""
    import re

    import yaml

    from pipeline import citations_text as ct

    def any_dash(text, event, out):  # the layout check as it was before it knew better
        start = ct._line_start(text, event.start_mark.index)
        if not re.fullmatch(r" *- +", text[start : event.start_mark.index]):
            return False
        if out.starts:
            out.ends.append(start)
        out.starts.append(start)
        out.ids.append(None)
        out.lines.append(event.start_mark.line + 1)
        return True

    monkeypatch.setattr(ct, "_starts_item", any_dash)
    p = tmp_path / "citations.yaml"
    p.write_text(OTHER_LAYOUTS[layout], encoding="utf-8")
    cf = cit.load_for_run(p, lenient=True)
    cit.set_fields(cf, "1", url_status="live")
    cit.save(cf)
    after = yaml.safe_load(p.read_text(encoding="utf-8"))["citations"]
    assert [e["id"] for e in after] == ["1", "2", "3"][: len(after)] and len(after) >= 2
    assert after[0]["url_status"] == "live"


@pytest.mark.parametrize("load", [cit.load, cit.load_for_run])
def test_a_url_cited_twice_gets_its_date_written_twice_not_as_an_alias(tmp_path, load):
    """The archive stage gives every citation of a URL one date object; the file must not
    end up with ``&id001`` / ``*id001`` (an edit to one entry's date would change both)."""
    p = tmp_path / "citations.yaml"
    p.write_text(
        "citations:\n  - id: '1'\n    url: https://example.org/a\n  - id: '2'\n    url: https://example.org/a\n"
    )
    cf = load(p, lenient=True)
    day = dt.date(2024, 1, 2)
    for cid in ("1", "2"):
        cit.set_fields(cf, cid, archive_date=day, url_status="live")
    cit.save(cf)
    text = p.read_text(encoding="utf-8")
    assert "&" not in text and "*" not in text and text.count("archive_date: 2024-01-02") == 2
    assert cit.load_for_run(p).text_edits is not None  # the next run still holds it small
