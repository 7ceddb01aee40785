"""A field a run writes back (url_status, archive_url, archive_date) that a person set by
hand while the run worked: the person's value is kept and said in one line, whichever way
the file is written (text write-backs or a whole round-trip save)."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline import citations as cit

from .conftest import check_settings
from .servers import html

TWO = """# by hand
citations:
  - id: '1'
    title: First
    url: https://example.com/a
  - id: '2'
    title: Second
    url: https://example.com/b
    url_status: live
"""
ARCHIVED = "https://web.archive.org/web/2024/https://example.com/"
# the same file in a layout the text write-backs leave to the whole-file save (dashes at column 0)
LAYOUTS = {"text": TWO, "round-trip": TWO.replace("\n    ", "\n  ").replace("\n  - ", "\n- ")}


def loaded(p, layout):
    cf = cit.load_for_run(p)
    assert (cf.text_edits is not None) == (layout == "text")
    return cf


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_url_status_set_by_hand_during_a_run_is_kept_and_said_once(tmp_path, layout):
    p = tmp_path / "citations.yaml"
    p.write_text(LAYOUTS[layout], encoding="utf-8")
    cf = loaded(p, layout)
    cit.set_fields(cf, "1", archive_url=ARCHIVED + "a", url_status="live", archive_date=dt.date(2024, 1, 2))
    cit.save(cf)
    assert cit.hand_notice(cf) is None  # nobody else wrote the file: nothing to say
    # a person reads both pages and marks them by hand, in their editor, while the run goes on
    edited = p.read_text(encoding="utf-8").replace("url_status: live", "url_status: unfit  # spam now")
    p.write_text(edited, encoding="utf-8")
    cit.set_fields(cf, "1", url_status="deviated")
    cit.set_fields(cf, "2", archive_url=ARCHIVED + "b", url_status="live")
    cit.save(cf)
    after = cit.load(p)
    assert [after.entry(i)["url_status"] for i in ("1", "2")] == ["unfit", "unfit"]
    assert after.entry("2")["archive_url"] == ARCHIVED + "b"  # the fields they left alone: the run's
    assert after.entry("1")["archive_url"] == ARCHIVED + "a"
    assert "# spam now" in p.read_text(encoding="utf-8")
    notice = cit.hand_notice(cf)
    assert notice == (
        f"{p}: 2 fields edited by hand while this run worked, your values kept: "
        "citation 1: url_status 'unfit' kept (the run found 'deviated'); "
        "citation 2: url_status 'unfit' kept (the run found 'live')"
    )
    assert "\n" not in notice and cit.hand_notice(cf) is None  # said once
    # later in the same run, the run does not take the field back
    cit.set_fields(cf, "1", url_status="dead")
    cit.save(cf)
    assert cit.load(p).entry("1")["url_status"] == "unfit" and cit.hand_notice(cf) is None


@pytest.mark.parametrize("layout", LAYOUTS)
def test_an_editor_saving_its_copy_from_before_the_run_does_not_undo_the_run(tmp_path, layout):
    """Its url_status is the one the file had before the run: not a new decision."""
    p = tmp_path / "citations.yaml"
    p.write_text(LAYOUTS[layout], encoding="utf-8")
    cf = loaded(p, layout)
    cit.set_fields(cf, "2", url_status="dead")
    cit.save(cf)
    p.write_text(LAYOUTS[layout].replace("title: First", "title: First, fixed"), encoding="utf-8")
    cit.set_fields(cf, "1", url_status="live")
    cit.save(cf)
    after = cit.load(p)
    assert (after.entry("1")["title"], after.entry("2")["url_status"]) == ("First, fixed", "dead")
    assert cit.hand_notice(cf) is None


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_field_removed_by_hand_during_a_run_stays_removed(tmp_path, layout):
    p = tmp_path / "citations.yaml"
    p.write_text(LAYOUTS[layout], encoding="utf-8")
    cf = loaded(p, layout)
    p.write_text(LAYOUTS[layout].replace("url_status: live\n", "").rstrip(" "), encoding="utf-8")
    cit.set_fields(cf, "2", url_status="dead")
    cit.save(cf)
    assert "url_status" not in cit.load(p).entry("2")
    assert "citation 2: url_status (removed) kept (the run found 'dead')" in cit.hand_notice(cf)


def test_a_run_keeps_a_url_status_set_during_it_and_says_so(tmp_path, site, wayback):
    """The whole run: the person marks the source while its page is being checked."""
    from pipeline.archive.stage import ArchiveSettings
    from pipeline.run import Job, RunSettings, run

    from .test_archive import wb_settings

    page = html("A live story")
    p = tmp_path / "citations.yaml"
    p.write_text(f"citations:\n  - id: '1'\n    title: A live story\n    url: {site.url('/a')}\n", encoding="utf-8")

    def marked_while_checked(req):
        p.write_text(p.read_text(encoding="utf-8") + "    url_status: unfit\n", encoding="utf-8")
        return page(req)

    site.routes["/a"] = marked_while_checked
    settings = RunSettings(
        check=check_settings(probe=False),
        archive=ArchiveSettings(wayback=wb_settings(wayback)),
        archive_dir=tmp_path / "archive",
        reports_dir=tmp_path / "reports",
    )
    outcome = run([Job(p)], settings)
    entry = cit.load(p).entry("1")
    assert entry["url_status"] == "unfit" and entry["archive_url"]
    said = [n for n in outcome.notes if "edited by hand while this run worked" in n]
    assert said == [f"{p}: a field edited by hand while this run worked, your values kept: "
                    "citation 1: url_status 'unfit' kept (the run found 'live')"]  # fmt: skip


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_url_status_only_people_write_is_never_replaced_by_a_run(tmp_path, layout):
    """README: `unfit` is reserved for a person to set; citewatch does not write it (nor over it)."""
    p = tmp_path / "citations.yaml"
    p.write_text(LAYOUTS[layout].replace("url_status: live", "url_status: unfit"), encoding="utf-8")
    cf = loaded(p, layout)
    assert not cit.set_fields(cf, "2", url_status="live")
    assert cit.set_fields(cf, "2", url_status="dead", archive_url=ARCHIVED + "b")  # the archive link goes in
    cit.save(cf)
    entry = cit.load(p).entry("2")
    assert (entry["url_status"], entry["archive_url"]) == ("unfit", ARCHIVED + "b")
