"""The extract stage: article file → citations.yaml, plus findings about the notes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import citations as cit
from .files import is_device
from .footnotes import ArticleError, missing_field_findings, parse_article
from .model import Article, Finding

LOOKED_FOR = (
    "looked for footnotes — {1}/[1]/¹ notes, numbered notes under a Notes heading, [^1]: definitions,"
    " HTML note lists — and links — HTML body links, Markdown links, bare URLs, Sources lists"
)


def no_sources_message(article_path: str | Path) -> str:
    return f"no sources found in {article_path} ({LOOKED_FOR})"


class ForeignCitationsFile(ArticleError):
    """The citations file holds another article's sources; the message says what to pass."""


def owner(citations: Path) -> str | None:
    """The article a citations file belongs to (its ``article.source``), if it names one."""
    return _peek(citations)[0]


def shared_by(citations: Path) -> frozenset[str]:
    """The articles a file shared on purpose holds (``--citations FILE`` with several
    articles: no ``article:`` of its own, ids ``NAME:1``): empty for any other file. A later
    run of one of them alone must keep to its own ids: unscoped, it added its notes again
    and marked the other articles' entries as gone from it."""
    source, namespaces = _peek(citations)
    return namespaces if source is None else frozenset()


def _peek(citations: Path) -> tuple[str | None, frozenset[str]]:
    try:
        st = citations.stat()
    except OSError:
        return None, frozenset()
    return _facts(str(citations), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=8)
def _facts(path: str, _mtime_ns: int, _size: int) -> tuple[str | None, frozenset[str]]:
    """(article.source, the NAME of each NAME:… id), read once per version of the file."""
    citations = Path(path)
    if is_device(citations):
        return None, frozenset()  # loading it says what it is; reading it may never end (/dev/zero)
    try:
        import yaml

        doc = yaml.load(citations.read_text(encoding="utf-8"), Loader=cit.fast_yaml_loader())
    except Exception:  # unreadable or not YAML: loading it later says what is wrong
        return None, frozenset()
    if not isinstance(doc, dict):
        return None, frozenset()
    meta = doc.get("article")
    source = meta.get("source") if isinstance(meta, dict) else None  # not a mapping: loading it says so
    entries = doc.get("citations") if isinstance(doc.get("citations"), list) else []
    ids = (str(e.get("id")) for e in entries if isinstance(e, dict))
    namespaces = frozenset(i.partition(":")[0] for i in ids if ":" in i)
    return (str(source) if isinstance(source, str) and source.strip() else None), namespaces


def belongs_to(citations: Path, article: Path) -> bool:
    """Is this file the article's own, or nobody's yet? A moved article (same file name) is
    the same article."""
    source = owner(citations) if citations.exists() else None
    return source is None or _same_article(source, article)


def owned_by(citations: Path, article: Path) -> bool:
    """Does this file exist and name ``article`` as its own (not merely nobody's)?"""
    source = owner(citations) if citations.exists() else None
    return source is not None and _same_article(source, article)


def _same_article(source: str, article: Path) -> bool:
    try:
        if Path(source).resolve() == article.resolve():
            return True
    except OSError:
        pass
    return Path(source).name == article.name


@dataclass
class CitationsChoice:
    """Which citations file a run for one article uses, and why."""

    path: Path
    namespace: str | None = None  # shared explicitly with another article: ids become NAME:…
    note: str | None = None  # what to tell the user about the choice


def citations_for(article: Path, citations: Path, citations_dir: Path, explicit: bool) -> CitationsChoice:
    """Two articles never share a file unless the user says so. The file given (or the
    default) when it is this article's or nobody's; given explicitly for another article's
    file, the two share it, this one's ids namespaced; the default belonging to another
    article, this article's own file under ``citations_dir``. No default file yet, but the
    article's own under ``citations_dir`` from a run with other articles: that one (its
    hand edits are there)."""
    own = citations_dir / f"{article.stem}.yaml"
    if not explicit and not citations.exists() and owned_by(own, article):
        return CitationsChoice(own, note=f"using {own}, the citations file of {article} from an earlier run")
    if shared_by(citations):
        return CitationsChoice(citations, namespace=article.stem)
    if belongs_to(citations, article):
        return CitationsChoice(citations)
    if explicit:
        return CitationsChoice(citations, namespace=article.stem)
    if belongs_to(own, article):
        return CitationsChoice(
            own, note=f"{citations} holds the sources of {owner(citations)}; using {own} for {article}"
        )
    raise ForeignCitationsFile(
        f"{citations} and {own} hold the sources of other articles;"
        f" pass --citations FILE for {article} (a file it may share)"
    )


