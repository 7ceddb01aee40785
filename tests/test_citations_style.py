"""A write-back keeps the file's own line endings and byte-order mark: a Windows editor's
CRLF file saved with LF shows every line as changed in a diff."""

from __future__ import annotations

import pytest

from pipeline import citations as cit

FILE = "# by hand\ncitations:\n  - id: '1'\n    title: First   # kept\n    url: https://example.com/a\n"


@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("crlf", [False, True])
@pytest.mark.parametrize("load", [cit.load, cit.load_for_run])
def test_a_save_keeps_crlf_and_a_bom(tmp_path, bom, crlf, load):
    def styled(text: str) -> bytes:
        return (b"\xef\xbb\xbf" if bom else b"") + (text.replace("\n", "\r\n") if crlf else text).encode()

    p = tmp_path / "citations.yaml"
    p.write_bytes(styled(FILE))
    cf = load(p)
    cit.set_fields(cf, "1", url_status="live")
    cit.save(cf)
    assert p.read_bytes() == styled(FILE + "    url_status: live\n")
    cit.set_fields(cf, "1", url_status="dead")  # a second save: its own write is not taken for someone else's
    cit.save(cf)
    assert p.read_bytes() == styled(FILE + "    url_status: dead\n")
    assert cit.hand_notice(cf) is None
