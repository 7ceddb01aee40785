"""The ``citewatch`` command: a thin Click layer over the library.

Each command parses its options, calls library functions and prints. User
mistakes (a missing file, bad YAML, a bad option) end as one line on stderr
with exit status 1 — never a traceback.

Where things are: the group and the process's exit here; each command in
``commands.py``; options several commands share in ``options.py``; what is
printed in ``printing.py``; the progress display in ``progress.py``; exit
statuses and one-line errors in ``errors.py``.

Exit statuses: ``vocab.ExitStatus`` (the one table, shown in ``--help``).
"""

from __future__ import annotations

import sys

import click

from .. import __version__
from ..vocab import ExitStatus, exit_status_table
from . import commands, progress
from .progress import Progress

__all__ = ["Progress", "entry", "main"]


class _Commands(click.Group):
    """Click ends a usage error (an unknown option, a value that does not parse) with exit
    status 2, which is the status this tool keeps for "confirmed problems": a scheduled job
    with a mistyped flag would report broken sources instead of a broken job. Usage errors
    leave with 1, as input errors do."""

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as e:
            e.exit_code = ExitStatus.INPUT
            raise

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as e:  # a subcommand's own arguments
            e.exit_code = ExitStatus.INPUT
            raise


@click.group(
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Exit status:\n\n\b\n" + exit_status_table(),
)
@click.version_option(__version__, prog_name="citewatch")
def main() -> None:
    """Check, verify and archive the sources an article cites.

    \b
    Typical use:
      citewatch extract article.txt -o citations.yaml
      citewatch run article.txt

    Settings come from citewatch.toml (or [tool.citewatch] in pyproject.toml),
    found in the current folder or above; flags override it (citewatch config).
    """
    _quiet_libraries()


for _command in (commands.extract, commands.check, commands.archive, commands.run, commands.report, commands.resolve):
    main.add_command(_command)


def _quiet_libraries() -> None:
    """The libraries under citewatch log through ``logging``; with no handler configured,
    Python prints their warnings raw on stderr ("EOF marker not found" from pypdf, for
    every damaged PDF a footnote cites), between our one-line-per-URL output. What they
    report reaches the user as a status and a reason instead."""
    import logging

    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())


def entry() -> None:
    """The ``citewatch`` console script: the CLI, then a quick exit.

    When a command has finished, its files are written and closed, its output flushed and
    its atexit work done, the interpreter's own teardown (a last full garbage collection,
    then module after module) still takes 0.1–0.15 s after a 2,000-URL check, and nothing
    in it can be seen. So leave with os._exit once everything that can be seen is done.
    Tests call ``main`` through CliRunner; this wrapper only shapes how the process ends.
    """
    import atexit
    import os
    import threading

    progress.WHOLE_PROCESS = True
    _terminate_as_interrupt()
    try:
        main()  # standalone mode: always ends in SystemExit
        code: object = 0
    except SystemExit as e:
        code = e.code
    # what the interpreter does on the way out, in its order: wait for non-daemon threads
    # (and the executors' shutdown hooks), then atexit; only the teardown after is skipped
    wait_for_threads = getattr(threading, "_shutdown", None)
    run_exit_functions = getattr(atexit, "_run_exitfuncs", None)
    if wait_for_threads is None or run_exit_functions is None:  # not CPython: the ordinary way
        sys.exit(code)
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)  # as the interpreter does with sys.exit("message")
        code = 1
    if code == ExitStatus.INTERRUPTED:  # what a child is reading now is not wanted
        from ..pagereader import stop_shared_readers

        stop_shared_readers()
    wait_for_threads()
    run_exit_functions()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (citewatch check | head): nothing to add
            pass
    os._exit(code)


def _terminate_as_interrupt() -> None:
    """SIGTERM (a CI job cancelled or past its time limit, ``timeout``, ``docker stop``)
    ends a run as Ctrl-C does: finished work kept, temporary files removed, "interrupted",
    exit 130. Python's default for it ended the process on the spot: no ``finally`` ran, so
    a temp file being written (the WARC index's, a report's) stayed in archive/ or reports/
    and the run said nothing. The main thread gets it, as it gets SIGINT."""
    import signal

    def interrupt(signum, frame) -> None:
        raise KeyboardInterrupt

    try:
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, interrupt)
    except (ValueError, OSError):  # not the main thread, or no such signal here
        pass


from .. import cli_export, cli_merge  # noqa: E402, F401 - register `citewatch export` and `merge` on main
from . import show_config  # noqa: E402 - after every command: it lists their options

show_config.build(main)
