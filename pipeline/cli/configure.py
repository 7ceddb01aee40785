"""citewatch.toml on the command line: its keys become option defaults, flags win.

Every command that reads settings is a ``ConfiguredCommand``: before Click parses its
arguments, the config file (``--config FILE``, else the nearest one, see config.py) is
read, each key checked against the options that exist, and the values handed to Click as
the command's ``default_map``. Click's own precedence then holds: a flag, then an
environment variable, then the file, then the built-in default; ``citewatch config``
shows the outcome and where each value came from.

A key no command has is an error naming the file and line, with the nearest key; so is a
value of the wrong type, checked with the same converter the flag uses.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from ..config import ConfigFile, find_config, read_config
from ..errors import InputError
from ..rules import AcceptRule, UrlPattern
from .errors import OneLineError
from .output import output

CONFIG_KEY = "citewatch.config"
#: options that say what to do this once, not how a project works: never in the file
NOT_IN_CONFIG = frozenset(
    {"config", "force", "dry-run", "json", "output", "quiet", "verbose", "help", "format", "name", "offline", "accept"}
)
#: the address guard's exceptions (and sharing private addresses) stay flags: a file
#: someone else can commit (a pull request, a shared template) must not open the guard
#: for a scheduled job (SECURITY.md)
GUARD_FLAGS = frozenset({"allow-private", "allow-host", "resolve", "share-private"})
#: where the Wayback keys are sent: a committed file must not redirect them to its own server
KEY_ENDPOINTS = frozenset({"wayback-endpoint"})
FLAG_ONLY = GUARD_FLAGS | KEY_ENDPOINTS
#: the [accept] and [hosts] tables' options
ACCEPT_PARAM = "accept_status"
HOSTS_PARAM = "host_limit"
HOST_LIMIT_KEYS = ("per-host", "min-interval")
#: options holding URL patterns (regular expressions)
URL_PATTERN_KEYS = frozenset({"exclude", "include"})
#: options holding a duration, checked like the flag (a unit is required)
DURATION_KEYS = frozenset({"recheck-after", "max-age"})
#: every command whose options the file may set (filled as commands are declared)
CONFIGURED: list[click.Command] = []

config_option = click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    expose_value=False,
    metavar="FILE",
    help="Settings file (default: the nearest citewatch.toml, or pyproject.toml with [tool.citewatch]).",
)


def key_of(param: click.Parameter) -> str | None:
    """The config key of an option: its long name without the dashes."""
    if not isinstance(param, click.Option):
        return None
    longs = [o for o in param.opts if o.startswith("--")]
    return max(longs, key=len)[2:] if longs else None


def known_options() -> dict[str, click.Option]:
    """Config key -> option, over every configured command (first declaration wins)."""
    known: dict[str, click.Option] = {}
    for command in CONFIGURED:
        for param in command.params:
            key = key_of(param)
            if key and key not in NOT_IN_CONFIG | GUARD_FLAGS and param.expose_value:
                known.setdefault(key, param)
    return known


class ConfiguredCommand(click.Command):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        CONFIGURED.append(self)

    def make_context(self, info_name, args, parent=None, **extra):
        wants_help = any(a in ("-h", "--help") for a in args)
        config = None
        if "default_map" not in extra:
            try:
                config = load(explicit_config(args))
            except InputError as e:
                if not wants_help:
                    raise OneLineError(str(e)) from None
            if config is not None:
                extra["default_map"] = default_map(self, config)
        ctx = super().make_context(info_name, args, parent=parent, **extra)
        ctx.meta[CONFIG_KEY] = config
        with ctx.scope(cleanup=False):
            output().detail(f"config: {config.shown}" if config else "config: none found, defaults and flags only")
        return ctx


def explicit_config(args: list[str]) -> Path | None:
    """``--config FILE`` (or ``--config=FILE``) among a command's arguments: the file must
    be read before Click parses them, since its values are their defaults."""
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--config" and i + 1 < len(args):
            return Path(args[i + 1])
        if arg.startswith("--config="):
            return Path(arg.split("=", 1)[1])
    return None


def load(explicit: Path | None) -> ConfigFile | None:
    path = explicit or find_config(Path.cwd())
    if path is None:
        return None
    config = read_config(path)
    validate(config, known_options())
    return config


def validate(config: ConfigFile, known: dict[str, click.Option]) -> None:
    """Unknown keys and values that do not convert: an InputError naming file and line."""
    for key, setting in config.settings.items():
        where = config.where(setting.line)
        if key in GUARD_FLAGS:
            raise InputError(f"{where}: {key} is a flag only (--{key}): a config file cannot open the address guard")
        if key in KEY_ENDPOINTS:
            raise InputError(
                f"{where}: {key} is a flag or environment setting only: the Wayback keys are sent there,"
                " and a file someone else can commit must not redirect them"
            )
        if key not in known:
            raise InputError(f"{where}: unknown key {key!r}{_nearest(key, known)}")
        try:
            value = convert(known[key], setting.value)
        except (click.BadParameter, InputError, TypeError, ValueError) as e:
            message = e.message if isinstance(e, click.ClickException) else str(e)
            raise InputError(f"{where}: {key}: {message}") from None
        if key in URL_PATTERN_KEYS:  # refused here as a run would refuse them, `config` included
            for text in value if isinstance(value, tuple | list) else (value,):
                UrlPattern.parse(str(text), where)
    for host, setting in config.accept.items():
        AcceptRule.parse(accept_spec(host, setting.value), config.where(setting.line))
    for host, setting in config.hosts.items():
        host_limit_spec(host, setting.value, config.where(setting.line))


def _nearest(key: str, known: dict[str, click.Option]) -> str:
    near = difflib.get_close_matches(key.replace("_", "-"), list(known), n=1, cutoff=0.6)
    return f" (did you mean {near[0]!r}?)" if near else " (citewatch config lists every key)"


def accept_spec(host: str, statuses: Any) -> str:
    """An [accept] entry in the flag's form, ``host=403,429``."""
    if isinstance(statuses, int):
        statuses = [statuses]
    if not isinstance(statuses, list) or not all(isinstance(s, int) for s in statuses):
        statuses = []  # the parser says what is wrong
    return f"{host}=" + ",".join(str(s) for s in statuses)