def own_citations(article: Path, default: Path, citations_dir: Path) -> CitationsChoice:
    """An article's file in a run of several (no --citations): ``citations_dir/<name>.yaml``,
    unless an earlier run of this article alone wrote its sources to ``default`` and there
    is no such file yet: then ``default``, which holds the hand edits. Either way the user
    hears of a ``default`` that names this article, so no file is left stale unsaid."""
    own = citations_dir / f"{article.stem}.yaml"
    if not owned_by(default, article):
        return CitationsChoice(own)
    if not own.exists():
        return CitationsChoice(
            default, note=f"using {default} for {article}: its citations file from an earlier run of it alone"
        )
    return CitationsChoice(
        own,
        note=f"using {own} for {article}; {default}, from an earlier run of it alone, is left as it is and not read",
    )


@dataclass
class Extraction:
    article: Article
    file: cit.CitationsFile
    findings: list[Finding]

    @property
    def sources(self) -> int:
        return len(self.article.notes) + len(self.article.links)

    @property
    def without_url(self) -> int:
        return sum(1 for c in self.file.citations if not c.url and c.id in {n.id for n in self.article.notes})


def extract(
    article_path: str | Path,
    output: str | Path,
    fmt: str | None = None,
    write: bool = True,
    lenient: bool = False,
    namespace: str | None = None,
    content: str | None = None,
) -> Extraction:
    """Parse the article and merge its notes into ``output`` (created if missing).

    ``namespace``: the file is shared by several articles; this one's ids become
    ``NAMESPACE:1``, ``NAMESPACE:2``… so the articles' notes never collide.
    ``content``: the article's text when it came from stdin (``article_path`` is its name).
    """
    article = parse_article(article_path, fmt, content)
    output = Path(output)
    if namespace is None and shared_by(output):
        namespace = Path(article_path).stem
    if namespace is None and not belongs_to(output, Path(article_path)):
        raise ForeignCitationsFile(
            f"{output} holds the sources of {owner(output)}, not {article_path};"
            f" pass -o citations/{Path(article_path).stem}.yaml"
        )
    if namespace:
        article = namespaced(article, namespace)
    if output.exists():
        cf = cit.load(output, lenient=lenient)
    else:
        cf = cit.new_file(output, None if namespace else article)
    merge_findings = cit.edit(cf, lambda f: cit.merge_article(f, article, scope=namespace))
    urls = {c.id: c.url for c in cf.citations}
    findings = article.findings + missing_field_findings(article.notes, urls) + merge_findings
    order = _note_order(article)
    findings.sort(key=lambda f: (order.get(f.footnote, len(order)), f.code))
    if write and (article.notes or article.links):
        cit.save(cf)
    return Extraction(article, cf, findings)


def namespaced(article: Article, prefix: str) -> Article:
    def ns(note_id: str | None) -> str | None:
        return f"{prefix}:{note_id}" if note_id is not None else None

    for n in article.notes:
        n.id = ns(n.id)
    for m in article.markers:
        m.id = ns(m.id)
    for f in article.findings:
        f.footnote, f.related = ns(f.footnote), ns(f.related)
    return article


def _note_order(article: Article) -> dict[str | None, int]:
    """Each note's place in the article (the first, if an id repeats), for sorting the
    findings: looked up note by note for each finding, 10,000 notes took 10 s."""
    order: dict[str | None, int] = {}
    for i, n in enumerate(article.notes):
        order.setdefault(n.id, i)
    return order
