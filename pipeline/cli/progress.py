"""How a long check shows it is alive: a bar on a terminal, log lines elsewhere."""

from __future__ import annotations

import sys
import threading

import click

from ..check import UrlOutcome
from ..textsafe import clean

WHOLE_PROCESS = False  # set by the console script: the process is this command's alone


def settle_heap() -> None:
    """Before checking starts: the modules and the citations loaded so far live until the
    process ends, so take them out of the garbage collector's sight (gc.freeze). Every
    full collection during the run would walk them again, with every thread stopped:
    at 20,000 URLs, 0.85 s of full collections -> 0.64 s. Only when the process is the
    command's own: a program calling ``main`` (a test's CliRunner) owns its heap."""
    if WHOLE_PROCESS:
        import gc

        gc.freeze()


class Progress:
    """A bar on a terminal; plain log lines otherwise (CI logs stay readable).

    Output is written at most every ``every`` seconds (by a small flusher thread), not
    once per URL: at 300 URLs a second, a write per URL from the collecting thread made it
    give up the GIL 300 times a second and queue behind 48 workers to get it back, and
    the URLs it had yet to hand out waited with it. A line is never held back longer than
    ``every``; ``close`` writes what is left (also after Ctrl-C)."""

    def __init__(self, total: int, label: str = "checking", every: float = 0.2, shown: bool = True) -> None:
        self.total, self.done, self.label, self.every = total, 0, label, every
        self.shown = shown  # --no-progress, -q: count, show nothing
        self.tty = sys.stderr.isatty()
        self._lines: list[str] = []  # log lines not yet written (not a terminal)
        self._bar: str | None = None  # the bar not yet drawn (a terminal)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._flusher: threading.Thread | None = None

    def __call__(self, url: str, outcome: UrlOutcome) -> None:
        self.done += 1
        if not self.shown:
            return
        c = outcome.check
        if self.tty:
            width = 30
            filled = int(width * self.done / max(1, self.total))
            line = f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {c.status.value:<11} {clean(url)[:60]}"
            with self._lock:
                self._bar = line.ljust(120)[:120]
        else:
            with self._lock:
                self._lines.append(f"[{self.done}/{self.total}] {c.status.value:<11} {clean(url)} — {clean(c.reason)}")
        if self.done >= self.total:
            self.close()
        elif self._flusher is None:
            self._flusher = threading.Thread(target=self._flush_now_and_then, name="citewatch-progress", daemon=True)
            self._flusher.start()

    def _flush_now_and_then(self) -> None:
        while not self._closed.wait(self.every):
            self.flush()

    def flush(self) -> None:
        with self._lock:  # held while writing, so two flushes never swap their lines
            lines, self._lines = self._lines, []
            bar, self._bar = self._bar, None
            # color=False: no isatty() call per write
            if lines:
                click.echo("\n".join(lines), err=True, color=False)
            if bar is not None:
                click.echo(bar, err=True, nl=False, color=False)

    def close(self) -> None:
        """Write what is left; a finished bar ends its line."""
        if self._closed.is_set():
            return
        self._closed.set()
        self.flush()
        if self.tty and self.done >= self.total:
            click.echo("", err=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class StageDisplay:
    """A run's stages as the terminal shows them: a line as each starts, and the check
    stage's progress (sized by the event, not read out of its text)."""

    def __init__(self, stages: bool = True, progress: bool = True) -> None:
        self.progress: Progress | None = None
        self.shows_stages, self.shows_progress = stages, progress

    def on_stage(self, event) -> None:  # a run.StageStarted
        from ..run import Stage

        self.close()  # the check's last lines before the next stage's
        if self.shows_stages:
            click.echo(f"citewatch: {clean(event)}", err=True)
        if event.stage is Stage.CHECK:
            self.progress = Progress(event.urls, shown=self.shows_progress)
            settle_heap()

    def on_progress(self, url: str, outcome: UrlOutcome) -> None:
        if self.progress:
            self.progress(url, outcome)

    def close(self) -> None:
        if self.progress:
            self.progress.close()