def host_limit_spec(host: str, entry: Any, where: str) -> str:
    """A [hosts."example.com"] table in the flag's form, ``example.com=1/2.5``; checked."""
    from .options import parse_host_limit

    if not isinstance(entry, dict):
        raise InputError(f"{where}: hosts.{host} is a table with {' and/or '.join(HOST_LIMIT_KEYS)}")
    unknown = [k for k in entry if k not in HOST_LIMIT_KEYS]
    if unknown:
        raise InputError(f"{where}: unknown key {unknown[0]!r} in hosts.{host} (known: {', '.join(HOST_LIMIT_KEYS)})")
    slots, spacing = entry.get("per-host"), entry.get("min-interval")
    spec = f"{host}={'' if slots is None else slots}/{'' if spacing is None else spacing}"
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in (slots, spacing) if v is not None):
        spec = f"{host}=?"  # not numbers: the parser says what is expected
    parse_host_limit(spec, where)
    return spec


def convert(param: click.Option, value: Any) -> Any:
    """A TOML value as the option's own type would take it from a flag."""
    key = key_of(param)
    if key == "fail-on" and isinstance(value, list):
        value = ",".join(str(v) for v in value)
    if param.multiple:
        items = value if isinstance(value, list) else [value]
        return tuple(param.type.convert(v, param, None) for v in items)
    if isinstance(value, list | dict):
        raise click.BadParameter(f"expected one value, not {type(value).__name__} {value!r}")
    if param.is_flag and not isinstance(value, bool):
        raise click.BadParameter(f"expected true or false, not {value!r}")
    if key in DURATION_KEYS:
        from .options import parse_duration

        parse_duration(str(value))
    return param.type.convert(value, param, None)


def default_map(command: click.Command, config: ConfigFile) -> dict[str, Any]:
    """The file's values for the options this command has."""
    out: dict[str, Any] = {}
    for param in command.params:
        key = key_of(param)
        if key in config.settings and key not in NOT_IN_CONFIG | FLAG_ONLY and isinstance(param, click.Option):
            out[param.name] = convert(param, config.settings[key].value)
        if param.name == ACCEPT_PARAM and config.accept:
            out[param.name] = [accept_spec(h, s.value) for h, s in config.accept.items()]
        if param.name == HOSTS_PARAM and config.hosts:
            out[param.name] = [host_limit_spec(h, s.value, config.where(s.line)) for h, s in config.hosts.items()]
    return out


def loaded_config(ctx: click.Context) -> ConfigFile | None:
    return ctx.meta.get(CONFIG_KEY)


def source_of(ctx: click.Context, param: click.Parameter, flag_label: str = "flag") -> str:
    """Where an option's value came from: ``default``, ``flag``, ``env NAME`` or ``FILE:LINE``."""
    source = ctx.get_parameter_source(param.name)
    if source is ParameterSource.COMMANDLINE:
        return flag_label
    if source is ParameterSource.ENVIRONMENT:
        return f"env {param.envvar}"
    config = loaded_config(ctx)
    if source is ParameterSource.DEFAULT_MAP and config is not None:
        key = key_of(param)
        if key in config.settings:
            return config.where(config.settings[key].line)
        return config.shown
    return "default"


def table_origins(ctx: click.Context, table: str) -> dict[str, str]:
    """Each host's ``FILE:LINE`` in the [accept] or [hosts] table."""
    config = loaded_config(ctx)
    if config is None:
        return {}
    entries = config.accept if table == "accept" else config.hosts
    return {host.lower(): config.where(s.line) for host, s in entries.items()}
