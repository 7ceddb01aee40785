"""Make small, valid PDF files for tests (one page of text, optional Info metadata)."""

from __future__ import annotations


def make_pdf(lines: list[str], info: dict[str, str] | None = None) -> bytes:
    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text_ops = "BT /F1 14 Tf 72 720 Td 18 TL " + " ".join(f"({esc(line)}) Tj T*" for line in lines) + " ET"
    stream = text_ops.encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if info:
        objects.append(("<< " + " ".join(f"/{k} ({esc(v)})" for k, v in info.items()) + " >>").encode("latin-1"))
    return _assemble(objects, has_info=bool(info))


def _assemble(objects: list[bytes], has_info: bool) -> bytes:
    """Objects 1..n, the cross-reference table and the trailer (the last object is /Info)."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    trailer = b"<< /Size %d /Root 1 0 R" % (len(objects) + 1)
    if has_info:
        trailer += b" /Info %d 0 R" % len(objects)
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def make_pdf_bomb(title: str, expands_to: int = 100_000_000) -> bytes:
    """A one-page PDF whose content stream is ~100 KB of Flate that inflates to ``expands_to``
    bytes, with a real /Title in its Info dictionary."""
    import zlib

    stream = zlib.compress(b" " * expands_to, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Title (" + title.encode("latin-1") + b") >>",
    ]
    return _assemble(objects, has_info=True)
