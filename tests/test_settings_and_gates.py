"""Settings a run cannot use are usage errors, not verdicts on every source (a duration of
nan or inf, a control character in the User-Agent, a device as the config file), gates
read as thresholds (--fail-on findings:warning), and what a run prints and reports agrees
with what the file keeps (an empty run's summary, a person's unfit)."""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.model import Finding, FindingCode, Severity
from pipeline.results import problems


def test_fail_on_findings_warning_also_fails_on_an_error():
    error = Finding(
        FindingCode.MARKER_WITHOUT_NOTE, "the body cites 2 but there is no such note", "2", 3, Severity.ERROR
    )
    assert problems([], {"findings:warning"}, [error])


def test_a_device_given_as_the_config_is_one_line_not_a_memory_error(tmp_path):
    node = tmp_path / "zero.toml"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 5))
    except (PermissionError, OSError):
        pytest.skip("cannot make a device node here")
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    size = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmSize:"))
    # a MemoryError within 256 MB more, not the kernel's kill on a machine others share
    resource.setrlimit(resource.RLIMIT_AS, ((size << 10) + (256 << 20), hard))
    try:
        result = CliRunner().invoke(main, ["config", "--config", str(node)])
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    assert result.exit_code == 1 and not isinstance(result.exception, MemoryError)
    assert "Traceback" not in result.output


def test_an_empty_run_says_no_citations_without_empty_brackets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "citations.yaml").write_text("citations: []\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "--no-wayback", "--no-progress", "-q"])
    assert "()" not in result.output


@pytest.mark.parametrize("option", ["--timeout", "--read-timeout", "--connect-timeout", "--max-time"])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_duration_that_is_not_a_finite_number_is_a_usage_error(tmp_path, monkeypatch, option, value):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "citations.yaml").write_text("citations:\n  - id: '1'\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--offline", option, value])
    assert result.exit_code == 1 or result.exit_code == 2 and "Invalid value" in result.output


@pytest.mark.parametrize("agent", ["a\nb", "a\r\nX-Injected: 1", "a\x00b"])
def test_a_user_agent_that_is_no_header_value_is_a_usage_error(tmp_path, monkeypatch, agent):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "citations.yaml").write_text("citations:\n  - id: '1'\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--offline", "--user-agent", agent])
    assert result.exit_code == 1


def test_the_report_shows_the_url_status_the_file_keeps(tmp_path):
    import datetime as dt

    from pipeline import citations as cit
    from pipeline.archive.policy import write_back
    from pipeline.model import LinkCheck, Result, Snapshot, SnapshotKind, Status

    p = tmp_path / "citations.yaml"
    p.write_text("citations:\n  - id: '1'\n    url: https://example.org/a\n    url_status: unfit\n", encoding="utf-8")
    cf = cit.load_for_run(p)
    result = Result(cf.citations[0], LinkCheck(url="https://example.org/a", status=Status.LIVE, reason="HTTP 200"))
    snap = Snapshot(
        "https://example.org/a", "https://web.archive.org/web/2024/https://example.org/a", dt.datetime(2024, 1, 2),
        SnapshotKind.WAYBACK,
    )  # fmt: skip
    assert write_back(result, cf, snap, dt.date(2024, 1, 2))  # the archive link went in
    assert result.citation.url_status == "unfit"
