"""Refresh the `--help` blocks quoted in README.md from the code (tests/test_cli.py checks them).

python docs/update_readme_help.py
"""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"


def help_text(command: str) -> str:
    args = [command, "--help"] if command != "main" else ["--help"]
    return CliRunner().invoke(main, args, prog_name="citewatch", terminal_width=100).output


def refresh(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        return f"<!-- help:{name} -->\n```text\n{help_text(name)}```\n<!-- /help:{name} -->"

    return re.sub(r"<!-- help:(\w+) -->\n```text\n.*?```\n<!-- /help:\1 -->", repl, text, flags=re.S)


if __name__ == "__main__":
    README.write_text(refresh(README.read_text(encoding="utf-8")), encoding="utf-8")
