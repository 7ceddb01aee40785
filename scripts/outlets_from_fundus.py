"""Write pipeline/data/outlets-fundus.yaml from fundus's publisher registry.

    pip download fundus --no-deps -d /tmp/fundus && python scripts/outlets_from_fundus.py /tmp/fundus/fundus-*.whl

Why fundus: it is the best-kept open list of news outlets with their web domains we
found (flairNLP/fundus, MIT; ~200 publishers in ~45 countries, each with the name it
uses on its own pages, its domain and former domains, maintained because its crawler
breaks when they are wrong). Its publisher classes are read as source text (``ast``),
never imported: fundus is not a dependency, only its data is used, with its licence.
"""

from __future__ import annotations

import ast
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

OUT = Path(__file__).resolve().parent.parent / "pipeline" / "data" / "outlets-fundus.yaml"


def _const(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def publishers(source: str) -> list[dict]:
    """Every ``Key = Publisher(name=..., domain=..., deprecated_domains=[...])`` in one module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        call = node.value
        if getattr(call.func, "id", None) != "Publisher" or not isinstance(node.targets[0], ast.Name):
            continue
        kw = {k.arg: k.value for k in call.keywords}
        name, domain = _const(kw.get("name")), _const(kw.get("domain"))
        if not name or not domain:
            continue
        old = [_const(e) for e in getattr(kw.get("deprecated_domains"), "elts", [])]
        found.append({"key": node.targets[0].id, "name": name, "domains": [domain, *(d for d in old if d)]})
    return found


def registered(url: str) -> str:
    sys.path.insert(0, str(OUT.parent.parent.parent))
    from pipeline.metadata import registered_domain

    host = urlsplit(url if "//" in url else f"https://{url}").hostname or url
    return registered_domain(host) or host


def yaml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = sorted(n for n in z.namelist() if n.startswith("fundus/publishers/") and n.endswith("__init__.py"))
        licence = next(z.read(n).decode() for n in z.namelist() if n.endswith("dist-info/LICENSE"))
        version = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA")).split("-")[1].split(".dist")[0]
        entries = [p for n in names for p in publishers(z.read(n).decode("utf-8"))]
    lines = [
        f"# News outlets from fundus {version} (flairNLP/fundus, src/fundus/publishers), written by",
        "# scripts/outlets_from_fundus.py: name as the outlet writes it, the registry key as an alias,",
        "# registered domains (current and former). Regenerate, do not edit: add outlets to",
        "# publishers.yaml, which is read first. fundus's licence:",
        *("#   " + line if line else "#" for line in licence.strip().splitlines()),
        "publishers:",
    ]
    for p in sorted(entries, key=lambda p: p["name"].casefold()):
        domains = sorted({registered(d) for d in p["domains"]})
        aliases = [p["key"]] if p["key"].casefold() != "".join(p["name"].split()).casefold() else []
        lines.append(f"  - name: {yaml_str(p['name'])}")
        lines.append(f"    aliases: [{', '.join(yaml_str(a) for a in aliases)}]")
        lines.append(f"    domains: [{', '.join(yaml_str(d) for d in domains)}]")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(entries)} outlets")


if __name__ == "__main__":
    main(sys.argv[1])
