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
    """A user's own table in the same format (``--publishers FILE``); raises ValueError."""
    try:
        with open(path, encoding="utf-8") as f:
            return parse_outlets(f.read())
    except OSError as e:
        raise ValueError(f"{path}: cannot read ({e.strerror})") from None
    except (KeyError, TypeError, AttributeError, yaml.YAMLError) as e:
        raise ValueError(f"{path}: not a publishers table ({type(e).__name__})") from None


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


# ----------------------------------------------------------------------------- tying a name to a page
_ARTICLES = r"(?:the|der|die|das|la|le|les|el|il|lo|de)"
_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "å": "aa"})
_DOMAIN_LIKE = re.compile(r"^[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}$", re.I)


def _fold(s: str) -> str:
    """Casefolded, accents dropped (ü → u): "Süddeutsche" and "sueddeutsche" meet via
    the transliterated form, "idées" and "idees" via this one."""
    s = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", s).casefold())
    return "".join(c for c in s if not unicodedata.combining(c))


def _forms(s: str) -> set[str]:
    """Compact spellings of one name: accents dropped or transliterated."""
    s = unicodedata.normalize("NFKC", s).casefold()
    return {re.sub(r"[\W_]+", "", _fold(s)), re.sub(r"[\W_]+", "", _fold(s.translate(_TRANSLIT)))} - {""}


def _words(s: str) -> list[str]:
    """The words of a name without a leading article: ("die", "zeit") → ["zeit"]."""
    words = re.findall(r"\w+", _fold(s))
    while len(words) > 1 and re.fullmatch(_ARTICLES, words[0]):
        words = words[1:]
    return words


def name_variants(name: str) -> list[str]:
    """What a name may be written as: itself, without a bracketed part or a generic
    suffix ("Euronews (EN)" → "Euronews", "ZEIT ONLINE" → "ZEIT"), the bracketed part
    alone ("Norddeutscher Rundfunk (NDR)" → "NDR"), and a domain's own label
    ("FAZ.NET" → "FAZ", "Salon.com" → "Salon")."""
    name = name.strip()
    out = [name]
    m = re.fullmatch(r"(.+?)\s*\(([^()]+)\)", name)
    if m:
        out += [m[1], m[2]]
    for n in list(out):
        if _DOMAIN_LIKE.match(n):
            from .metadata import registered_domain

            label = (registered_domain(n.lower()) or n).split(".")[0]
            out += [label, *(p for p in label.split("-") if len(p) >= 2)]  # "tokyo-np" → "tokyo"
        bare = re.sub(r"\s+(?:online|digital|news|website|\.\w+)$", "", n, flags=re.I)
        if bare and bare != n:
            out.append(bare)
    return list(dict.fromkeys(x for x in out if x))


def _acronym_of(acronym: str, words: list[str]) -> bool:
    """ "wdr" stands for "Westdeutscher Rundfunk": each word gives its initial and maybe
    more of its letters, in order ("W", "d(eutscher)", "R"); every word takes part."""
    if not words:
        return not acronym
    if not acronym or acronym[0] != words[0][0]:
        return False
    word, rest = words[0], acronym[1:]
    pos = 1
    for i in range(len(rest) + 1):  # letters taken from this word after its initial
        if _acronym_of(rest[i:], words[1:]):
            return True
        if i < len(rest):
            found = word.find(rest[i], pos)
            if found < 0:
                return False
            pos = found + 1
    return False


def tie(cited: str, page_names: list[str]) -> str | None:
    """Why ``cited`` names the outlet a page calls one of ``page_names`` (its site name,
    its domain), or None when nothing ties them — which is not evidence of another outlet."""
    for a in name_variants(cited):
        for b in (v for n in page_names for v in name_variants(n)):
            why = _tie_pair(a, b)
            if why:
                return why
    return None


def _tie_pair(a: str, b: str) -> str | None:
    fa, fb = _forms(a), _forms(b)
    if fa & fb:
        return "the same name"
    wa, wb = _words(a), _words(b)
    ca, cb = "".join(wa), "".join(wb)
    if ca and ca == cb:
        return "the same name"
    for short, long_words in ((cb, wa), (ca, wb)):
        if len(short) >= 3 and (short in long_words or short == "".join(long_words)):
            return "one name is part of the other"
    for short, long_forms in ((fb, fa), (fa, fb)):  # "ntv" in "ntvtr", "standard" in "eveningstandard"
        if any(len(s) >= 3 and any(lf.startswith(s) or (len(s) >= 5 and s in lf) for lf in long_forms) for s in short):
            return "one name is part of the other"
    for acro, words in ((cb, wa), (ca, wb)):
        letters = re.sub(r"\d+$", "", acro)
        if 2 <= len(letters) <= 6 and len(words) >= 2 and _acronym_of(letters, words):
            return f"{letters.upper()} stands for {' '.join(words).title()}"
    return None
