"""``citewatch config``: the settings a command would run with, and where each came from.

It takes every option the config file may set, so ``citewatch config --timeout 5``
shows what ``citewatch run --timeout 5`` would use. The listing is itself valid TOML: a
line can be pasted into citewatch.toml as it is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from ..textsafe import clean
from .configure import (
    ACCEPT_PARAM,
    CONFIGURED,
    HOSTS_PARAM,
    ConfiguredCommand,
    config_option,
    key_of,
    loaded_config,
    source_of,
    table_origins,
)
from .configure import known_options as configurable
from .errors import friendly_errors
from .output import output, output_options


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string


def listing(ctx: click.Context, values: dict[str, Any]) -> list[str]:
    """``key = value  # source`` per setting, sorted by key; unset ones commented out."""
    params = {p.name: p for p in ctx.command.params}
    rows = []
    for key, option in sorted(configurable().items()):
        if option.name in (ACCEPT_PARAM, HOSTS_PARAM) or option.name not in values:
            continue
        value, source = values[option.name], source_of(ctx, params[option.name])
        line = f"{key} = {toml_value(value)}" if value is not None else f"# {key} = (not set)"
        rows.append(f"{clean(line):<60}  # {clean(source)}")
    return rows + _tables(ctx, values)


def _tables(ctx: click.Context, values: dict[str, Any]) -> list[str]:
    """The [accept] and [hosts."…"] tables, each entry with its origin."""
    rows: list[str] = []
    params = {p.name: p for p in ctx.command.params}
    for name, table in ((ACCEPT_PARAM, "accept"), (HOSTS_PARAM, "hosts")):
        specs = values.get(name) or ()
        origins = table_origins(ctx, table)
        from_flags = source_of(ctx, params[name]) == "flag"
        if specs and table == "accept":
            rows += ["", "[accept]"]
        for spec in specs:
            host, _, limits = spec.partition("=")
            source = "flag" if from_flags else origins.get(host.strip().lower(), "flag")
            if table == "accept":
                entry = [f"{json.dumps(host)} = [{', '.join(limits.split(','))}]"]
            else:
                slots, _, spacing = limits.partition("/")
                entry = [f"[hosts.{json.dumps(host)}]"]
                entry += [f"per-host = {slots}"] if slots else []
                entry += [f"min-interval = {float(spacing)}"] if spacing else []
                rows.append("")
            rows.append(f"{clean(entry[0]):<60}  # {clean(source)}")
            rows += [clean(e) for e in entry[1:]]
    return rows


def build(group: click.Group) -> click.Command:
    """The command, with every configurable option of ``group``'s commands."""
    seen: dict[str, click.Parameter] = {}
    known = configurable()  # once: built per option, it was 27 ms of every start, --help's too
    for command in list(CONFIGURED):
        for param in command.params:
            key = key_of(param)
            if key and param.expose_value and key in known and param.name not in seen:
                seen[param.name] = param

    @click.command("config", cls=ConfiguredCommand, params=list(seen.values()))
    @config_option
    @output_options
    @friendly_errors
    def config(**values: Any) -> None:
        """Print the merged settings, and where each came from.

        Each line says default, flag, env VAR or FILE:LINE (citewatch.toml, or
        pyproject.toml's [tool.citewatch]). Precedence: a flag, then an environment
        variable, then the file, then the default. The listing is valid TOML.

        \\b
        Examples:
          citewatch config
          citewatch config --config ci.toml --timeout 5
        """
        ctx = click.get_current_context()
        found = loaded_config(ctx)
        where = clean(found.path) if found else f"none found (looked in {clean(Path.cwd())} and up to the repo root)"
        out = output()
        out.summary(f"# config file: {where}")
        out.summary("\n".join(listing(ctx, values)))

    CONFIGURED.remove(config)  # it shows the others' options; it adds none
    group.add_command(config)
    return config
