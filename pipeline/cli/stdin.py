"""An article read from stdin (``citewatch run -``, ``extract -``).

It gets a name (``--name``, default ``stdin``) for its reports and its citations file;
its format is ``--format`` or sniffed from the content, as for a file without an
extension. A .docx or .odt is a zip archive that the readers open by file name: from
stdin it is refused with a one-line error rather than guessed at.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import InputError
from ..footnotes import decode_article

STDIN = Path("-")

name_option = click.option(
    "--name",
    default="stdin",
    show_default=True,
    help="With ARTICLE '-' (read from stdin): the article's name, for its reports and citations file.",
)


def read_stdin_article(name: str) -> str:
    data = sys.stdin.buffer.read()
    if data.startswith(b"PK\x03\x04"):
        raise InputError(f"{name} (stdin): a .docx or .odt cannot be read from stdin; give its file name")
    return decode_article(data, Path(name))
