"""How long reading an article takes: notes, markers and linked sources, by size.

Builds news-like articles in memory (HTML with unclosed ``<p>`` — what a CMS or a
pasted document gives — body links, note markers and a note list; the same in ``<div>``s
with no article markup, whose body trafilatura finds; as Markdown and as plain text), runs ``parse_article`` on each and prints CPU seconds (the machine may
be shared: CPU time is what the parser costs, wall time what a user waits) and MB/s.

    python bench/article_bench.py                # 1 MB and 10 MB
    python bench/article_bench.py --mb 1 --mb 50 --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.footnotes import parse_article  # noqa: E402

PARAGRAPH_HTML = (
    "<p>Claim {i} rests on <a href='https://s{host}.example/report/{i}'>a report</a>, officials said.{marker} "
    "More words follow."
)
PARAGRAPH_MD = (
    "Claim {i} rests on [a report](https://s{host}.example/report/{i}), officials said.{marker} More words.\n\n"
)
PARAGRAPH_DIVS = (
    "<div class=t><p>Claim {i} rests on <a href='https://s{host}.example/report/{i}'>a report</a>, officials said.{marker}"
    " More words follow.</p></div>"
)
PARAGRAPH_TXT = "Claim {i} rests on https://s{host}.example/report/{i} as officials said.{marker} More words.\n\n"


def article(kind: str, size: int, notes: int = 200) -> str:
    """An article of about ``size`` bytes: paragraphs (unclosed in HTML), a marker every
    few paragraphs, ``notes`` notes at the end."""
    head = {
        "html": "<!doctype html><html><head><title>Big</title>"
        "<link rel=canonical href='https://news.example/big'></head><body><article><h1>Big</h1>",
        "divs": "<!doctype html><html><head><title>Big</title>"
        "<link rel=canonical href='https://news.example/big'></head><body><div class=menu><a href='/'>Home</a></div>"
        "<div class=c><h1>Big</h1>",
        "md": "---\ntitle: Big\n---\n# Big\n\n",
        "txt": "Big\n\n",
    }[kind]
    paragraph = {"html": PARAGRAPH_HTML, "divs": PARAGRAPH_DIVS, "md": PARAGRAPH_MD, "txt": PARAGRAPH_TXT}[kind]
    parts, total, i = [head], len(head), 0
    while total < size:
        n = i % notes + 1
        html_marker = f"<sup><a href='#fn{n}' id='r{i}'>{n}</a></sup>"
        marker = {"html": html_marker, "divs": html_marker, "md": f"[^{n}]", "txt": f"{{{n}}}"}[kind]
        part = paragraph.format(i=i, host=i % 500, marker=marker if i % 7 == 0 else "")
        parts.append(part)
        total += len(part)
        i += 1
    if kind in ("html", "divs"):
        parts.append("<h2>Notes</h2><ol>")
        parts += [
            f"<li id='fn{n}'>Reuters, “Story {n},” May 3, 2023, <a href='https://r.example/{n}'>link</a></li>"
            for n in range(1, notes + 1)
        ]
        parts.append("</ol></article></body></html>" if kind == "html" else "</ol></div></body></html>")
    elif kind == "md":
        parts += [f'[^{n}]: Reuters, "Story {n}," May 3, 2023, https://r.example/{n}\n' for n in range(1, notes + 1)]
    else:
        parts += [f'{{{n}}} Reuters, "Story {n}," May 3, 2023, https://r.example/{n}\n' for n in range(1, notes + 1)]
    return "".join(parts)


def measure(path: Path, repeat: int) -> tuple[float, float, int, int, int]:
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        a = parse_article(path)
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall), len(a.notes), len(a.markers), len(a.links)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, action="append", help="article sizes in MB (default: 1 and 10)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--kind", action="append", choices=["html", "divs", "md", "txt"])
    args = parser.parse_args()
    print(
        f"{'article':<10} {'size':>8} {'<p>/paras':>9} {'notes':>5} {'markers':>7} {'links':>6} {'CPU s':>7} {'wall s':>7} {'MB/s':>6}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for mb in args.mb or [1.0, 10.0]:
            for kind in args.kind or ["html", "divs", "md", "txt"]:
                text = article(kind, int(mb * 1_000_000))
                path = Path(tmp) / f"a.{'html' if kind == 'divs' else kind}"
                path.write_text(text, encoding="utf-8")
                cpu, wall, notes, markers, links = measure(path, args.repeat)
                paragraphs = text.count("<p>") if kind in ("html", "divs") else text.count("\n\n")
                size = len(text.encode()) / 1e6
                print(
                    f"{kind:<10} {size:>6.1f}MB {paragraphs:>9} {notes:>5} {markers:>7} {links:>6} {cpu:>7.2f} {wall:>7.2f} {size / cpu:>6.2f}"
                )


if __name__ == "__main__":
    main()
