"""Sources → HTML anchors following the Robust Links convention.

https://robustlinks.mementoweb.org/spec/ : a link to a web page carries the address of a
snapshot (``data-versionurl``) and the date it was taken (``data-versiondate``,
YYYY-MM-DD), so a reader's browser (with the Robust Links script) or a reader by hand
can reach the archived copy when the page is gone or has changed. When the original is
gone, the spec's other form is used: ``href`` is the snapshot and ``data-originalurl``
the page it copies.
"""

from __future__ import annotations

from html import escape

from .sources import Source


def render(sources: list[Source]) -> str:
    items = "".join(f"  <li>{_item(s)}</li>\n" for s in sources)
    return (
        "<!-- Robust Links (https://robustlinks.mementoweb.org/spec/); exported by citewatch -->\n"
        f'<ol class="citewatch-sources">\n{items}</ol>\n'
    )


def _item(s: Source) -> str:
    text = _e(s.title or s.publisher or s.url or s.archive_url or f"note {s.id}")
    rest = [_e(part) for part in (s.publisher if s.title else None, s.date.iso() if s.date else None) if part]
    tail = (", " + ", ".join(rest)) if rest else ""
    return _anchor(s, text) + tail + "."


def _anchor(s: Source, text: str) -> str:
    attrs = _link_attributes(s)
    if not attrs:
        return text  # no address at all: the source is still listed, as text
    return "<a " + " ".join(f'{name}="{_e(value)}"' for name, value in attrs) + f">{text}</a>"


def _link_attributes(s: Source) -> list[tuple[str, str]]:
    version_date = s.archive_date.isoformat() if s.archive_date else None
    if s.archive_url and (s.original_unusable or not s.url):
        # the snapshot is what a reader should get; the original (if shown) for reference
        attrs = [("href", s.archive_url)]
        if s.url and not s.original_hidden:
            attrs.append(("data-originalurl", s.url))
        return attrs + ([("data-versiondate", version_date)] if version_date else [])
    if not s.url:
        return []
    attrs = [("href", s.url)]
    if s.archive_url:
        attrs.append(("data-versionurl", s.archive_url))
    # without a snapshot, the date of linking (the last time the page was found) still lets
    # a Memento-aware reader ask archives for the copy nearest to it
    date = version_date if s.archive_url else (s.access_date.isoformat() if s.access_date else None)
    return attrs + ([("data-versiondate", date)] if date else [])


def _e(value: str) -> str:
    return escape(" ".join(value.split()), quote=True)
