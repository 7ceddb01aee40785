"""The extract stage: article file → citations.yaml, plus findings about the notes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import citations as cit
from .footnotes import missing_field_findings, parse_article
from .model import Article, Finding


@dataclass
class Extraction:
    article: Article
    file: cit.CitationsFile
    findings: list[Finding]

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
    if namespace:
        article = namespaced(article, namespace)
    output = Path(output)
    if output.exists():
        cf = cit.load(output, lenient=lenient)
    else:
        cf = cit.new_file(output, None if namespace else article)
    merge_findings = cit.edit(cf, lambda f: cit.merge_article(f, article, scope=namespace))
    urls = {c.id: c.url for c in cf.citations}
    findings = article.findings + missing_field_findings(article.notes, urls) + merge_findings
    findings.sort(key=lambda f: (_note_order(article, f.footnote), f.code))
    if write:
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


def _note_order(article: Article, note_id: str | None) -> int:
    for i, n in enumerate(article.notes):
        if n.id == note_id:
            return i
    return len(article.notes)
