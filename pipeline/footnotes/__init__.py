"""Article → notes, body markers and findings about the notes themselves.

One parser per format (text, markdown, html) returns notes and markers; the
cross-check here is shared, so every format gets the same findings.
"""

from __future__ import annotations

import codecs
import re
import stat
from importlib import import_module
from pathlib import Path

from ..errors import InputError
from ..model import Article, Finding, FindingCode, LinkedSource, Marker, Note, Severity

# format → module with a parse(text) function; imported on use, so commands that never read
# an article (check) do not pay for its parser
FORMATS = {"text": ".text", "markdown": ".markdown", "html": ".html"}
_EXT = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
}


class ArticleError(InputError):
    """An article that cannot be read; the message names the file."""


class ParserGaveUp(ValueError):
    """The parser stopped partway (elements nested past its limit, a text too long) and
    kept only what came before: every note and link after that point would go missing
    without a word. Raised where the file's name is not known; said as an ArticleError
    naming the file."""


def detect_format(path: Path, content: str) -> str:
    head = content.lstrip()[:2000].lower()
    if head.startswith(("<!doctype html", "<html")) or re.search(r"<(body|p|div|ol|article)[\s>]", head):
        if path.suffix.lower() not in (".md", ".markdown"):
            return "html"
    if path.suffix.lower() in _EXT:
        return _EXT[path.suffix.lower()]
    if re.search(r"^\[\^[^\]]+\]:", content, re.M):
        return "markdown"
    return "text"


