"""suffixes.top_domain gives tldextract's answer (top_domain_under_public_suffix, ICANN
rules, the bundled list) on every rule of the list and the awkward hosts around them."""

from __future__ import annotations

import idna
import pytest

from pipeline import metadata, suffixes

tldextract = pytest.importorskip("tldextract")


@pytest.fixture(scope="module")
def reference():
    extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    return lambda host: extract(host).top_domain_under_public_suffix


def _rule_texts() -> list[str]:
    from pathlib import Path

    spec = __import__("importlib.util").util.find_spec("tldextract")
    text = (Path(next(iter(spec.submodule_search_locations))) / ".tld_set_snapshot").read_text(encoding="utf-8")
    return [m.group("suffix") for m in suffixes._SUFFIX_RE.finditer(text)]  # ICANN and private ones


def test_the_list_is_read_from_tldextract_s_own_file():
    assert suffixes._rules() is not None


def test_every_rule_with_names_around_it(reference):
    hosts = []
    for rule in _rule_texts():
        bare = rule.lstrip("!").replace("*", "wild")
        for host in (bare, "example." + bare, "www.example." + bare, "a.b.c." + bare, "EXAMPLE." + bare.upper()):
            hosts.append(host)
        try:
            hosts.append(
                "shop.xn--" + idna.encode(bare.split(".")[0]).decode()[4:] + "." + ".".join(bare.split(".")[1:])
            )
            hosts.append("shop." + idna.encode(bare).decode())
        except (idna.IDNAError, UnicodeError, ValueError):
            pass
    assert len(hosts) > 40_000
    wrong = [(h, suffixes.top_domain(h), reference(h)) for h in hosts if suffixes.top_domain(h) != reference(h)]
    assert wrong == []


@pytest.mark.parametrize(
    "host",
    [
        "forums.bbc.co.uk",
        "bbc.co.uk",
        "co.uk",
        "uk",
        "localhost",
        "127.0.0.1",
        "[::1]",
        "[2001:db8::1]",
        "www.city.kawasaki.jp",  # an exception to a wildcard
        "a.b.kawasaki.jp",
        "b.kawasaki.jp",
        "www.ck",
        "x.y.ck",
        "example.com.",
        "example.com。",
        "www.example。co。uk",
        "http://user:pw@www.Example.CO.uk:8080/path?q#f",
        "//www.example.com/x",
        "mailto://x.example.org",
        "bad scheme://example.org",
        "..co.uk",
        ".example.com",
        "",
        "xn--bcher-kva.example",
        "www.xn--bcher-kva.de",
        "www.bücher.de",
        "xn--zz.com",
        "XN--ZZ.com",
        "例え.テスト",
        "shop.xn--p1ai",
        "a" * 300 + ".com",
    ],
)
def test_awkward_hosts(reference, host):
    assert suffixes.top_domain(host) == reference(host)


def test_registered_domain_as_before(reference):
    for host in ("www.nytimes.com", "news.bbc.co.uk", "localhost", "blogspot.com", "foo.blogspot.com"):
        assert metadata.registered_domain(host) == (reference(host) or host)
    assert metadata.registered_domain("https://www.theguardian.com/world") == "theguardian.com"
    assert metadata.registered_domain("10.0.0.1") is None
