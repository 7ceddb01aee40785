"""The whole job for one or many articles: extract → check → verify → archive → report.

URLs are gathered from every article first and checked once, so a site's
whole archive of articles costs one request per distinct source. Each article
then gets its own report; several articles also get an index report.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import citations as cit
from .archive.history import History
from .archive.layout import LOCK_WAIT, ArchiveLayout, locked
from .archive.stage import ArchiveSettings, archive_results
from .archive.warc import WarcArchive
from .check import CheckSettings, OnProgress, check_urls
from .extract import extract, no_sources_message
from .fetch import Fetcher
from .files import write_atomic
from .footnotes import ArticleError
from .model import FAILING, Finding, Result, Severity, Status
from .report import html as html_report
from .report import json as json_report
from .report import junit as junit_report
from .report import markdown as md_report
from .results import DEFAULT_FAIL_ON, VerifyAsChecked, problems

EXIT_OK, EXIT_PROBLEMS = 0, 2


@dataclass
class Job:
    """One article (optional) and its citations file."""

    citations: Path
    article: Path | None = None
    fmt: str | None = None

    namespace: str | None = None  # shares a file another article owns: its ids are NAMESPACE:…
    source: str | None = None  # article.source in the citations file, when no article is given
    title: str | None = None  # the article's title, once extracted

    @property
    def name(self) -> str:
        if self.article is not None:
            return self.article.stem
        return Path(self.source).stem if self.source else self.citations.stem


@dataclass
class RunSettings:
    check: CheckSettings = field(default_factory=CheckSettings)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    archive_dir: Path = Path("archive")
    reports_dir: Path = Path("reports")
    local_copy: bool = True
    fail_on: tuple[str, ...] = DEFAULT_FAIL_ON
    junit: Path | None = None
    step_summary: Path | None = None  # GITHUB_STEP_SUMMARY
    lock_wait: float = LOCK_WAIT  # seconds to wait for another run writing archive_dir


@dataclass
class JobReport:
    job: Job
    report: dict[str, Any]
    paths: list[Path]
    exit_status: int


@dataclass
class RunOutcome:
    reports: list[JobReport]
    notes: list[str]
    exit_status: int


def citation_findings(cf: cit.CitationsFile) -> list[Finding]:
    """Bad entries in citations.yaml, reported in the report's findings (and their rows)."""
    findings = []
    for c in cf.citations:
        for problem in c.problems:  # "path:LINE: citation ID: message"
            m = re.match(r"^.*?:(\d+): citation [^:]+: (.*)$", problem)
            line, message = (int(m.group(1)), m.group(2)) if m else (c.line, problem)
            findings.append(Finding("bad-citation", message, c.id, line, Severity.ERROR))
    return findings


