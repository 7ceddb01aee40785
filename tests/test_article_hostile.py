"""Articles built to be slow: a paragraph of thousands of unclosed link starts.

An article is pasted from anywhere (a CMS export, a scraped page); the link patterns
scanned to the paragraph's end from every "[" or "<", so 20,000 of them took minutes
(``[x](http://a`` repeated: 124 s; ``<http://``: 106 s). Each pattern now stops at the
first character it cannot hold. The bound here is generous (the runs take under a
second); before, each case ran for minutes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("piece", ["[x](http://a", "<http://", "[", "[x](http://a("])
def test_a_paragraph_of_unclosed_links_is_read_at_once(tmp_path, piece):
    article = tmp_path / "post.md"
    article.write_text(
        "Intro.[^1] " + piece * 20000 + " end.\n\n[^1]: Reuters, [A story](https://example.org/a_(b)).\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "extract", str(article), "-o", str(tmp_path / "c.yaml")],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "url: https://example.org/a_(b)" in (tmp_path / "c.yaml").read_text(encoding="utf-8")
