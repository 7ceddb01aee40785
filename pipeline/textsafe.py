"""Text from outside made safe to show: one cleaning step for every printer and renderer.

A server's status line, a page title, a URL, a citation id or a file name is written by
strangers. Printed raw, ``ESC [2J`` clears the user's terminal and ``ESC ]0;…BEL`` sets its
title; written into JUnit, a control character makes the whole file invalid XML and the CI
system drops the report. So every value that came from outside passes ``clean`` before
any format's own escaping (Markdown, HTML, XML), and only ``safe_href`` addresses become
links.
"""

from __future__ import annotations

import re
from typing import Any

# line breaks and tabs inside one value: a space (a reason or a title is one line)
_BREAKS = re.compile("[\t\n\r\x0b\x0c\x85\u2028\u2029]+")
# C0 and C1 controls (ESC, BEL, NUL …), DEL, bidirectional overrides (text that reads
# differently than it is), lone surrogates and the two non-characters XML refuses
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


def clean(value: Any) -> str:
    """One line, without control characters; ``None`` is the empty string."""
    if value is None:
        return ""
    text = str(value)
    if text.isprintable():  # the common case: nothing to do
        return text
    return _CONTROL.sub("", _BREAKS.sub(" ", text))


def safe_href(url: Any) -> str | None:
    """The address, if it may be a link: http(s) only (never ``javascript:`` or ``data:``),
    nothing hidden in it; else None, and the text is shown without a link."""
    if not url:
        return None
    text = str(url)
    if clean(text) != text:  # a line break or a control character hidden in it
        return None
    if not text.lower().startswith(("http://", "https://")):
        return None
    return text
