"""The address guard as an attacker meets it: a URL that two parsers read differently, a
host name with a trailing dot that resolves twice, IPv6 forms that carry a private IPv4
address. Every test runs a loopback server that records each request it receives and
asserts it received none; DNS and outbound connections are faked, so nothing leaves the
machine even when the guard is wrong."""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import urllib3.util.connection
from click.testing import CliRunner

from pipeline.address import AddressGuard, BadAddress, is_public_ip, parse_address
from pipeline.cli import main
from pipeline.fetch import Fetcher
from pipeline.vocab import FetchError

from .conftest import fast_settings
from .servers import Site, send
from .wayback_standin import WaybackStandin

PUBLIC_IP = "93.184.215.14"  # what the fake DNS answers for the attacker's names


class FakeNetwork:
    """DNS answers from a table (a name may answer differently on each lookup); a
    connection to anything but loopback is recorded and refused, never made."""

    def __init__(self, monkeypatch) -> None:
        self.answers: dict[str, list[str]] = {}
        self.lookups: list[str] = []
        self.connects: list[tuple[str, int]] = []
        real_gai, real_connect = socket.getaddrinfo, urllib3.util.connection.create_connection

        def getaddrinfo(host, port, *args, **kw):
            name = host.decode() if isinstance(host, bytes) else str(host)
            try:
                ipaddress.ip_address(name)
                return real_gai(host, port, *args, **kw)
            except ValueError:
                pass
            self.lookups.append(name)
            queue = self.answers.get(name.rstrip(".").lower())
            if not queue:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            ip = queue.pop(0) if len(queue) > 1 else queue[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, int(port or 0)))]

        def create_connection(address, *args, **kw):
            host, port = address
            ip = getaddrinfo(host, port)[0][4][0]
            self.connects.append((ip, port))
            if not ipaddress.ip_address(ip).is_loopback:
                raise ConnectionRefusedError(f"test: no connection to {ip} leaves this machine")
            return real_connect((ip, port), *args, **kw)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)


@pytest.fixture
def net(monkeypatch):
    fake = FakeNetwork(monkeypatch)
    fake.answers["example.test"] = [PUBLIC_IP]
    return fake


@pytest.fixture
def internal():
    """The service an attacker wants to reach: it records every request."""
    s = Site()
    s.routes["/x"] = lambda req: send(req, 200, "<html><head><title>INTERNAL SECRET</title></head></html>")
    yield s
    s.stop()


def smuggled(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}\\@example.test/x",
        f"http://127.0.0.1:{port}\\\\@example.test/x",
        f"http://example.test\\@127.0.0.1:{port}/x",
        f"http://127.0.0.1:{port}\\.example.test/x",
        f"HTTP://127.0.0.1:{port}\\@EXAMPLE.TEST./x",
    ]


# ----------------------------------------------------------------------------- one reading
@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://127.0.0.1:80\\@example.test/x", "backslash"),
        ("http://exa\x01mple.test/", "control character"),
        ("http://exa\u00a0mple.test/", "white space"),
        ("http://exa%2e.test/", "'%'"),
        ("http://example.test:99999/", "invalid port"),
        ("ftp://example.test/", r"not an http\(s\) URL"),
    ],
)
def test_an_authority_the_parsers_could_read_differently_is_refused(url, reason):
    with pytest.raises(BadAddress, match=reason):
        parse_address(url)


def test_an_address_is_normalised_once():
    a = parse_address("HTTP://Example.TEST.:8080/a?b=1#frag")
    assert (a.scheme, a.host, a.port, a.path_and_query) == ("http", "example.test", 8080, "/a?b=1")
    assert a.request_url == "http://example.test:8080/a?b=1"
    assert parse_address("https://bücher.example/").host == "xn--bcher-kva.example"
    assert parse_address("http://user:pw@[::1]/").request_url == "http://[::1]/"  # credentials not sent on


def test_smuggled_addresses_never_reach_the_internal_service(net, internal):
    with Fetcher(fast_settings(allow_private=False, retries=0)) as f:
        for url in smuggled(internal.port):
            fetched = f.fetch(url)
            assert fetched.error in ("error", "skipped"), (url, fetched.error, fetched.http_status)
    assert internal.log == []
    assert net.connects == []


def test_a_redirect_hop_to_a_smuggled_address_is_refused(net, internal, site_factory):
    outside = site_factory("127.0.0.2")
    for i, url in enumerate(smuggled(internal.port)):
        outside.routes[f"/r{i}"] = lambda req, url=url: send(req, 302, "", {"Location": url})
    with Fetcher(fast_settings(allow_private=False, allow_hosts=("127.0.0.2",), retries=0)) as f:
        for i in range(len(smuggled(internal.port))):
            fetched = f.fetch(outside.url(f"/r{i}"))
            assert fetched.error and fetched.http_status is None
            assert "refused" in fetched.error_reason or "malformed" in fetched.error_reason
    assert outside.hits("/r0") == 1
    assert internal.log == []


