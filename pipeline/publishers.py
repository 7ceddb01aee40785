"""The publisher alias table (data/publishers.yaml): names people write ↔ where outlets publish.

Shared by extraction (is this segment of a note a publisher?), verification
(does the page's site match?) and resolving (where might a source live?).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml
from rapidfuzz import fuzz, process

from .errors import InputError

PUBLISHER_TYPO = 80  # rapidfuzz ratio from which a near-miss of a known name is a likely typo


@dataclass(frozen=True)
class Outlet:
    name: str
    aliases: tuple[str, ...]
    domains: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def parse_outlets(text: str) -> tuple[Outlet, ...]:
    """Read through libyaml, as ``check`` reads citations.yaml: ruamel's pure-Python safe
    loader took 18–28 ms of CPU at the start of every check, in the thread that warms
    up while the first requests are on the wire. Same YAML 1.2 core scalars either way."""
    from .citations import fast_yaml_loader

    data = yaml.load(text, Loader=fast_yaml_loader()) or {}
    return tuple(
        Outlet(
            str(o["name"]),
            tuple(str(a) for a in o.get("aliases") or ()),
            tuple(str(d).lower() for d in o.get("domains") or ()),
        )
        for o in data.get("publishers") or []
    )


@lru_cache(maxsize=1)
def outlets() -> tuple[Outlet, ...]:
    """The bundled table (pipeline/data/publishers.yaml)."""
    return parse_outlets(resources.files("pipeline").joinpath("data/publishers.yaml").read_text("utf-8"))


def load_outlets(path: str) -> tuple[Outlet, ...]:
    """A user's own table in the same format (``--publishers FILE``); raises InputError."""
    try:
        with open(path, encoding="utf-8") as f:
            return parse_outlets(f.read())
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None
    except (KeyError, TypeError, AttributeError, yaml.YAMLError) as e:
        raise InputError(f"{path}: not a publishers table ({type(e).__name__})") from None


def pnorm(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).casefold()
    s = re.sub(r"^the\s+", "", s)
    s = re.sub(r"\s+(website|online|news|newspaper|magazine)$", "", s)
    return re.sub(r"[\W_]+", "", s)


def outlet_named(name: str) -> Outlet | None:
    n = pnorm(name)
    return next((o for o in outlets() if any(pnorm(x) == n for x in o.names)), None)


def outlet_for_domain(domain: str | None) -> Outlet | None:
    if not domain:
        return None
    domain = domain.lower()
    return next((o for o in outlets() if any(domain == d or domain.endswith("." + d) for d in o.domains)), None)


def closest_outlet(name: str, extra: tuple[Outlet, ...] = ()) -> tuple[Outlet, str, float] | None:
    """The known outlet whose name is nearest to ``name`` (for typo suggestions)."""
    choices = {x: o for o in (*extra, *outlets()) for x in o.names if len(x) > 3}
    hit = process.extractOne(name, list(choices), scorer=fuzz.ratio, processor=lambda s: s.casefold())
    if hit is None:
        return None
    return choices[hit[0]], hit[0], hit[1]
