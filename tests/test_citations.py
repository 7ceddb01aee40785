"""citations.yaml: validation with line numbers, round-trip preservation, merging."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pipeline import citations as cit
from pipeline.extract import extract

from .conftest import EXAMPLE


def write(tmp_path, text):
    p = tmp_path / "citations.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_loads_design_example(tmp_path):
    p = write(
        tmp_path,
        """article:
  title: "CCP, Master of Hostage Diplomacy"
citations:
  - id: "1"
    publisher: Daily Mail
    title: "Cheng Lei ..."
    date: 2023-10-11
    url: https://www.dailymail.co.uk/x
    archive_url: https://web.archive.org/web/20231012000000/https://www.dailymail.co.uk/x
    archive_date: 2023-10-12
    url_status: live
  - id: 2
    date: 2023-10
""",
    )
    cf = cit.load(p)
    one, two = cf.citations
    assert one.url == "https://www.dailymail.co.uk/x" and one.archive_date == dt.date(2023, 10, 12)
    assert one.line == 4
    assert two.id == "2" and two.date.precision == "month"


def test_every_problem_is_reported_with_its_line(tmp_path):
    p = write(
        tmp_path,
        """citations:
  - id: "1"
    url: ftp://example.com/file
  - id: "1"
  - id: "3"
    date: 23 May
  - id: "4"
    title: [not, text]
  - id: "5"
    url_status: maybe
  - publisher: no id
""",
    )
    with pytest.raises(cit.CitationsError) as err:
        cit.load(p)
    problems = err.value.problems
    text = "\n".join(problems)
    assert f"{p}:3: citation 1: url must be an http(s) URL" in text
    assert f"{p}:4: duplicate id '1' (first at line 2)" in text
    assert f"{p}:6: citation 3: not a date: '23 May'" in text
    assert f"{p}:8: citation 4: title must be text" in text
    assert f"{p}:10: citation 5: url_status must be one of" in text
    assert f"{p}:11: citation #6 needs an 'id'" in text
    assert len(problems) == 6


def test_impossible_date_is_reported_with_its_line(tmp_path):
    p = write(tmp_path, "citations:\n  - id: '1'\n    date: 2023-02-31\n")
    with pytest.raises(cit.CitationsError) as err:
        cit.load(p)
    assert err.value.problems == [f"{p}:3: not a date: '2023-02-31' (no such day)"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("citations:\n  - id: '1'\n    title: [unclosed\n", ":4: YAML syntax error"),
        ("", "the file is empty"),
        ("- just\n- a list\n", "expected a mapping"),
        ("article: {}\n", "no 'citations' list"),
    ],
)
def test_malformed_files(tmp_path, text, expected):
    p = write(tmp_path, text)
    with pytest.raises(cit.CitationsError) as err:
        cit.load(p)
    assert expected in err.value.problems[0]


def test_round_trip_keeps_comments_order_and_quotes(tmp_path):
    original = """# top comment
article:
  title: "Quoted title"   # why this title
citations:
  # the first source
  - id: "1"
    url: https://example.com/a   # found by hand
    publisher: Example   # order is url before publisher here, keep it
    title: 'single quoted'
