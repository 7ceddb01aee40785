"""A host's registered domain (``forums.bbc.co.uk`` → ``bbc.co.uk``): tldextract's answer
(``top_domain_under_public_suffix``, ICANN suffixes only, its bundled list), without
importing tldextract.

Why: importing tldextract imports ``requests`` (with urllib3) and ``filelock`` for the
list downloads we never make (``suffix_list_urls=()``): 0.065 s, and its two suffix tries
0.025 s more, paid by the first citation that names a publisher, i.e. by every run, a run the
cache answers included (issue 22: 0.5 s of CPU for one). Here the same list is read from
tldextract's own snapshot file and looked up with sets, by tldextract's algorithm step by
step (wildcards, exceptions, punycode labels, the lenient host reading). If the file is not
where tldextract keeps it, tldextract itself answers. ``tests/test_suffixes.py`` compares
the two on every rule of the list.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import scheme_chars

_SUFFIX_RE = re.compile(r"^(?P<suffix>[.*!]*\w[\S]*)", re.UNICODE | re.MULTILINE)  # tldextract's
_PRIVATE_FROM = "// ===BEGIN PRIVATE DOMAINS==="
_SCHEME_CHARS = set(scheme_chars)


@lru_cache(maxsize=1)
def _rules() -> tuple[frozenset[str], frozenset[str]] | None:
    """(every node of tldextract's ICANN trie, its rules' ends), each a label path written
    right to left joined by dots ("uk", "co.uk" for "co.uk"); None: no snapshot file."""
    spec = find_spec("tldextract")  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        return None
    try:
        text = (Path(next(iter(spec.submodule_search_locations))) / ".tld_set_snapshot").read_text(encoding="utf-8")
    except (OSError, StopIteration, UnicodeDecodeError):
        return None
    public = text.partition(_PRIVATE_FROM)[0]
    nodes: set[str] = set()
    ends: set[str] = set()
    for match in _SUFFIX_RE.finditer(public):
        path = ""
        for label in reversed(match.group("suffix").split(".")):
            path = label + "." + path if path else label
            nodes.add(path)
        ends.add(path)
    return (frozenset(nodes), frozenset(ends)) if ends else None


def _decoded(label: str) -> str:
    lowered = label.lower()
    if lowered.startswith("xn--"):
        import idna

        try:
            return idna.decode(lowered)
        except (UnicodeError, IndexError):
            pass
    return lowered


def _host(text: str) -> str:
    """tldextract's lenient reading of a URL or host: no scheme, path, user, port or root dot."""
    start = text.find("//")
    if start == 0:
        text = text[2:]
    elif start >= 2 and text[start - 1] == ":" and not set(text[: start - 1]) - _SCHEME_CHARS:
        text = text[start + 2 :]
    authority = text.partition("/")[0].partition("?")[0].partition("#")[0]
    after_user = authority.rpartition("@")[-1]
    if after_user and after_user[0] == "[":
        before, bracket, _ = after_user.partition("]")
        if bracket:
            return before + "]"
    return after_user.partition(":")[0].strip().rstrip(".\u3002\uff0e\uff61")


def top_domain(text: str) -> str:
    """tldextract's ``extract(text).top_domain_under_public_suffix`` ('' when there is none)."""
    rules = _rules()
    if rules is None:
        import tldextract

        ext = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)(text)
        return ext.top_domain_under_public_suffix
    nodes, ends = rules
    host = _host(text).replace("\u3002", ".").replace("\uff0e", ".").replace("\uff61", ".")
    if len(host) >= 4 and host[0] == "[" and host[-1] == "]":
        return ""  # an IPv6 literal (tldextract: when it looks like one; either way no domain)
    labels = host.split(".")
    index = _suffix_index(labels, nodes, ends)
    if index is None:
        return ""  # no known suffix: an IPv4 address, "localhost"
    domain = labels[index - 1] if index > 0 else ""
    suffix = ".".join(labels[index:])
    return f"{domain}.{suffix}" if domain and suffix else ""


def _suffix_index(labels: list[str], nodes: frozenset[str], ends: frozenset[str]) -> int | None:
    """tldextract's ``suffix_index`` over the ICANN rules: where the public suffix starts."""
    path = ""
    suffix_at = at = len(labels)
    for label in reversed(labels):
        decoded = _decoded(label)
        child = decoded + "." + path if path else decoded
        if child in nodes:
            at -= 1
            path = child
            if path in ends:
                suffix_at = at
            continue
        wildcard = "*." + path if path else "*"
        if wildcard in nodes:
            exception = "!" + decoded + "." + path if path else "!" + decoded
            return at if exception in nodes else at - 1
        break
    return None if suffix_at == len(labels) else suffix_at
