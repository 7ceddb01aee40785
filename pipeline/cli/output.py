"""Where a command's words go, and how many of them.

Results (one line per citation, the summary, an export) go to stdout, so they can be
piped; progress, stage and log lines go to stderr. When stdout carries data
(``--json -``, ``-o -``), the result lines move to stderr and stdout holds the data only.

``-q`` keeps the closing summary and the errors; ``-v`` adds where the settings came from
and the libraries' log lines; ``--no-progress`` drops the bar and the per-URL log lines
(stage lines stay). Colour: ``--color always|never``, else none when ``NO_COLOR`` is set
(any value, https://no-color.org), else only on a terminal.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, StrEnum

import click

_KEY = "citewatch.output"


class Verbosity(IntEnum):
    QUIET = -1
    NORMAL = 0
    VERBOSE = 1


class Colour(StrEnum):
    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


@dataclass
class Output:
    verbosity: Verbosity = Verbosity.NORMAL
    progress: bool = True
    stdout_is_data: bool = False  # --json - / -o -: nothing but the data on stdout

    @property
    def shows_progress(self) -> bool:
        return self.progress and self.verbosity > Verbosity.QUIET

    def result(self, text: str) -> None:
        """A result line (one citation, one path written): not with -q."""
        if self.verbosity > Verbosity.QUIET:
            click.echo(text, err=self.stdout_is_data)

    def summary(self, text: str, stderr: bool = False) -> None:
        """The closing line: printed even with -q (on stderr where stdout is a list of
        files a script reads, as ``report`` prints)."""
        click.echo(text, err=stderr or self.stdout_is_data)

    def log(self, text: str) -> None:
        """A stage or log line: stderr, not with -q."""
        if self.verbosity > Verbosity.QUIET:
            click.echo(text, err=True)

    def detail(self, text: str) -> None:
        """Only with -v: stderr."""
        if self.verbosity >= Verbosity.VERBOSE:
            click.echo(f"citewatch: {text}", err=True)

    def data(self, text: str) -> None:
        """The data itself (a JSON report, an export, a YAML file) on stdout."""
        click.echo(text, nl=not text.endswith("\n"))


def output() -> Output:
    """The running command's Output (a default one outside a command)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return Output()
    root = ctx.find_root()
    return root.meta.setdefault(_KEY, Output())


def _set_quiet(ctx: click.Context, _param, value: bool) -> None:
    if value:
        output().verbosity = Verbosity.QUIET


def _set_verbose(ctx: click.Context, _param, value: bool) -> None:
    if value and output().verbosity is not Verbosity.QUIET:
        output().verbosity = Verbosity.VERBOSE
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("citewatch: %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        logging.getLogger("pipeline").setLevel(logging.INFO)
        ctx.call_on_close(lambda: root.removeHandler(handler))


def _set_progress(ctx: click.Context, _param, value: bool) -> None:
    if value:
        output().progress = False


def colour_choice(choice: str, no_color_env: str | None) -> bool | None:
    """True/False: colour or not; None: only on a terminal (click decides per stream)."""
    if choice == Colour.ALWAYS:
        return True
    if choice == Colour.NEVER or no_color_env is not None:
        return False
    return None


def _set_colour(ctx: click.Context, _param, value: str) -> None:
    colour = colour_choice(value, os.environ.get("NO_COLOR"))
    ctx.color = colour
    ctx.find_root().color = colour


OUTPUT_OPTIONS: list[Callable] = [
    click.option(
        "-q",
        "--quiet",
        is_flag=True,
        expose_value=False,
        callback=_set_quiet,
        help="Print only the summary and errors.",
    ),
    click.option(
        "-v",
        "--verbose",
        is_flag=True,
        expose_value=False,
        callback=_set_verbose,
        help="Also say where settings came from, and the libraries' log lines (stderr).",
    ),
    click.option(
        "--no-progress",
        is_flag=True,
        expose_value=False,
        callback=_set_progress,
        help="No progress bar or per-URL progress lines on stderr.",
    ),
    click.option(
        "--color",
        type=click.Choice([c.value for c in Colour]),
        default=Colour.AUTO.value,
        show_default=True,
        expose_value=False,
        callback=_set_colour,
        help="Colour the output: auto (only on a terminal, and not with NO_COLOR set), always, never.",
    ),
]


def output_options(fn: Callable) -> Callable:
    """-q, -v, --no-progress and --color, on every command that prints."""
    for option in reversed(OUTPUT_OPTIONS):
        fn = option(fn)
    return fn
