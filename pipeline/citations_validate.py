"""citations.yaml's document → Citation values and the problems found on the way.

Every problem is a value (file, line, citation id, message) so all of them are reported
at once, and a bad field can stay with its citation (``lenient``) rather than failing the
file; only the file's structure (no list, an entry without an id) always fails it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .address import redact_credentials
from .model import Citation, InputProblem, PartialDate, UrlStatus
from .sources_yaml import read_source_fields

URL_STATUSES = {s.value for s in UrlStatus}
# YAML's "\ud83d" escape gives half of a UTF-16 pair, which no UTF-8 file can hold
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_DATE_STR = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")

# (the YAML key, its message) → the problem, placed at that key's line
At = Callable[[str, str], InputProblem]


def line_of(node: Any, key: Any = None) -> int | None:
    """The 1-based line of a round-trip node (or of one of its keys); None for plain dicts."""
    try:
        if key is not None:
            return node.lc.key(key)[0] + 1
        return node.lc.line + 1
    except (AttributeError, KeyError, TypeError):
        return None


def to_partial_date(value: Any) -> PartialDate | None:
    """A YAML date value (date, "2023-10", 2023) as a PartialDate; raises ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return PartialDate.from_date(value.date())
    if isinstance(value, dt.date):
        return PartialDate.from_date(value)
    if isinstance(value, int) and 1000 <= value <= 9999:
        return PartialDate(value)
    if isinstance(value, str) and _DATE_STR.match(value.strip()):
        parts = [int(p) for p in value.strip().split("-")]
        d = PartialDate(*parts)
        try:
            dt.date(d.year, d.month or 1, d.day or 1)
        except ValueError:
            raise ValueError(f"not a date: {value!r} (no such day)") from None
        return d
    raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD, YYYY-MM or YYYY)")


def is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises for a port out of range or not a number
    except ValueError:  # "http://[::1/": a broken IPv6 literal
        return False
    host = parts.hostname or ""
    return parts.scheme in ("http", "https") and bool(host) and not any(ch.isspace() for ch in host)


def validate(path: Path, doc: Any, lenient: bool = False) -> tuple[list[Citation], list[InputProblem]]:
    """Citations and problems. ``lenient``: a bad field stays with its citation
    (``Citation.problems``) instead of failing the file; structure errors always fail."""
    name = str(path)
    seq, problems = _citation_list(name, doc)
    problems.extend(_article_problems(name, doc))
    citations: list[Citation] = []
    seen: dict[str, int | None] = {}
    for i, entry in enumerate(seq):
        line = _entry_line(seq, i)
        cid, problem = _entry_id(name, entry, i, line, seen)
        if cid is None:
            problems.append(problem)
            continue
        seen[cid] = line
        c = Citation(id=cid, line=line)

        def at(key: str, message: str, entry=entry, line=line, cid=cid) -> InputProblem:
            return InputProblem(name, message, line_of(entry, key) or line, cid)

        readable = _readable(entry, c.problems if lenient else problems, at)
        _read_fields(c, readable, c.problems if lenient else problems, at)
        citations.append(c)
    return citations, problems


def _citation_list(name: str, doc: Any) -> tuple[list, list[InputProblem]]:
    """The ``citations`` list, or the problem that there is none (an empty list is fine)."""
    if not isinstance(doc, dict):
        return [], [InputProblem(name, "expected a mapping with a 'citations' list at the top", 1)]
    if "citations" not in doc:
        return [], [InputProblem(name, "no 'citations' list", 1)]
    seq = doc["citations"]
    if seq is None:
        from ruamel.yaml.comments import CommentedSeq

        doc["citations"] = CommentedSeq()
        return [], []
    if not isinstance(seq, list):
        return [], [InputProblem(name, "'citations' must be a list", line_of(doc, "citations"))]
    return seq, []


def _article_problems(name: str, doc: Any) -> list[InputProblem]:
    """``article:`` is a mapping (title, source, date) or absent: every stage that reads it
    takes it for one."""
    meta = doc.get("article") if isinstance(doc, dict) else None
    if meta is None or isinstance(meta, dict):
        return []
    line = line_of(doc, "article")
    return [InputProblem(name, "'article' must be a mapping (title:, source:, date: on lines of their own)", line)]


