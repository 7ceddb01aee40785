"""The command line as a user meets it: help, one-line errors, exit statuses, docs in step."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from pipeline.cli import main

from .conftest import ROOT
from .servers import html


def cli(*args, **kw):
    return CliRunner().invoke(main, list(args), catch_exceptions=False, **kw)


@pytest.mark.parametrize("command", ["extract", "check", "archive", "run", "report", "resolve", "export", "config"])
def test_every_command_has_help_with_an_example(command):
    res = cli(command, "--help")
    assert res.exit_code == 0
    assert "Example" in res.output


def test_python_dash_m_works():
    out = subprocess.run(
        [sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert out.returncode == 0 and "Usage:" in out.stdout and "citewatch" in out.stdout.lower()


def test_the_installed_command_ends_with_its_status_all_its_output_and_no_child_left(site, tmp_path):
    """The console script skips the interpreter's teardown (os._exit) once its own shutdown
    work is done: the exit status, every line of output and the exit of the page-reading
    child process (a large page goes to it) must all survive that."""
    import os
    import signal
    import time

    site.route("/big")(html("A large page", body="<p>Officials said the talks would go on.</p>" * 3000))
    site.route("/gone")(html("Not here", status=404))
    (tmp_path / "c.yaml").write_text(
        f"citations:\n  - id: '1'\n    url: {site.url('/big')}\n  - id: '2'\n    url: {site.url('/gone')}\n",
        encoding="utf-8",
    )
    args = ["check", "c.yaml", "--allow-private", "--archive-dir", "a", "--confirm-checks", "1"]
    env = {**os.environ, "CITEWATCH_PAGE_PROCESSES": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", *args, "--confirm-days", "0", "--timeout", "5"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group: children left behind are findable
    )
    try:
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 2, stderr
    assert stdout.rstrip().endswith("2 citations, 2 with a URL: 1 live, 1 dead"), stdout
    assert "[2/2]" in stderr and "Traceback" not in stderr
    assert "1 problem failing this run: 2: dead" in stderr
    deadline = time.monotonic() + 10
    while True:  # the forkserver and its worker follow the parent out within moments
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail("a child process outlived citewatch")
        time.sleep(0.05)


def test_extract_on_the_example(workdir):
    res = cli("extract", "examples/hostage-diplomacy.txt", "-o", "citations.yaml")
    assert res.exit_code == 0, res.output
    out = res.output
    assert "examples/hostage-diplomacy.txt:83: footnote 1: warning: never referenced in the article body" in out
    assert "examples/hostage-diplomacy.txt:88: footnote 6: info: Ibid.: repeats note 5" in out
    assert "footnote 8: warning: repeats note 5 word for word" in out
    assert "footnote 16: warning: repeats note 14 word for word" in out
    assert "footnote 17: warning: no publisher" in out
    assert (
        "footnote 7: warning: 'Beijing Sprint' is not in citewatch's list of outlets; did you mean 'Beijing Spring'?"
        in out
    )
    assert "27 notes (text)" in out and "27 of 27 notes have no URL" in out
    assert (workdir / "citations.yaml").exists()


def one_line_error(res, *needles):
    assert res.exit_code == 1, res.output
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert lines and all(line.startswith("citewatch: ") for line in lines), res.stderr
    assert "Traceback" not in res.output
    for n in needles:
        assert n in res.stderr, res.stderr


def test_missing_article(workdir):
    one_line_error(cli("extract", "nope.txt"), "nope.txt: no such file")


def test_empty_and_binary_articles(workdir):
    Path("empty.txt").write_text("")
    one_line_error(cli("extract", "empty.txt"), "empty.txt: the file is empty")
    Path("bin.txt").write_bytes(b"\x7fELF\x00\x00\x01")
    one_line_error(cli("extract", "bin.txt"), "binary")


def test_article_without_notes(workdir):
    Path("plain.txt").write_text("Just prose, no footnotes at all.\n")
    res = cli("extract", "plain.txt", "-o", "c.yaml")
    one_line_error(res, "no sources found in plain.txt (looked for footnotes")  # issue 17: links count too
    assert "wrote" not in res.output and not Path("c.yaml").exists()  # nothing written, nothing claimed


def test_malformed_citations_yaml(workdir):
    Path("citations.yaml").write_text("citations:\n  - id: '1'\n    url: [oops\n")
    one_line_error(cli("check", "citations.yaml"), "citations.yaml:4: YAML syntax error")


def test_invalid_citations_list_every_problem(workdir):
    Path("citations.yaml").write_text("citations:\n  - id: '1'\n    url: file:///etc/passwd\n  - id: '1'\n")
    res = cli("check", "citations.yaml")
    one_line_error(
        res, "citations.yaml:3: citation 1: url must be an http(s) URL", "citations.yaml:4: duplicate id '1'"
    )


@pytest.mark.parametrize(
    "url", ["http://[::1/", "http://127.0.0.1:99999/", "https://exa mple.com/", "http:///path"], ids=str
)
def test_a_url_urllib_cannot_parse_is_named_not_a_bare_exception(workdir, url):
    # "Invalid IPv6 URL" alone, from the URL parser, named neither the file nor the note
    Path("citations.yaml").write_text(
        f"citations:\n  - id: '1'\n    url: 'https://example.org/'\n  - id: '2'\n    url: '{url}'\n"
    )
    one_line_error(
        cli("check", "citations.yaml"), f"citations.yaml:5: citation 2: url must be an http(s) URL, not {url!r}"
    )


def test_missing_citations_file_says_what_to_do(workdir):
    one_line_error(
        cli("check"), "citations.yaml: no such file (run 'citewatch extract ARTICLE -o citations.yaml' first)"
    )


def test_bad_fail_on(workdir):
    Path("citations.yaml").write_text("citations: []\n")
    one_line_error(cli("check", "--fail-on", "dead,bogus"), "unknown --fail-on value: bogus")


def test_bad_duration_is_a_usage_error(workdir):
    Path("citations.yaml").write_text("citations: []\n")
    res = cli("check", "--recheck-after", "soon")
    assert res.exit_code == 1 and "not a duration" in res.output


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--no-such-flag"],
        ["chekc"],
        ["check", "--timeout", "soon"],
        ["check", "--concurrency", "0"],
        ["check", "missing.yaml"],
        ["run"],
    ],
)
def test_usage_errors_exit_1_never_2(workdir, args):
    """Exit status 2 means "confirmed problems in the sources": a scheduled job with a
    mistyped flag or a missing file must not page someone about broken links."""
    res = cli(*args)
    assert res.exit_code == 1, (args, res.output)
    assert res.output.strip() and "Traceback" not in res.output


def test_check_called_from_python_leaves_the_callers_heap_alone(workdir):
    """The console script freezes what it has loaded before checking (gc.freeze); a
    program calling ``main`` itself owns its heap and must not find it frozen."""
    import gc

    Path("citations.yaml").write_text("citations:\n  - id: '1'\n    title: no url here\n")
    before = gc.get_freeze_count()
    res = cli("check")
    assert res.exit_code == 0, res.output
    assert gc.get_freeze_count() == before


def _outcome(n: int):
    from pipeline.check import UrlOutcome
    from pipeline.model import LinkCheck, Status

    return f"https://example.org/{n}", UrlOutcome(LinkCheck(f"https://example.org/{n}", Status.LIVE, "HTTP 200 OK"))


def test_progress_lines_are_batched_but_all_written_in_order(capsys):
    """One write per batch, not per URL; the last URL writes everything left."""
    from pipeline.cli import Progress

    progress = Progress(5, every=60)
    for n in range(1, 4):
        progress(*_outcome(n))
    assert capsys.readouterr().err == ""  # held back (the flusher waits 60 s)
    for n in range(4, 6):
        progress(*_outcome(n))
    lines = capsys.readouterr().err.splitlines()
    assert [line.split()[0] for line in lines] == [f"[{n}/5]" for n in range(1, 6)]
    assert lines[0] == "[1/5] live        https://example.org/1 — HTTP 200 OK"


def test_progress_lines_are_not_held_while_the_run_waits(capsys):
    """A URL that hangs for its whole deadline must not hide the lines finished before it."""
    import time

    from pipeline.cli import Progress

    progress = Progress(3, every=0.05)
    progress(*_outcome(1))
    seen, deadline = "", time.monotonic() + 5
    while "[1/3]" not in seen and time.monotonic() < deadline:
        time.sleep(0.02)
        seen += capsys.readouterr().err
    assert "[1/3] live" in seen
    progress.close()


def test_progress_closed_early_writes_what_it_has_once(capsys):
    """Ctrl-C: the lines of finished checks are written before the 'interrupted' line."""
    from pipeline.cli import Progress

    progress = Progress(10, every=60)
    progress(*_outcome(1))
    progress(*_outcome(2))
    progress.close()
    progress.close()
    assert capsys.readouterr().err.splitlines() == [
        "[1/10] live        https://example.org/1 — HTTP 200 OK",
        "[2/10] live        https://example.org/2 — HTTP 200 OK",
    ]


def test_progress_bar_on_a_terminal_ends_on_its_own_line(capsys):
    from pipeline.cli import Progress

    progress = Progress(3, every=60)
    progress.tty = True
    for n in range(1, 4):
        progress(*_outcome(n))
    err = capsys.readouterr().err
    assert err.startswith("\rchecking [") and "3/3" in err and err.endswith("\n")
    assert "1/3" not in err  # only the latest state is drawn, not every step


def test_interrupted_check_shows_the_finished_lines_before_saying_so(workdir, monkeypatch):
    """Ctrl-C after two of three URLs: both finished lines reach the log (they were held
    in the progress batch), and before the 'interrupted' line, not after or never."""
    import pipeline.cli as cli_mod

    def interrupted(citations, settings, history, on_progress=None):
        on_progress(*_outcome(1))
        on_progress(*_outcome(2))
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_mod.commands, "check_citations_run", interrupted)
    Path("citations.yaml").write_text(
        "citations:\n" + "".join(f"  - id: '{n}'\n    url: https://example.org/{n}\n" for n in (1, 2, 3))
    )
    res = cli("check")
    assert res.exit_code == 130
    err = res.stderr
    assert err.index("[1/3] live") < err.index("[2/3] live") < err.index("interrupted")


def test_check_json_and_exit_status(workdir, site):
    site.routes["/ok"] = html("Fine page")
    site.routes["/gone"] = html("gone", status=410)
    Path("citations.yaml").write_text(
        "citations:\n"
        f"  - id: '1'\n    title: Fine page\n    url: {site.url('/ok')}\n"
        f"  - id: '2'\n    url: {site.url('/gone')}\n"
        "  - id: '3'\n    title: no url here\n"
    )
    res = cli("check", "--allow-private", "--timeout", "2", "--json", "out.json", "--no-probe")
    assert res.exit_code == 0, res.output  # one failing check is not yet confirmed
    assert "HTTP 410 Gone" in res.output and "failing since" in res.output
    assert "3 citations, 2 with a URL" in res.output
    report = json.loads(Path("out.json").read_text())
    jsonschema.validate(report, json.loads((ROOT / "docs" / "report.schema.json").read_text()))
    one, two, three = report["results"]
    for field in (
        "id",
        "url",
        "status",
        "reason",
        "http_status",
        "final_url",
        "redirect_chain",
        "paywalled",
        "checked_at",
        "elapsed_ms",
    ):
        assert field in one
    assert (one["status"], two["status"], three["status"]) == ("live", "dead", "skipped")
    assert one["title_match"]["verdict"] == "match"
    # confirmation is settable: one check over zero days is enough here
    res = cli(
        "check", "--allow-private", "--timeout", "2", "--confirm-checks", "1", "--confirm-days", "0", "--no-probe"
    )
    assert res.exit_code == 2 and "[confirmed]" in res.output
    # and a live URL checked a moment ago is fresh: skipped unless --force
    res = cli("check", "--allow-private", "--timeout", "2", "--no-probe")
    assert "fresh in the cache" in res.output
    # the gone page comes back: said so
    site.routes["/gone"] = html("Back again")
    res = cli("check", "--allow-private", "--timeout", "2", "--no-probe")
    assert "[recovered: was dead]" in res.output


def test_private_address_refused_without_flag(workdir):
    Path("citations.yaml").write_text("citations:\n  - id: '1'\n    url: http://169.254.169.254/latest/meta-data/\n")
    res = cli("check", "--timeout", "2")
    assert res.exit_code == 0 and "skipped" in res.output and "--allow-private" in res.output


def test_cli_reference_is_in_step_with_the_code():
    """docs/cli.md is what users read as the reference: a changed option must show there."""
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import update_cli_doc
    finally:
        sys.path.pop(0)
    stored = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert stored == update_cli_doc.render(), "docs/cli.md is stale: run python docs/update_cli_doc.py"
    for name in main.commands:
        assert f"## `citewatch {name}`" in stored


def test_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    head = text[:1500]
    assert "pip install -e ." in head and "citewatch run examples/hostage-diplomacy.txt" in head
    assert "pytest" in head
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -e '.[test]'" in ci and "pytest" in ci


def actionlint() -> str | None:
    here = Path(sys.executable).parent / "actionlint"
    return str(here) if here.exists() else shutil.which("actionlint")


@pytest.mark.skipif(actionlint() is None, reason="actionlint is in the test extras")
def test_workflow_passes_actionlint():
    out = subprocess.run(
        [actionlint(), ".github/workflows/citewatch.yml"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_workflow_does_what_the_ci_recipe_promises():
    # the workflow runs the repository's own action (issue 21): the steps live in action.yml
    workflow = (ROOT / ".github" / "workflows" / "citewatch.yml").read_text(encoding="utf-8")
    assert "uses: ./" in workflow
    wf = workflow + (ROOT / "action.yml").read_text(encoding="utf-8")
    for needle in (
        "schedule:",
        "workflow_dispatch:",
        "pip install",
        "citewatch run",
        "upload-artifact",
        "secrets.WAYBACK_ACCESS_KEY",
        "secrets.WAYBACK_SECRET_KEY",
        "git diff --cached --quiet",
        "git push",
    ):
        assert needle in wf, needle


def test_damaged_pdfs_leave_no_library_warnings_on_the_terminal(site, tmp_path):
    # pypdf logs "EOF marker not found" for a damaged PDF; with nothing set up to take it,
    # Python printed it raw among the progress lines. One PDF is small (read in the
    # worker thread), one large (read in a child process, where the CLI's set-up is not).
    from .servers import send

    site.route("/small.pdf")(lambda req: send(req, 200, b"%PDF-1.4\n%broken", content_type="application/pdf"))
    big = b"%PDF-1.4\n" + b"% filler\n" * 10_000
    site.route("/big.pdf")(lambda req: send(req, 200, big, content_type="application/pdf"))
    (tmp_path / "c.yaml").write_text(
        f"citations:\n  - id: '1'\n    url: {site.url('/small.pdf')}\n  - id: '2'\n    url: {site.url('/big.pdf')}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "CITEWATCH_PAGE_PROCESSES": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "check", "c.yaml", "--allow-private", "--archive-dir", "a"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.rstrip().endswith("2 citations, 2 with a URL: 2 live"), proc.stdout
    ours = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(ours) == 2 and all(line.startswith(("[1/2]", "[2/2]")) for line in ours), proc.stderr


def test_a_bad_entry_with_a_namespaced_id_is_reported_once_with_its_line(workdir):
    """Problems stay values (file, line, id, message) until printed: an id with a colon
    ("post:1", as shared citation files have) no longer prints its prefix twice."""
    Path("c.yaml").write_text(
        "citations:\n  - id: 'post:1'\n    title: A story\n    url: ftp://example.org/x\n", encoding="utf-8"
    )
    res = cli("run", "--citations", "c.yaml", "--no-wayback", "--reports-dir", "r", "--archive-dir", "a")
    assert res.exit_code == 0, res.output
    warning = "citewatch: warning: c.yaml:4: citation post:1: url must be an http(s) URL, not 'ftp://example.org/x'"
    assert warning + " (kept, reported in its row)" in res.stderr.splitlines()
    assert res.stderr.count("citation post:1") == 1
    finding = json.loads(Path("r/c.json").read_text(encoding="utf-8"))["findings"][0]
    assert (finding["code"], finding["footnote"], finding["line"]) == ("bad-citation", "post:1", 4)
    assert finding["message"] == "url must be an http(s) URL, not 'ftp://example.org/x'"


def test_a_bug_is_a_bug_not_an_input_error(workdir, monkeypatch):
    """Only citewatch's own input errors become one line; a ValueError from a bug keeps its
    traceback and says where to report it."""
    import pipeline.cli.commands as commands

    def broken(*args, **kwargs):
        raise ValueError("a bug nobody foresaw")

    monkeypatch.setattr(commands, "check_citations_run", broken)
    Path("citations.yaml").write_text("citations:\n  - id: '1'\n    url: https://example.org/1\n")
    res = CliRunner().invoke(main, ["check"])
    assert isinstance(res.exception, ValueError) and str(res.exception) == "a bug nobody foresaw"
    assert "internal error (a bug, not your input); please report it" in res.stderr
