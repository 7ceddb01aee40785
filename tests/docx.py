"""Build small .docx files the way Word writes them: the parts and namespaces of a real
document (body, footnotes, endnotes, relationships, core properties), so the reader is
tested on Word's structure without a binary fixture in the repository."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HYPERLINK_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"


def run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'


def link(rel_id: str, text: str) -> str:
    return f'<w:hyperlink r:id="{rel_id}" w:history="1"><w:r><w:rPr><w:rStyle w:val="Hyperlink"/></w:rPr><w:t>{escape(text)}</w:t></w:r></w:hyperlink>'


def field_link(url: str, text: str) -> str:
    """A link as older Word versions write it: a HYPERLINK field."""
    return (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve"> HYPERLINK "{escape(url)}" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        f"{run(text)}"
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def ref(kind: str, wid: int) -> str:
    return (
        f'<w:r><w:rPr><w:rStyle w:val="{kind.capitalize()}Reference"/></w:rPr><w:{kind}Reference w:id="{wid}"/></w:r>'
    )


def para(*pieces: str, style: str | None = None) -> str:
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{ppr}{''.join(pieces)}</w:p>"


def _notes(kind: str, notes: dict[int, str]) -> str:
    separators = (
        f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>'
        f'<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p></w:{kind}>'
    )
    body = "".join(
        f'<w:{kind} w:id="{wid}"><w:p><w:pPr><w:pStyle w:val="{kind.capitalize()}Text"/></w:pPr>'
        f'<w:r><w:rPr><w:rStyle w:val="{kind.capitalize()}Reference"/></w:rPr><w:{kind}Ref/></w:r>'
        f"{run(' ')}{xml}</w:p></w:{kind}>"
        for wid, xml in notes.items()
    )
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:{kind}s xmlns:w="{W_NS}" xmlns:r="{R_NS}">{separators}{body}</w:{kind}s>'


def _rels(links: dict[str, str]) -> str:
    rows = "".join(
        f'<Relationship Id="{rid}" Type="{HYPERLINK_TYPE}" Target="{escape(url)}" TargetMode="External"/>'
        for rid, url in links.items()
    )
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rows}</Relationships>'


def make_docx(
    path: Path,
    paragraphs: list[str],
    footnotes: dict[int, str] | None = None,
    endnotes: dict[int, str] | None = None,
    links: dict[str, str] | None = None,
    title: str | None = None,
) -> Path:
    """``links``: relationship id → address, for the notes' ``link(...)`` pieces."""
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{W_NS}" xmlns:r="{R_NS}">'
        f"<w:body>{''.join(paragraphs)}<w:sectPr/></w:body></w:document>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        )
        z.writestr("word/document.xml", document)
        if footnotes is not None:
            z.writestr("word/footnotes.xml", _notes("footnote", footnotes))
            z.writestr("word/_rels/footnotes.xml.rels", _rels(links or {}))
        if endnotes is not None:
            z.writestr("word/endnotes.xml", _notes("endnote", endnotes))
            z.writestr("word/_rels/endnotes.xml.rels", _rels(links or {}))
        if title:
            z.writestr(
                "docProps/core.xml",
                '<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
                f' xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{escape(title)}</dc:title></cp:coreProperties>',
            )
    return path
