"""Exports people paste elsewhere: the sources of citations.yaml as Robust Links HTML,
Wikipedia {{cite web}} templates, CSL-JSON or a Markdown list.

One module per format, each a ``render(sources) -> str``; ``Format`` is the registry
and the one vocabulary the command line and the tests use.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

from ..citations import CitationsFile
from . import cite_web, csl_json, markdown, robust_links
from .sources import Selection, Source, select_sources

__all__ = ["Format", "Selection", "Source", "export", "select_sources"]


class Format(StrEnum):
    """An export format: its name on the command line, its renderer and what it is for."""

    ROBUST_LINKS = "robust-links"
    CITE_WEB = "cite-web"
    CSL_JSON = "csl-json"
    MARKDOWN = "markdown"

    def __str__(self) -> str:
        return self.value

    @property
    def render(self) -> Callable[[list[Source]], str]:
        return _RENDERERS[self]

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]


_RENDERERS = {
    Format.ROBUST_LINKS: robust_links.render,
    Format.CITE_WEB: cite_web.render,
    Format.CSL_JSON: csl_json.render,
    Format.MARKDOWN: markdown.render,
}
_DESCRIPTIONS = {
    Format.ROBUST_LINKS: "HTML anchors with data-versionurl/data-versiondate (archived copy as fallback)",
    Format.CITE_WEB: "Wikipedia {{cite web}} templates with archive-url, archive-date, url-status, access-date",
    Format.CSL_JSON: "CSL-JSON items for Zotero, Pandoc and reference managers",
    Format.MARKDOWN: "a numbered list of sources with archive links",
}


def export(cf: CitationsFile, fmt: Format, archive_dir: Path | None = None) -> tuple[str, Selection]:
    """The rendered export and what it contains (and left out)."""
    selection = select_sources(cf, archive_dir)
    return fmt.render(selection.sources), selection