_BOMS = (  # UTF-32 first: its little-endian mark begins with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)


def read_article(path: str | Path) -> str:
    path = Path(path)
    try:
        if stat.S_ISCHR(mode := path.stat().st_mode) or stat.S_ISBLK(mode):  # /dev/zero reads without end
            raise ArticleError(f"{path}: a device, not an article (for standard input, give '-')")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ArticleError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ArticleError(f"{path}: is a directory, not an article") from None
    except OSError as e:
        raise ArticleError(f"{path}: cannot read ({e.strerror})") from None
    return decode_article(data, path)


def decode_article(data: bytes, path: Path) -> str:
    """An article's bytes as text (``path`` names it in errors: a file, or ``stdin``)."""
    if not data.strip():
        raise ArticleError(f"{path}: the file is empty")
    # A byte-order mark says the encoding outright: Word's and Notepad's "Unicode text" is
    # UTF-16 with one, and is full of zero bytes, so this comes before the binary test.
    for bom, encoding, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                raise ArticleError(f"{path}: starts with a {name} byte-order mark but is not {name} text") from None
            if not text.strip():
                raise ArticleError(f"{path}: the file is empty")
            return text
    if data.startswith(b"PK\x03\x04") and path.suffix.lower() in (".pages", ".doc", ".rtf"):
        raise ArticleError(
            f"{path}: a word-processor file citewatch cannot read; save it as .docx, as a web page (.htm) or as text"
        )
    if data.startswith(b"%PDF-"):
        raise ArticleError(f"{path}: a PDF; export the article as a web page (.htm), Markdown or text")
    if b"\x00" in data[:8192]:
        raise ArticleError(f"{path}: looks like a binary file, not an article (txt, md, html, docx or odt)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise ArticleError(f"{path}: cannot tell the text encoding; save it as UTF-8")
    return str(best)


_OFFICE = {".docx": "docx", ".docm": "docx", ".dotx": "docx", ".odt": "odt"}


def _office_format(path: Path) -> str | None:
    """docx or odt for a word-processor file citewatch reads, else None."""
    try:
        with path.open("rb") as f:
            return _OFFICE.get(path.suffix.lower()) if f.read(4) == b"PK\x03\x04" else None
    except OSError:
        return None  # read_article says what is wrong with it


def parse_article(path: str | Path, fmt: str | None = None, content: str | None = None) -> Article:
    """The article's notes, markers, links and the findings about them; ArticleError (a
    line naming the file) for an article that cannot be read whole."""
    try:
        return _parse_article(Path(path), fmt, content)
    except ParserGaveUp as e:
        raise ArticleError(f"{path}: {e}") from None


def _parse_article(path: Path, fmt: str | None, content: str | None) -> Article:
    office = _office_format(path) if content is None and fmt in (None, "docx", "odt") else None
    if office:
        from . import office as word_processor

        parse = word_processor.parse_docx if office == "docx" else word_processor.parse_odt
        try:
            notes, markers, title = parse(str(path))
        except word_processor.NotAWordFile as e:
            raise ArticleError(f"{path}: {e}") from None
        fmt = office
    else:
        content = read_article(path) if content is None else content
        fmt = fmt or detect_format(path, content)
        if fmt not in FORMATS:
            raise ArticleError(f"{path}: unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
        notes, markers, title = import_module(FORMATS[fmt], __name__).parse(content)
    article = Article(source=str(path), format=fmt, title=title, notes=notes, markers=markers)
    link_findings: list[Finding] = []
    if content is not None:
        from .links import join_sources, sources_list

        listed: list[LinkedSource] = []
        if notes and not markers:
            article.notes, listed = sources_list(notes)
            notes = article.notes
        link_findings = _add_linked_sources(article, content)
        article.links = join_sources(listed, article.links)
    article.findings = cross_check(notes, markers) + link_findings
    return article


def _add_linked_sources(article: Article, content: str) -> list[Finding]:
    """The URLs the article links from its text, beside its notes, and what is wrong with them."""
    from . import links

    if article.format == "html":
        from .htmlbody import from_html

        article.links, unresolved = from_html(content, article.notes)
        if not unresolved:
            return []
        message = (
            f"{unresolved} relative link(s) left out: the page names no address of its own"
            " (<link rel=canonical> or <base href>) to resolve them against"
        )
        return [Finding(FindingCode.RELATIVE_LINKS, message)]
    if article.format == "markdown":
        from .fields import parse_date_string

        article.links, front = links.from_markdown(content, article.notes)
        article.title = front.get("title") or article.title
        article.date = parse_date_string(front["date"]) if front.get("date") else None
    else:
        article.links = links.from_text(content, article.notes)
    links.note_sentences(article.format, content, article.notes, article.markers)
    return []


def _norm(s: str) -> str:
    return re.sub(r"[\W_]+", " ", s.lower()).strip()


def _norm_url(u: str) -> str:
    u = re.sub(r"^https?://(www\.)?", "", u.strip().lower())
    return u.rstrip("/")


def cross_check(notes: list[Note], markers: list[Marker]) -> list[Finding]:
    """Findings about the notes themselves; general rules, no per-article knowledge."""
    findings = _numbering_findings(notes, markers) + _order_findings(markers)
    repeats = _Repeats()
    for n in notes:
        findings.extend(repeats.of(n))
        if not n.ibid:
            findings.extend(_content_findings(n))
    return findings


def _numbering_findings(notes: list[Note], markers: list[Marker]) -> list[Finding]:
    """Two notes with one number, a note never cited, a marker with no note."""
    findings: list[Finding] = []
    cited = {m.id for m in markers}
    seen: set[str] = set()
    for n in notes:
        if n.id in seen:
            findings.append(
                Finding(
                    FindingCode.DUPLICATE_ID, f"more than one note is numbered {n.id}", n.id, n.line, Severity.ERROR
                )
            )
        seen.add(n.id)
    for n in notes:
        if n.id not in cited:
            findings.append(Finding(FindingCode.NOTE_NOT_CITED, "never referenced in the article body", n.id, n.line))
    reported: set[str] = set()
    for m in markers:
        if m.id not in seen and m.id not in reported:
            reported.add(m.id)
            findings.append(
                Finding(
                    FindingCode.MARKER_WITHOUT_NOTE,
                    f"the body cites {m.id} but there is no such note",
                    m.id,
                    m.line,
                    Severity.ERROR,
                )
            )
    return findings


def _order_findings(markers: list[Marker]) -> list[Finding]:
    """Out of order: a marker seen for the first time after a higher-numbered one."""
    findings: list[Finding] = []
    highest, first_seen = 0, set()
    for m in markers:
        if not m.id.isdigit() or m.id in first_seen:
            continue
        first_seen.add(m.id)
        if int(m.id) < highest:
            findings.append(
                Finding(
                    FindingCode.MARKER_OUT_OF_ORDER, f"first cited after note {highest}", m.id, m.line, Severity.INFO
                )
            )
        highest = max(highest, int(m.id))
    return findings


class _Repeats:
    """Notes seen so far, by text, URL and (publisher, title): which earlier note a note
    repeats (Ibid., word for word, or the same source in other words)."""

    def __init__(self) -> None:
        self.previous: Note | None = None
        self.by_text: dict[str, Note] = {}
        self.by_url: dict[str, Note] = {}
        self.by_source: dict[tuple[str, str], Note] = {}

    def of(self, n: Note) -> list[Finding]:
        if n.ibid:
            return [self._ibid(n)]
        key = _norm(n.raw)
        same = self.by_text.get(key)
        found = []
        if same is not None:
            found.append(
                Finding(
                    FindingCode.DUPLICATE_NOTE,
                    f"repeats note {same.id} word for word",
                    n.id,
                    n.line,
                    Severity.WARNING,
                    same.id,
                )
            )
        else:
            other = self._same_source(n)
            if other is not None:
                found.append(
                    Finding(
                        FindingCode.SAME_SOURCE,
                        f"cites the same source as note {other.id}",
                        n.id,
                        n.line,
                        Severity.INFO,
                        other.id,
                    )
                )
        self._remember(n, key)
        return found

    def _ibid(self, n: Note) -> Finding:
        if self.previous is None:
            return Finding(
                FindingCode.IBID_WITHOUT_ANTECEDENT, "Ibid. with no note before it", n.id, n.line, Severity.ERROR
            )
        return Finding(
            FindingCode.IBID,
            f"Ibid.: repeats note {self.previous.id}, not a new source",
            n.id,
            n.line,
            Severity.INFO,
            self.previous.id,
        )

    def _same_source(self, n: Note) -> Note | None:
        other = next((self.by_url[_norm_url(u)] for u in n.urls if _norm_url(u) in self.by_url), None)
        if other is None and n.title:
            other = self.by_source.get((_norm(n.publisher or ""), _norm(n.title)))
        return other

    def _remember(self, n: Note, key: str) -> None:
        self.by_text.setdefault(key, n)
        for u in n.urls:
            self.by_url.setdefault(_norm_url(u), n)
        if n.title:
            self.by_source.setdefault((_norm(n.publisher or ""), _norm(n.title)), n)
        self.previous = n


def _content_findings(n: Note) -> list[Finding]:
    """A note nothing could be read from; a publisher name one letter off a known outlet's."""
    from ..publishers import typo_message, typo_of  # rapidfuzz, ruamel: only here

    if not (n.publisher or n.title or n.date or n.urls):
        return [Finding(FindingCode.UNPARSED_NOTE, "nothing could be parsed; the raw text is kept", n.id, n.line)]
    near = typo_of(n.publisher) if n.publisher else None
    if near:
        return [Finding(FindingCode.PUBLISHER_TYPO, typo_message(n.publisher, near[0].name), n.id, n.line)]
    return []


def missing_field_findings(notes: list[Note], urls: dict[str, str | None]) -> list[Finding]:
    """Missing publisher/title/date/URL; ``urls`` is what citations.yaml supplies per id."""
    findings = []
    for n in notes:
        if n.ibid:
            continue
        for code, name, value in (
            (FindingCode.MISSING_PUBLISHER, "publisher", n.publisher),
            (FindingCode.MISSING_TITLE, "title", n.title),
            (FindingCode.MISSING_DATE, "date", n.date),
        ):
            if not value:
                findings.append(Finding(code, f"no {name}", n.id, n.line))
        if not n.urls and not urls.get(n.id):
            findings.append(
                Finding(FindingCode.MISSING_URL, "no URL: the source cannot be checked or archived", n.id, n.line)
            )
    return findings
