"""``citewatch export``: the sources of citations.yaml in a format another tool reads.

Thin: parse options, call pipeline.export, write. The export goes to stdout (or -o FILE,
written atomically); what was left out and why goes to stderr, so a pipe gets only the
export.
"""

from __future__ import annotations

from pathlib import Path

import click

from . import citations as cit
from .cli import main
from .cli.errors import friendly_errors
from .errors import InputError
from .export import Format, Selection, export
from .files import write_atomic


@main.command("export")
@click.argument(
    "citations_file",
    metavar="[CITATIONS]",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("citations.yaml"),
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice([f.value for f in Format]),
    required=True,
    help="; ".join(f"{f.value}: {f.description}" for f in Format) + ".",
)
@click.option(
    "--output", "-o", default="-", metavar="FILE", show_default=True, help="Where to write the export ('-': stdout)."
)
@click.option(
    "--archive-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("archive"),
    show_default=True,
    help="History of checks: the last check that reached a page is its access date.",
)
@friendly_errors
def export_command(citations_file: Path, fmt: str, output: str, archive_dir: Path) -> None:
    """Export the sources in citations.yaml for pasting elsewhere.

    One entry per source, with its archived copy where citations.yaml has one: Robust
    Links HTML, Wikipedia {{cite web}} templates, CSL-JSON (Zotero, Pandoc) or a
    Markdown list. A note that repeats another (Ibid., a duplicate) is listed once; a
    note without a URL is exported without one.

    \b
    Examples:
      citewatch export citations.yaml --format cite-web
      citewatch export --format csl-json -o sources.json
    """
    if output != "-" and Path(output).resolve() == citations_file.resolve():
        raise InputError(f"{output}: is the citations file itself; write the export to another file")
    cf = cit.load(citations_file, for_update=False)
    text, selection = export(cf, Format(fmt), archive_dir)
    target = "stdout"
    if output == "-":
        click.echo(text, nl=False)
    else:
        try:
            write_atomic(output, text)
        except OSError as e:
            raise InputError(f"{output}: cannot write ({e.strerror or e})") from None
        target = output
    click.echo(f"citewatch: {_summary(selection, fmt, target)}", err=True)


def _summary(selection: Selection, fmt: str, target: str) -> str:
    n = len(selection.sources)
    parts = [f"exported {n} source{'' if n == 1 else 's'} as {fmt} to {target}"]
    if selection.repeats:
        parts.append(f"listed once: notes repeating another ({', '.join(selection.repeats)})")
    if selection.removed:
        parts.append(f"left out: notes removed from the article ({', '.join(selection.removed)})")
    return "; ".join(parts)