def _previous_run(archive_dir: Path, name: str) -> dict[str, Any] | None:
    try:
        return json.loads(ArchiveLayout.at(archive_dir).run_report(name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def changes_since(previous: dict[str, Any] | None, results: list[Result], newly_archived: list[str]) -> dict[str, Any]:
    """What a reader of a weekly report wants first: what is different from last time."""
    before = {r["id"]: r for r in (previous or {}).get("results", [])}
    failing = {s.value for s in FAILING}
    out: dict[str, Any] = {
        "previous_run": (previous or {}).get("generated_at"),
        "newly_failing": [],
        "confirmed_dead": [],
        "recovered": [],
        "newly_archived": [],
        "retitled": [],
        "previous_titles": {},
    }
    for r in results:
        if r.check is None or r.check.status == Status.SKIPPED:
            continue
        old = before.get(r.citation.id) or {}
        old_status = old.get("status")
        old_check = old.get("check") or {}
        now_failing = r.check.status.value in failing
        if now_failing and old_status not in failing:
            out["newly_failing"].append(r.citation.id)
        if now_failing and r.check.confirmed and not old_check.get("confirmed"):
            out["confirmed_dead"].append(r.citation.id)
        if old_status in failing and r.check.status in (Status.LIVE, Status.REDIRECTED):
            out["recovered"].append(r.citation.id)
        if r.citation.url in newly_archived:
            out["newly_archived"].append(r.citation.id)
        # a page that still answers under another headline: a correction, or a story rewritten
        was = (old.get("page") or {}).get("title")
        now = r.page.title if r.page else None
        reached = ("live", "redirected")
        was_reached = (old_check.get("previous_status") if old_status == "skipped" else old_status) in reached
        if was and now and was_reached and r.check.status.value in reached and _words(was) != _words(now):
            out["retitled"].append(r.citation.id)
            out["previous_titles"][r.citation.id] = was
    return out


def _words(title: str) -> list[str]:
    return re.findall(r"\w+", title.casefold())


def _write_reports(
    job: Job,
    results: list[Result],
    findings: list[Finding],
    cf: cit.CitationsFile,
    settings: RunSettings,
    newly_archived: list[str],
    notes: list[str],
) -> JobReport:
    found = problems(results, settings.fail_on, findings)
    status = EXIT_PROBLEMS if found else EXIT_OK
    if job.title is not None:  # extracted this run (and maybe sharing the file): the article speaks
        article_meta = {"title": job.title, "source": job.source or ""}
    else:
        article_meta = {k: str(v) for k, v in dict(cf.doc.get("article") or {}).items()}
    previous = _previous_run(settings.archive_dir, job.name)
    report = json_report.report_dict(
        job.name,
        results,
        findings,
        article=article_meta,
        changes=changes_since(previous, results, newly_archived),
        exit_status=status,
        notes=notes,
    )
    paths = write_report_files(report, settings.reports_dir, {p.citation_id for p in found}, settings.junit)
    write_atomic(ArchiveLayout.at(settings.archive_dir).run_report(job.name), json_report.dumps(report))
    if settings.step_summary:
        with open(settings.step_summary, "a", encoding="utf-8") as f:
            f.write(md_report.summary(report) + "\n")
    return JobReport(job, report, paths, status)


def write_report_files(
    report: dict[str, Any], reports_dir: Path, failing_ids: set[str], junit: Path | None
) -> list[Path]:
    """Render every format fully in memory first, then replace files atomically."""
    rendered = {
        reports_dir / f"{report['name']}.md": md_report.render(report),
        reports_dir / f"{report['name']}.html": html_report.render(report),
        reports_dir / f"{report['name']}.json": json_report.dumps(report),
    }
    if junit:
        target = junit if junit.suffix == ".xml" else junit / f"{report['name']}.xml"
        rendered[target] = junit_report.render(report, failing_ids)
    for path, text in rendered.items():
        write_atomic(path, text)
    return list(rendered)


def write_index(reports: list[JobReport], reports_dir: Path) -> list[Path]:
    lines = [
        "# citewatch: all articles",
        "",
        "| article | citations | confirmed problems | exit | report |",
        "|---|---:|---:|---:|---|",
    ]
    rows = []
    for jr in reports:
        s = jr.report["summary"]
        title = md_report.esc(jr.report["article"].get("title") or jr.job.name)
        lines.append(
            f"| {title} | {s['citations']} | {s['confirmed_problems']} | {jr.exit_status} | [{jr.job.name}.md](<{jr.job.name}.md>) · [html](<{jr.job.name}.html>) |"
        )
        rows.append(
            f"<tr><td>{html_report.e(jr.report['article'].get('title') or jr.job.name)}</td><td>{s['citations']}</td>"
            f'<td>{s["confirmed_problems"]}</td><td>{jr.exit_status}</td><td><a href="{html_report.e(jr.job.name)}.html">report</a></td></tr>'
        )
    html = (
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content='width=device-width'>"
        "<title>citewatch index</title><style>body{font:15px system-ui;margin:1rem}table{border-collapse:collapse}"
        "td,th{border:1px solid #ddd;padding:.3rem .6rem}</style></head><body><h1>citewatch: all articles</h1>"
        "<table><tr><th>article</th><th>citations</th><th>confirmed problems</th><th>exit</th><th></th></tr>"
        + "".join(rows)
        + "</table></body></html>\n"
    )
    paths = [reports_dir / "index.md", reports_dir / "index.html"]
    write_atomic(paths[0], "\n".join(lines) + "\n")
    write_atomic(paths[1], html)
    return paths


def run(
    jobs: list[Job],
    settings: RunSettings,
    on_progress: OnProgress | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> RunOutcome:
    """The whole job, holding archive_dir's lock: a second run on the same archive waits for
    this one (bounded), since both would read, extend and rewrite the same shared files."""
    with locked(settings.archive_dir, settings.lock_wait):
        return _run(jobs, settings, on_progress, on_stage)


def _run(
    jobs: list[Job],
    settings: RunSettings,
    on_progress: OnProgress | None,
    on_stage: Callable[[str], None] | None,
) -> RunOutcome:
    say = on_stage or (lambda _msg: None)
    # several articles, one citations file: ids are namespaced per article ("post:1")
    shared = len(jobs) > 1 and len({j.citations for j in jobs}) == 1
    files: list[cit.CitationsFile] = []
    findings: list[list[Finding]] = []
    for job in jobs:
        if job.article is not None:
            say(f"extract: {job.article} → {job.citations}")
            job.namespace = job.name if shared else job.namespace
            ex = extract(job.article, job.citations, job.fmt, lenient=True, namespace=job.namespace)
            if not ex.sources:
                raise ArticleError(no_sources_message(job.article))
            job.title, job.source = ex.article.title, str(job.article)
            files.append(ex.file)
            findings.append(ex.findings)
        else:
            cf = cit.load(job.citations, lenient=True)
            source = (cf.doc.get("article") or {}).get("source")
            job.source = str(source) if source else None
            files.append(cf)
            findings.append([])
    if shared:  # one in-memory file for every job, so write-backs never overwrite each other
        files = [cit.load(jobs[0].citations, lenient=True)] * len(jobs)
    per_job_citations = [
        [c for c in cf.citations if not job.namespace or c.id.startswith(f"{job.namespace}:")]
        for job, cf in zip(jobs, files, strict=True)
    ]
    for i, cf in enumerate(files):
        findings[i] = findings[i] + [
            f for f in citation_findings(cf) if f.footnote in {c.id for c in per_job_citations[i]}
        ]

    urls = list(dict.fromkeys(c.url for cs in per_job_citations for c in cs if c.url))
    say(f"check: {len(urls)} distinct URL(s) from {len(jobs)} article(s)")
    history = History(settings.archive_dir)
    warc = WarcArchive(settings.archive_dir) if settings.local_copy else None
    fetcher = Fetcher(settings.check.fetch)
    notes: list[str] = []
    verifier = VerifyAsChecked([c for cs in per_job_citations for c in cs], on_progress)
    try:
        outcomes = check_urls(
            urls,
            settings.check,
            history,
            on_fetch=warc.write if warc else None,
            on_progress=verifier,
            fetcher=fetcher,
        )
        per_job = [verifier.results(cs, outcomes) for cs in per_job_citations]
        say("archive: " + settings.archive.describe())
        items = [(r, cf) for results, cf in zip(per_job, files, strict=False) for r in results]
        out = archive_results(items, settings.archive_dir, settings.archive, fetcher)
        notes.extend(out.notes)
        newly = out.newly_archived
    finally:
        fetcher.close()
        if warc:
            warc.close()
    say("report: " + str(settings.reports_dir))
    reports = [
        _write_reports(job, results, f, cf, settings, newly, notes)
        for job, results, f, cf in zip(jobs, per_job, findings, files, strict=False)
    ]
    if len(reports) > 1:
        write_index(reports, settings.reports_dir)
    status = max((r.exit_status for r in reports), default=EXIT_OK)
    return RunOutcome(reports, notes, status)


def rerender(
    archive_dir: Path, reports_dir: Path, names: list[str] | None = None, junit: Path | None = None
) -> list[Path]:
    """Re-render reports from archive/runs/*.json without touching the network."""
    written: list[Path] = []
    runs_dir = ArchiveLayout.at(archive_dir).runs
    available = sorted(p.stem for p in runs_dir.glob("*.json"))
    for name in names or available:
        report = _previous_run(archive_dir, name)
        if report is None:
            raise ValueError(
                f"{runs_dir / (name + '.json')}: no saved run (available: {', '.join(available) or 'none'})"
            )
        failing = {r["id"] for r in report["results"] if (r.get("check") or {}).get("confirmed")}
        written += write_report_files(report, reports_dir, failing, junit)
    return written


def step_summary_path() -> Path | None:
    p = os.environ.get("GITHUB_STEP_SUMMARY")
    return Path(p) if p else None
