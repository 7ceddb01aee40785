"""Exports people paste elsewhere: the sources of citations.yaml as Robust Links HTML,
Wikipedia {{cite web}} templates, CSL-JSON or a Markdown list.

One module per format, each a ``render(sources) -> str``; ``Format`` is the registry
and the one vocabulary the command line and the tests use.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..citations import CitationsFile
from ..vocab import Described
from . import cite_web, csl_json, markdown, robust_links
from .sources import Selection, Source, select_sources

__all__ = ["Format", "Selection", "Source", "export", "select_sources"]


class Format(Described):
    """An export format: its name on the command line, its renderer and what it is for."""

    # value, renderer, what it is for (the command's --help)
    ROBUST_LINKS = (
        "robust-links",
        robust_links.render,
        "HTML anchors with data-versionurl/data-versiondate (archived copy as fallback)",
    )
    CITE_WEB = (
        "cite-web",
        cite_web.render,
        "Wikipedia {{cite web}} templates with archive-url, archive-date, url-status, access-date",
    )
    CSL_JSON = "csl-json", csl_json.render, "CSL-JSON items for Zotero, Pandoc and reference managers"
    MARKDOWN = "markdown", markdown.render, "a numbered list of sources with archive links"

    render: Callable[[list[Source]], str]
    description: str

    def __init__(self, value: str, render: Callable[[list[Source]], str], description: str) -> None:
        self.render, self.description = render, description


def export(cf: CitationsFile, fmt: Format, archive_dir: Path | None = None) -> tuple[str, Selection]:
    """The rendered export and what it contains (and left out)."""
    selection = select_sources(cf, archive_dir)
    return fmt.render(selection.sources), selection