@pytest.mark.parametrize("ext", ["txt", "md", "html"])
def test_a_footnote_with_a_smuggled_address_is_not_fetched(net, internal, tmp_path, monkeypatch, ext):
    url = smuggled(internal.port)[0]
    article = {
        "txt": f'Title\n\nA claim.[1]\n\nNotes\n\n1. Evil, "X," 2020, {url}\n',
        "md": f'# Title\n\nA claim.[^1]\n\n[^1]: Evil, "X," 2020, <{url}>\n',
        "html": (
            '<html><body><p>A claim.<sup><a href="#fn1" id="r1">1</a></sup></p><ol class="footnotes">'
            f'<li id="fn1">Evil, <a href="{url}">X</a>, 2020 <a href="#r1">↩</a></li></ol></body></html>'
        ),
    }[ext]
    monkeypatch.chdir(tmp_path)
    Path(f"a.{ext}").write_text(article, encoding="utf-8")
    res = CliRunner().invoke(main, ["run", f"a.{ext}", "--no-wayback", "--timeout", "2"], catch_exceptions=False)
    assert internal.log == []
    report = json.loads(Path("reports/a.json").read_text(encoding="utf-8"))
    (result,) = report["results"]
    assert result["status"] in ("error", "skipped") and "INTERNAL" not in json.dumps(report)
    assert "INTERNAL" not in res.output


def test_resolve_never_fetches_a_smuggled_candidate(net, internal, tmp_path, monkeypatch):
    crossref = Site("127.0.0.4")
    wayback = WaybackStandin()

    def works(req):
        q = parse_qs(urlsplit(req.path).query)
        items = [{"DOI": "10.1/x", "title": [q["query.bibliographic"][0]], "issued": {"date-parts": [[2009]]}}]
        send(req, 200, json.dumps({"message": {"items": items}}), content_type="application/json")

    crossref.routes["/works"] = works
    monkeypatch.chdir(tmp_path)
    Path("citations.yaml").write_text(
        'citations:\n  - id: "1"\n    publisher: Journal of Studies\n    title: Hostage Diplomacy in the Journal\n',
        encoding="utf-8",
    )
    try:
        args = ["resolve", "--timeout", "2", "--crossref-endpoint", crossref.url("").rstrip("/")]
        args += ["--doi-base", f"http://127.0.0.1:{internal.port}\\@example.test"]
        args += ["--wayback-endpoint", wayback.endpoint, "--cdx-per-minute", "6000"]
        monkeypatch.delenv("CITEWATCH_SHARE_PRIVATE", raising=False)
        res = CliRunner().invoke(main, args, catch_exceptions=False)
    finally:
        crossref.stop()
        wayback.stop()
    assert crossref.hits("/works") == 1, res.output  # the candidate was found…
    assert internal.log == []  # …never fetched…
    assert not [p for _, p, _ in wayback.site.log if "example.test" in p]  # …nor looked up in the archive


def test_an_archive_endpoint_cannot_redirect_into_the_machine(net, internal, site_factory):
    from pipeline.fetch import new_session

    endpoint = site_factory("127.0.0.2")
    endpoint.routes["/cdx"] = lambda req: send(req, 302, "", {"Location": internal.url("/x")})
    endpoint.routes["/same"] = lambda req: send(req, 302, "", {"Location": "/ok"})
    endpoint.routes["/ok"] = lambda req: send(req, 200, "fine")
    session = new_session()
    assert session.get(endpoint.url("/cdx"), timeout=2).status_code == 302  # answered, not followed
    assert session.get(endpoint.url("/same"), timeout=2).text == "fine"  # its own host: fine
    assert internal.log == []


# ----------------------------------------------------------------------------- rebinding
def test_an_archive_endpoints_redirect_cannot_rebind_into_the_machine(net, internal, site_factory):
    """A hop vetted at a public address is connected to at that address: a second DNS
    answer (127.0.0.1) is never asked for."""
    import requests

    from pipeline.fetch import new_session

    endpoint = site_factory("127.0.0.2")
    net.answers["archive.test"] = ["127.0.0.2"]
    net.answers["rebind.test"] = [PUBLIC_IP, "127.0.0.1"]
    target = f"http://rebind.test:{internal.port}/x"
    endpoint.routes["/cdx"] = lambda req: send(req, 302, "", {"Location": target})
    session = new_session()
    with pytest.raises(requests.exceptions.ConnectionError):
        session.get(f"http://archive.test:{endpoint.port}/cdx", timeout=2)
    session.close()
    assert endpoint.hits("/cdx") == 1
    assert internal.log == []
    assert (PUBLIC_IP, internal.port) in net.connects and ("127.0.0.1", internal.port) not in net.connects


