"""The project's config file: ``citewatch.toml``, or ``[tool.citewatch]`` in pyproject.toml.

Found as ruff and pytest find theirs: the current folder, then each parent, stopping after
the repository root (the first folder holding ``.git``) or at the filesystem root. In
each folder ``citewatch.toml`` wins over a pyproject.toml; a pyproject.toml without a
``[tool.citewatch]`` table is passed over. ``--config FILE`` names one instead.

Keys are the long option names (``per-host``, ``fail-on``, ``wayback-endpoint``…); the
``[accept]`` table maps a host to the HTTP statuses it is known to answer bots with.
Which keys exist is the command line's business (cli/configure.py); this module finds
the file, parses it and knows each key's line, which tomllib does not say.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError
from .files import is_device

CONFIG_FILE = "citewatch.toml"
PYPROJECT = "pyproject.toml"
PYPROJECT_TABLE = ("tool", "citewatch")
#: the config file's tables, keyed by host: accepted HTTP statuses; request limits
ACCEPT_TABLE = "accept"
HOSTS_TABLE = "hosts"
_TABLE_SHAPES = {ACCEPT_TABLE: "host = [statuses]", HOSTS_TABLE: '[hosts."example.com"] with per-host, min-interval'}


@dataclass(frozen=True)
class Setting:
    """One key of the config file, its value and the line that set it."""

    key: str
    value: Any
    line: int


@dataclass
class ConfigFile:
    path: Path
    settings: dict[str, Setting] = field(default_factory=dict)
    accept: dict[str, Setting] = field(default_factory=dict)  # host -> its statuses
    hosts: dict[str, Setting] = field(default_factory=dict)  # host -> {"per-host": 1, "min-interval": 2.5}

    @property
    def shown(self) -> str:
        return shown(self.path)

    def where(self, line: int) -> str:
        return f"{self.shown}:{line}"


def shown(path: Path) -> str:
    """A config file as messages and reports name it: relative to the current folder (a
    report committed to the repository must not carry one machine's home folder)."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive
        return str(path)


def find_config(start: Path) -> Path | None:
    """The nearest config file at or above ``start``, not above the repository root."""
    for folder in [start, *start.parents]:
        own = folder / CONFIG_FILE
        if own.is_file():
            return own
        pyproject = folder / PYPROJECT
        if pyproject.is_file() and _has_citewatch_table(pyproject):
            return pyproject
        if (folder / ".git").exists():
            return None
    return None


def _has_citewatch_table(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"^\s*\[\s*tool\.citewatch\s*[\].]", text, re.M) is not None


def read_config(path: Path) -> ConfigFile:
    """The file's settings with their lines. A file that is not TOML is an InputError
    naming its line; so is a value where a table belongs and the reverse."""
    if is_device(path):  # /dev/zero reads until memory runs out
        raise InputError(f"{shown(path)}: a device, not a config file")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{shown(path)}: no such config file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{shown(path)}: cannot read this config file ({e})") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{shown(path)}: not valid TOML ({e})") from None
    prefix: tuple[str, ...] = ()
    if path.name == PYPROJECT:
        prefix = PYPROJECT_TABLE
        doc = doc.get("tool", {}).get("citewatch", {})
    lines = key_lines(text)
    config = ConfigFile(path)
    for key, value in doc.items():
        line = lines.get((*prefix, key), 1)
        if key in _TABLE_SHAPES:
            if not isinstance(value, dict):
                raise InputError(f"{shown(path)}:{line}: {key} is a table: {_TABLE_SHAPES[key]}")
            table = config.accept if key == ACCEPT_TABLE else config.hosts
            for host, entry in value.items():
                table[host] = Setting(host, entry, lines.get((*prefix, key, host), line))
        else:
            config.settings[key] = Setting(key, value, line)
    return config


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+(?:\s*\.\s*[A-Za-z0-9_-]+)*)\s*=""")


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(p.strip().strip("\"'") for p in re.findall(r"\"[^\"]*\"|'[^']*'|[^.]+", dotted))


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Each key's line (1-based), under its table: ``("accept", "example.com") -> 7``.
    Good enough for the files people write by hand (tables, dotted keys, arrays over
    several lines); used only to point at a line in an error message."""
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    in_array = 0
    for number, line in enumerate(text.splitlines(), 1):
        if in_array:
            in_array += line.count("[") - line.count("]")
            continue
        header = _HEADER.match(line)
        if header:
            table = _parts(header.group(1))
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key:
            lines.setdefault((*table, *_parts(key.group(1))), number)
            rest = line[key.end() :]
            in_array = max(0, rest.count("[") - rest.count("]"))
    return lines
