"""Each vocabulary is one enum that owns its meaning: every member has every property,
and the places that used to spell the meaning out read it from the member."""

from __future__ import annotations

import click
import pytest

from pipeline.vocab import (
    FAILING,
    ExitStatus,
    FetchError,
    FindingCode,
    Severity,
    SnapshotKind,
    Status,
    Tone,
    UrlStatus,
    Verdict,
)


@pytest.mark.parametrize("status", list(Status))
def test_every_status_has_every_property(status):
    assert isinstance(status.order, int)
    assert isinstance(status.severity, Severity)
    assert {status.is_failure, status.is_reached, status.is_unverifiable} <= {True, False}
    assert status.label == status.value and str(status) == status.value
    assert status.css_class == f"s-{status.value}"
    assert status.meaning
    click.style("x", fg=status.colour)  # a colour click knows (an unknown one raises)


def test_statuses_have_one_order_worst_first():
    ordered = Status.in_order()
    assert sorted(s.order for s in Status) == list(range(len(Status)))
    assert ordered[0] is Status.DEAD and ordered[-1] is Status.SKIPPED
    assert all(s.is_failure for s in ordered[: len(FAILING)])  # failures lead the counts


def test_reached_means_the_sources_own_page_was_read():
    """A bot wall answered instead of the source: not reached (no metadata, no local copy)."""
    assert {s for s in Status if s.is_reached} == {Status.LIVE, Status.REDIRECTED}
    assert FAILING == {Status.DEAD, Status.SOFT_404, Status.UNREACHABLE}
    assert not any(s.is_failure and (s.is_reached or s.is_unverifiable) for s in Status)


def test_worth_capturing_is_reached_or_a_bot_wall_answered():
    """An archive is asked to capture a page that answered, and one behind a bot wall (its
    crawler may be let through); never an error page, a timeout or a page not checked."""
    assert {s for s in Status if s.is_worth_capturing} == {Status.LIVE, Status.REDIRECTED, Status.BLOCKED}
    assert not any(s.is_failure and s.is_worth_capturing for s in Status)


def test_url_status_says_when_a_reader_is_sent_to_the_copy():
    """dead, usurped, unfit: the archived copy is the link; usurped, unfit: no link to the original."""
    assert {s for s in UrlStatus if s.original_unusable} == {UrlStatus.DEAD, UrlStatus.USURPED, UrlStatus.UNFIT}
    assert {s for s in UrlStatus if s.original_hidden} == {UrlStatus.USURPED, UrlStatus.UNFIT}


def test_every_status_css_class_is_styled_by_the_report():
    from importlib import resources

    css = resources.files("pipeline").joinpath("report/templates/report.css").read_text("utf-8")
    for status in Status:
        assert f".{status.css_class}" in css, status


@pytest.mark.parametrize("error", list(FetchError))
def test_every_fetch_error_names_the_status_it_makes(error):
    assert isinstance(error.status, Status)
    assert FetchError(error.value) is error


def test_other_vocabularies_round_trip_their_values():
    for enum in (SnapshotKind, UrlStatus, FindingCode, Severity):
        for member in enum:
            assert enum(str(member)) is member
    assert [s.value for s in UrlStatus] == ["live", "dead", "usurped", "unfit", "deviated"]
    assert not SnapshotKind.LOCAL.is_public and SnapshotKind.WAYBACK.is_public
    assert {c for c in FindingCode if c.groups_in_summary} == {
        FindingCode.MISSING_URL,
        FindingCode.MISSING_DATE,
        FindingCode.MISSING_TITLE,
        FindingCode.MISSING_PUBLISHER,
    }


def test_exit_status_is_two_only_for_problems_fail_on_counted():
    assert ExitStatus.for_problems([]) == 0 and ExitStatus.for_problems(["x"]) == 2
    assert f"{ExitStatus.PROBLEMS}" == "2" and ExitStatus.INPUT == 1


def test_a_finding_with_an_unknown_code_is_a_bug():
    from pipeline.model import Finding

    assert Finding("missing-url", "no URL").code is FindingCode.MISSING_URL
    with pytest.raises(ValueError):
        Finding("no-such-code", "?")


@pytest.mark.parametrize("verdict", list(Verdict))
def test_every_verdict_has_a_tone_the_report_styles(verdict):
    from importlib import resources

    css = resources.files("pipeline").joinpath("report/templates/report.css").read_text("utf-8")
    assert isinstance(verdict.tone, Tone) and f".{verdict.css_class}" in css
    assert verdict.is_alarm == (verdict.tone in (Tone.WARN, Tone.BAD))
    assert Verdict(str(verdict)) is verdict


def test_not_checked_is_neutral_never_an_alarm():
    """unverified (no page read), unconfirmed (nothing ties the name) and unknown say
    "not checked", not "wrong": a reader must not chase them."""
    assert {v for v in Verdict if v.tone is Tone.NEUTRAL} == {Verdict.UNVERIFIED, Verdict.UNCONFIRMED, Verdict.UNKNOWN}
    assert not any(v.shows_score for v in Verdict if v.tone is Tone.NEUTRAL)
    assert {v for v in Verdict if v.is_alarm} == {
        Verdict.PARTIAL,
        Verdict.OTHER_LANGUAGE,
        Verdict.LIKELY_TYPO,
        Verdict.OFF_BY_DAYS,
        Verdict.MISMATCH,
    }
    from pipeline.model import Verdict as FromModel

    assert FromModel is Verdict