def test_a_trailing_dot_does_not_escape_the_rebinding_pin(net, internal):
    net.answers["rebind.test"] = [PUBLIC_IP, "127.0.0.1"]  # public when vetted, loopback after
    with Fetcher(fast_settings(allow_private=False, retries=0)) as f:
        fetched = f.fetch(f"http://rebind.test.:{internal.port}/x")
    assert internal.log == []
    assert net.connects == [(PUBLIC_IP, internal.port)]  # the vetted address, nothing else
    assert fetched.error == "unreachable"


def test_a_host_the_guard_never_vetted_is_not_connected_to(net, internal):
    from pipeline import transport

    guard = AddressGuard(allow_private=True, dns_timeout=1.0)
    transport._current.guard = guard
    try:
        with pytest.raises(Exception, match="not vetted"):
            transport.new_pool_manager(1).urlopen("GET", internal.url("/x"), retries=False)
    finally:
        transport._current.guard = None
    assert internal.log == []


# ----------------------------------------------------------------------------- IPv6 carrying IPv4
@pytest.mark.parametrize(
    "address, public",
    [
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254 (cloud metadata)
        ("64:ff9b:1::c0a8:1", False),  # local-use NAT64 of 192.168.0.1
        ("2002:7f00:1::", False),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::1", False),  # 6to4 of 169.254.169.254
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo, client 127.0.0.1
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("2002:808:808::1", True),  # 6to4 of 8.8.8.8
        ("2606:4700::1111", True),
        ("8.8.8.8", True),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
    ],
)
def test_ipv6_forms_embedding_a_private_ipv4_are_refused(address, public, internal):
    assert is_public_ip(ipaddress.ip_address(address)) is public
    guard = AddressGuard(allow_private=False, dns_timeout=1.0)
    host = f"[{address}]" if ":" in address else address
    refused = guard.check(f"http://{host}:{internal.port}/x")
    assert (refused is None) is public
    if not public:
        assert refused[0] == FetchError.REFUSED and "non-public" in refused[1]
    guard.close()


# ----------------------------------------------------------------------------- header drip
def test_headers_dripped_past_the_deadline_are_a_timeout(site):
    def drip(req):
        req.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
        req.wfile.flush()
        for byte in b"X-Slow: " + b"a" * 40 + b"\r\n\r\n<html><title>late</title></html>":
            if site.stopping.wait(0.3):
                return
            req.wfile.write(bytes([byte]))
            req.wfile.flush()

    site.routes["/drip"] = drip
    started = time.monotonic()
    with Fetcher(fast_settings(timeout=1.0, read_timeout=1.0, retries=0)) as f:
        fetched = f.fetch(site.url("/drip"))
    elapsed = time.monotonic() - started
    assert fetched.error == "timeout", (fetched.http_status, fetched.error_reason)
    assert fetched.http_status is None
    assert elapsed < 3.0  # a 1 s deadline; before: the dripped headers were read to the end, "live"


# ----------------------------------------------------------------------------- private URLs stay here
@pytest.mark.parametrize("share", [False, True])
def test_a_private_url_is_never_sent_to_the_wayback_machine(site, tmp_path, monkeypatch, share):
    monkeypatch.delenv("CITEWATCH_SHARE_PRIVATE", raising=False)  # the default, not the tests' setting
    site.routes["/intranet"] = lambda req: send(req, 200, "<html><head><title>Staff wiki</title></head></html>")
    wayback = WaybackStandin()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WAYBACK_ACCESS_KEY", "AK")
    monkeypatch.setenv("WAYBACK_SECRET_KEY", "SK")
    Path("a.md").write_text(f"# T\n\nClaim.[^1]\n\n[^1]: Wiki, <{site.url('/intranet')}>\n", encoding="utf-8")
    args = ["run", "a.md", "--allow-private", "--timeout", "2", "--wayback-endpoint", wayback.endpoint]
    args += ["--cdx-per-minute", "6000", "--captures-per-minute", "6000"] + (["--share-private"] if share else [])
    try:
        res = CliRunner().invoke(main, args, catch_exceptions=False)
    finally:
        wayback.stop()
    assert res.exit_code == 0, res.output
    assert site.hits("/intranet") >= 1  # checked, as --allow-private asks…
    sent = [p for _, p, _ in wayback.site.log if "intranet" in p or p == "/save"]
    assert bool(sent) is share  # …but only --share-private sends it to the archive