"""
    p = write(tmp_path, original)
    cf = cit.load(p)
    assert cit.set_fields(
        cf, "1", archive_url="https://web.archive.org/web/2024/https://example.com/a", url_status="live"
    )
    cit.save(cf)
    text = p.read_text(encoding="utf-8")
    assert text.startswith(original)  # nothing above the new keys moved or changed
    assert text.endswith(
        "    archive_url: https://web.archive.org/web/2024/https://example.com/a\n    url_status: live\n"
    )


def test_save_is_atomic(tmp_path, monkeypatch):
    p = write(tmp_path, "citations:\n  - id: '1'\n")
    cf = cit.load(p)
    cf.entries[0]["title"] = "new"

    def boom(*a, **k):
        raise OSError("disk full")

    from pipeline import files

    monkeypatch.setattr(files.os, "replace", boom)
    with pytest.raises(OSError):
        cit.save(cf)
    assert p.read_text(encoding="utf-8") == "citations:\n  - id: '1'\n"
    assert not [x for x in tmp_path.iterdir() if x.name.endswith(".tmp")]


def test_reextract_keeps_hand_edits_and_flags_removed_notes(tmp_path):
    out = tmp_path / "citations.yaml"
    extract(EXAMPLE, out)
    cf = cit.load(out)
    entry = cf.entry("7")
    entry["publisher"] = "Beijing Spring"  # a person fixed the typo
    entry["url"] = "https://beijingspring.com/fang"  # and found the address
    entry.yaml_add_eol_comment("checked by hand", "url")
    cit.save(cf)

    # the article changes: note 27 is gone, note 2's text is revised
    article = tmp_path / EXAMPLE.name  # the same article, revised (another file would be refused)
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("{27} Asia Financial", "").replace(
        "Canadian AIIB Exec ‘Fled’ China After Quitting Over CCP Meddling,” June 15, 2023.", ""
    )
    text = text.replace("China Is Becoming a No-Go Zone for Executives", "China Becomes a No-Go Zone for Executives")
    article.write_text(text, encoding="utf-8")
    result = extract(article, out)

    cf = cit.load(out)
    seven = cf.entry("7")
    assert seven["publisher"] == "Beijing Spring" and seven["url"] == "https://beijingspring.com/fang"
    assert "checked by hand" in out.read_text(encoding="utf-8")
    assert cf.entry("2")["title"] == "China Becomes a No-Go Zone for Executives"  # untouched field follows the note
    assert cf.entry("27")["note_removed"] is True  # kept, flagged
    codes = {(f.code, f.footnote) for f in result.findings}
    assert ("note-removed", "27") in codes and ("note-changed", "2") in codes


def test_fast_read_only_load_agrees_with_round_trip(tmp_path):
    """The libyaml path used by `check` must read exactly what ruamel reads (YAML 1.2 core)."""
    text = """citations:
  - id: "1"
    title: 12:30          # sexagesimal in YAML 1.1; text in 1.2
    publisher: No         # a boolean in YAML 1.1; text in 1.2
    date: 2023-10-11
    url: https://example.com/a
  - id: 2
    title: on
    date: 2023-10
"""
    p = write(tmp_path, text)
    fast = cit.load(p, for_update=False)
    slow = cit.load(p)
    assert fast.read_only and not slow.read_only
    assert [vars(c) | {"line": None} for c in fast.citations] == [vars(c) | {"line": None} for c in slow.citations]
    assert fast.citations[0].title == "12:30" and fast.citations[0].publisher == "No"
    with pytest.raises(ValueError, match="read-only"):
        cit.save(fast)


def test_fast_load_falls_back_to_line_numbers_on_problems(tmp_path):
    p = write(tmp_path, "citations:\n  - id: '1'\n    url: ftp://x/y\n")
    with pytest.raises(cit.CitationsError) as err:
        cit.load(p, for_update=False)
    assert err.value.problems == [f"{p}:3: citation 1: url must be an http(s) URL, not 'ftp://x/y'"]


@pytest.mark.parametrize("text", ["citations:\n  - id: '1'\n    url: https://example.com/a\n", "citations: [\n"])
def test_the_collector_paused_for_a_load_is_running_again_after_it(tmp_path, text):
    """Loading pauses the garbage collector (thousands of surviving containers); a good
    or a broken file, it must be left as the caller had it."""
    import gc

    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    for caller_had_it in (True, False):
        (gc.enable if caller_had_it else gc.disable)()
        try:
            try:
                cit.load(path, for_update=False)
            except cit.CitationsError:
                pass
            assert gc.isenabled() is caller_had_it
        finally:
            gc.enable()


TWO = """citations:
  - id: "1"
    title: First
    url: https://example.com/a
  - id: "2"
    title: Second
    url: https://example.com/b