def _entry_line(seq: Any, i: int) -> int | None:
    line = line_of(seq[i]) if hasattr(seq[i], "lc") else None
    if line is None:
        try:
            line = seq.lc.item(i)[0] + 1
        except (AttributeError, KeyError, TypeError):
            line = None
    return line


def _entry_id(
    name: str, entry: Any, i: int, line: int | None, seen: dict[str, int | None]
) -> tuple[str | None, InputProblem | None]:
    """The entry's id, or why it has none usable (not a mapping, no id, a duplicate)."""
    if not isinstance(entry, dict):
        return None, InputProblem(name, f"citation #{i + 1} must be a mapping with at least an 'id'", line)
    raw_id = entry.get("id")
    if raw_id is None or isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
        return None, InputProblem(name, f"citation #{i + 1} needs an 'id' (a string such as \"1\")", line)
    cid = str(raw_id)
    if cid in seen:
        first = f" (first at line {seen[cid]})" if seen[cid] else ""
        return None, InputProblem(name, f"duplicate id {cid!r}{first}", line)
    return cid, None


def _readable(entry: dict, problems: list[InputProblem], at: At) -> dict:
    """The entry, or a copy whose lone surrogates are U+FFFD with a problem for each key:
    a report or a write of the file would otherwise stop at the first one."""
    bad = [key for key, value in entry.items() if isinstance(key, str) and _holds_lone_surrogate(value)]
    if not bad:
        return entry
    for key in bad:
        problems.append(
            at(
                key,
                f"{key} holds half of a UTF-16 pair (an escape such as \\ud83d), which is no character; "
                "read as \ufffd: write the character itself or its \\U0001xxxx escape",
            )
        )
    return {key: _replaced(value) if key in bad else value for key, value in entry.items()}


def _holds_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return _LONE_SURROGATE.search(value) is not None
    if isinstance(value, list):
        return any(_holds_lone_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_lone_surrogate(v) for v in value.values())
    return False


def _replaced(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_replaced(v) for v in value]
    if isinstance(value, dict):
        return {k: _replaced(v) for k, v in value.items()}
    return value


def _read_fields(c: Citation, entry: Any, problems: list[InputProblem], at: At) -> None:
    _read_texts(c, entry, problems, at)
    try:
        c.date = to_partial_date(entry.get("date"))
    except ValueError as e:
        problems.append(at("date", str(e)))
    _read_urls(c, entry, problems, at)
    _read_archive_fields(c, entry, problems, at)
    read_source_fields(c, entry, problems, at)
    raw_candidates = entry.get("candidates")
    if isinstance(raw_candidates, list):
        c.candidates = [dict(x) for x in raw_candidates if isinstance(x, dict) and isinstance(x.get("url"), str)]


def _read_texts(c: Citation, entry: Any, problems: list[InputProblem], at: At) -> None:
    for key in ("publisher", "title", "author"):
        value = entry.get(key)
        if value is not None and not isinstance(value, str):
            if isinstance(value, (int, float)):
                value = str(value)
            else:
                problems.append(at(key, f"{key} must be text"))
                continue
        setattr(c, key, value or None)


def _read_urls(c: Citation, entry: Any, problems: list[InputProblem], at: At) -> None:
    for key in ("url", "archive_url"):
        value = entry.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or not is_http_url(value.strip()):
            shown = redact_credentials(str(value))
            problems.append(at(key, f"{key} must be an http(s) URL, not {shown!r}"))
            if key == "url":
                c.bad_url = shown
            continue
        setattr(c, key, redact_credentials(value.strip()))  # the file keeps them; nothing we write does


def _read_archive_fields(c: Citation, entry: Any, problems: list[InputProblem], at: At) -> None:
    value = entry.get("archive_date")
    if value not in (None, ""):
        try:
            d = to_partial_date(value)
            c.archive_date = d.as_date() if d else None
        except ValueError as e:
            problems.append(at("archive_date", str(e)))
    value = entry.get("url_status")
    if value not in (None, ""):
        if value not in URL_STATUSES:
            problems.append(at("url_status", f"url_status must be one of {', '.join(sorted(URL_STATUSES))}"))
        else:
            c.url_status = UrlStatus(value)
