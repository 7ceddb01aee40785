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
from .cli.configure import ConfiguredCommand, config_option
from .cli.errors import friendly_errors
from .cli.output import output, output_options
from .errors import InputError
from .export import Format, Selection, export
from .files import write_atomic
from .wording import plural


@main.command("export", cls=ConfiguredCommand)
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
    "--output",
    "-o",
    "output_path",
    default="-",
    metavar="FILE",
    show_default=True,
    help="Where to write the export ('-': stdout).",
)
@click.option(
    "--archive-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("archive"),
    show_default=True,
    help="History of checks: the last check that reached a page is its access date.",
)
@config_option
@output_options
@friendly_errors
def export_command(citations_file: Path, fmt: str, output_path: str, archive_dir: Path) -> None:
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
    if output_path != "-" and Path(output_path).resolve() == citations_file.resolve():
        raise InputError(f"{output_path}: is the citations file itself; write the export to another file")
    cf = cit.load(citations_file, for_update=False)
    text, selection = export(cf, Format(fmt), archive_dir)
    target = "stdout"
    out = output()
    out.stdout_is_data = output_path == "-"
    if output_path == "-":
        out.data(text)
    else:
        try:
            write_atomic(output_path, text)
        except OSError as e:
            raise InputError(f"{output_path}: cannot write ({e.strerror or e})") from None
        target = output_path
    out.log(f"citewatch: {_summary(selection, fmt, target)}")


def _summary(selection: Selection, fmt: str, target: str) -> str:
    n = len(selection.sources)
    parts = [f"exported {plural(n, 'source')} as {fmt} to {target}"]
    if selection.repeats:
        parts.append(f"listed once: notes repeating another ({', '.join(selection.repeats)})")
    if selection.removed:
        parts.append(f"left out: notes removed from the article ({', '.join(selection.removed)})")
    return "; ".join(parts)