"""
ARCHIVED = "https://web.archive.org/web/2024/https://example.com/"


def test_a_save_keeps_what_a_person_saved_meanwhile(tmp_path):
    """A run holds the file for minutes; an editor's save in between must survive the run's."""
    p = write(tmp_path, TWO)
    cf = cit.load(p)
    cit.set_fields(cf, "1", archive_url=ARCHIVED + "a", url_status="live")
    cit.save(cf)
    # the person's editor still had the file as it was before the run, and saves it with a fix
    p.write_text(TWO.replace("title: Second", "title: Second, corrected  # checked by hand"), encoding="utf-8")
    cit.set_fields(cf, "2", archive_url=ARCHIVED + "b")
    cit.save(cf)
    after = cit.load(p)
    assert after.entry("2")["title"] == "Second, corrected" and "# checked by hand" in p.read_text()
    assert after.entry("1")["archive_url"] == ARCHIVED + "a"  # the run's first change, made again
    assert after.entry("1")["url_status"] == "live" and after.entry("2")["archive_url"] == ARCHIVED + "b"


def test_a_change_the_person_made_by_hand_meanwhile_is_not_made_twice(tmp_path):
    p = write(tmp_path, TWO.replace('  - id: "2"', '  - id: "2"\n    candidates: [{url: "https://example.com/b2"}]'))
    p.write_text(p.read_text().replace("    url: https://example.com/b\n", ""), encoding="utf-8")
    cf = cit.load(p)
    from pipeline.resolve import accept

    cit.edit(cf, lambda f: accept(f, "2"))
    p.write_text(p.read_text().replace("title: Second", "title: Second\n    url: https://example.com/by-hand"))
    cit.save(cf)
    assert cit.load(p).entry("2")["url"] == "https://example.com/by-hand"


def test_a_half_edited_file_is_left_alone(tmp_path):
    p = write(tmp_path, TWO)
    cf = cit.load(p)
    cit.set_fields(cf, "1", archive_url=ARCHIVED + "a")
    half = TWO.replace("title: Second", "title: [Second")
    p.write_text(half, encoding="utf-8")
    with pytest.raises(cit.CitationsError) as e:
        cit.save(cf)
    assert p.read_text() == half
    assert "changed by someone else while citewatch was working, and it does not load now" in str(e.value)
    p.write_text(TWO.replace("title: Second", "title: Second, fixed"), encoding="utf-8")
    cit.save(cf)  # once it loads again, the run's changes go in
    after = cit.load(p)
    assert after.entry("1")["archive_url"] == ARCHIVED + "a" and after.entry("2")["title"] == "Second, fixed"


def test_a_file_deleted_meanwhile_is_written_back(tmp_path):
    p = write(tmp_path, TWO)
    cf = cit.load(p)
    cit.set_fields(cf, "1", archive_url=ARCHIVED + "a")
    p.unlink()
    cit.save(cf)
    assert cit.load(p).entry("1")["archive_url"] == ARCHIVED + "a"


def test_half_a_utf16_pair_is_a_problem_at_its_line_and_never_a_crash(tmp_path, monkeypatch):
    """YAML's "\\ud800" escape gives a lone surrogate, which no UTF-8 report can hold: it is
    named at its line, read as U+FFFD, and the run's reports are all written."""
    from click.testing import CliRunner

    from pipeline.cli import main

    monkeypatch.chdir(tmp_path)  # the run's archive/ goes here
    path = tmp_path / "citations.yaml"
    path.write_text('citations:\n- id: "1"\n  url: "http://127.0.0.1:9/x"\n  title: "bad \\ud800 title"\n')
    runner = CliRunner()
    checked = runner.invoke(main, ["check", str(path), "--max-time", "5"])
    assert checked.exit_code != 0 and isinstance(checked.exception, (SystemExit, type(None))), checked.output
    assert f"{path}:4: citation 1: title holds half of a UTF-16 pair" in checked.output
    ran = runner.invoke(
        main, ["run", "--citations", str(path), "--no-wayback", "--reports-dir", str(tmp_path / "r"), "--max-time", "5"]
    )
    assert isinstance(ran.exception, (SystemExit, type(None))), ran.output
    written = json.loads((tmp_path / "r" / "citations.json").read_text(encoding="utf-8"))
    assert written["results"][0]["title"] == "bad \ufffd title"
