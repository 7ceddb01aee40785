"""A run the cache answers: fresh URLs are answered before any worker, fetcher or page
reader starts, with the outcome a worker gave them before; only the others are fetched."""

from __future__ import annotations

import json

import pytest

from pipeline import check as check_mod
from pipeline.archive.history import History
from pipeline.check import check_run
from pipeline.model import Status

from .conftest import check_settings
from .servers import html


@pytest.fixture
def pool_calls(monkeypatch):
    """The URLs each _run_pool call was handed."""
    calls: list[list[str]] = []
    real = check_mod._run_pool

    def recording(urls, *args, **kwargs):
        calls.append([url for _, url in urls])
        return real(urls, *args, **kwargs)

    monkeypatch.setattr(check_mod, "_run_pool", recording)
    return calls


def test_a_run_the_cache_answers_whole_starts_no_fetcher_or_worker(site, tmp_path, pool_calls, monkeypatch):
    site.routes["/a"] = html("Story A")
    site.routes["/b"] = html("Story B")
    urls = [site.url("/a"), site.url("/b"), site.url("/b") + "#part-2"]
    history = History(tmp_path)
    first = check_run(urls, check_settings(probe=False), history)
    assert {o.check.status for o in first.outcomes.values()} == {Status.LIVE}
    assert pool_calls == [[site.url("/a"), site.url("/b")]]

    def no_fetcher(*args, **kwargs):
        raise AssertionError("a fetcher was made for a run the cache answers")

    monkeypatch.setattr(check_mod, "Fetcher", no_fetcher)
    seen = []
    second = check_run(urls, check_settings(probe=False), History(tmp_path), on_progress=lambda u, o: seen.append(u))
    assert len(pool_calls) == 1  # no pool the second time
    assert sorted(seen) == sorted(urls)  # progress for every spelling, as before
    assert site.hits("/a") == site.hits("/b") == 1
    for url in urls:
        got = second.outcomes[url]
        assert got.check.url == url
        assert got.check.status is Status.SKIPPED
        assert got.check.reason.startswith("fresh in the cache: live at ")
        assert got.check.previous_status is Status.LIVE
        assert got.check.http_status == 200
        assert got.page is not None and got.page.title == first.outcomes[url].page.title
    assert (second.offline, second.slowdowns, second.unchecked) == (None, [], 0)


def test_only_the_urls_that_are_not_fresh_are_scheduled(site, tmp_path, pool_calls):
    site.routes["/a"] = html("Story A")
    site.routes["/gone"] = html("gone", status=404)
    urls = [site.url("/a"), site.url("/gone")]
    check_run(urls, check_settings(probe=False), History(tmp_path))
    again = check_run(urls, check_settings(probe=False), History(tmp_path))
    assert pool_calls[-1] == [site.url("/gone")]  # a failure is checked again, by design
    assert site.hits("/gone") == 2 and site.hits("/a") == 1
    assert again.outcomes[site.url("/gone")].check.status is Status.DEAD
    assert again.outcomes[site.url("/gone")].check.failing_checks == 2
    assert again.outcomes[site.url("/a")].check.status is Status.SKIPPED
    # --force: everything is fetched again, through the pool
    forced = check_mod.CheckSettings(fetch=check_settings().fetch, probe=False, force=True)
    check_run(urls, forced, History(tmp_path))
    assert pool_calls[-1] == urls
    assert site.hits("/a") == 2


def _write(history: History, url: str, checks: list[dict]) -> None:
    for i, entry in enumerate(checks):
        history.record(url, entry, checks[:i])


def test_checks_unless_reads_the_last_line_and_parses_only_what_is_wanted(tmp_path):
    history = History(tmp_path)
    url = "https://example.com/a"
    checks = [
        {"at": f"2026-11-{d:02d}T10:00:00+00:00", "status": "dead", "reason": "x\n  ]" * 100} for d in range(1, 6)
    ]
    checks.append({"at": "2026-11-30T10:00:00+00:00", "status": "live", "page": {"title": "A }\n  ] {"}})
    _write(history, url, checks)
    assert History(tmp_path).checks(url) == checks
    assert history.path_for(url).stat().st_size > 2048  # small files are parsed whole
    seen = []
    assert History(tmp_path).checks_unless(url, lambda last: seen.append(last) or True) is None
    assert seen == [checks[-1]]  # the last check alone was read
    assert History(tmp_path).checks_unless(url, lambda last: False) == checks
    # a file laid out otherwise (edited by hand, an older writer): parsed whole, never misread
    path = history.path_for(url)
    path.write_text(json.dumps({"url": url, "checks": checks}), encoding="utf-8")
    assert History(tmp_path).checks_unless(url, lambda last: True) == checks
    # damaged or not UTF-8: no history, as checks() says
    path.write_text('{\n  "url": "x",\n  "checks": [\n    {"at": 1}\n  ]\n', encoding="utf-8")
    assert History(tmp_path).checks(url) == []
    path.write_bytes(b"\xff\xfe")
    assert History(tmp_path).checks_unless(url, lambda last: False) == History(tmp_path).checks(url) == []
    assert History(tmp_path).checks_unless("https://example.com/never", lambda last: False) == []
    small = "https://example.com/small"
    _write(history, small, checks[-1:])
    assert History(tmp_path).checks_unless(small, lambda last: True) == checks[-1:]


def test_a_fully_cached_check_imports_no_network_parser_or_warc_library(site, tmp_path):
    """A second run the cache answers whole costs its start-up: urllib3, lxml, warcio and
    trafilatura are imported only when a page is fetched, parsed or stored (0.1 s of a 0.5 s
    run). A module-level import in a module every command loads brought warcio and the page
    readers back, unnoticed by any other test."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    site.routes["/a"] = html("Story A")
    (tmp_path / "c.yaml").write_text(f"citations:\n  - id: '1'\n    url: {site.url('/a')}\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    args = ["check", "c.yaml", "--allow-private", "--archive-dir", "a", "--no-progress"]
    first = subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=tmp_path, env=env, capture_output=True)
    assert first.returncode == 0, first.stderr
    probe = (
        "import sys\n"
        "from pipeline.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "heavy = ('urllib3', 'lxml', 'warcio', 'trafilatura')\n"
        "print('IMPORTED', sorted(m for m in heavy if m in sys.modules))\n"
    )
    second = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert "fresh in the cache" in second.stdout or "skipped" in second.stdout, second.stdout + second.stderr
    assert "IMPORTED []" in second.stdout, second.stdout
