"""The packages the project's users asked for stay what citewatch is built on: each is an
install dependency (not a test extra) and each is imported by the library itself."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASKED_FOR = {"requests": "requests", "beautifulsoup4": "bs4", "waybackpy": "waybackpy", "click": "click"}


def test_the_packages_the_users_asked_for_are_installed_and_used():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    installed = {re.split(r"[<>=!~\[; ]", dep, maxsplit=1)[0].lower() for dep in project["dependencies"]}
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "pipeline").rglob("*.py"))
    for package, module in ASKED_FOR.items():
        assert package in installed, f"{package} is not an install dependency"
        assert re.search(rf"^\s*(from|import) {module}\b", sources, re.M), f"pipeline/ never imports {module}"
