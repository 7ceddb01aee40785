"""A file several articles share on purpose (``run a.md b.md --citations shared.yaml``),
then one of them run alone against it: its own ids, nothing of the others' touched."""

from __future__ import annotations

from pipeline import citations as cit
from pipeline.extract import citations_for, extract


def test_one_article_of_a_shared_file_keeps_to_its_own_ids(tmp_path):
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text('# A\n\nClaim.[^1]\n\n[^1]: Example News, "Alpha", 2023-10-11, https://example.org/a\n')
    b.write_text('# B\n\nOther.[^1]\n\n[^1]: Example News, "Beta", 2023-10-11, https://example.org/b\n')
    shared = tmp_path / "shared.yaml"
    extract(a, shared, namespace="a")
    extract(b, shared, namespace="b")
    before = shared.read_text(encoding="utf-8")
    assert [c.id for c in cit.load(shared).citations] == ["a:1", "b:1"]

    choice = citations_for(a, shared, tmp_path / "citations", explicit=True)
    assert (choice.path, choice.namespace) == (shared, "a")
    choice = citations_for(a, shared, tmp_path / "citations", explicit=False)
    assert choice.namespace == "a"
    extract(a, shared)  # `citewatch extract a.md -o shared.yaml`: the same, scoped
    assert shared.read_text(encoding="utf-8") == before
