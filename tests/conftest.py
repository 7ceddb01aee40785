from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

from pipeline.check import CheckSettings
from pipeline.fetch import Fetcher, FetchSettings

from .memento_standin import MementoStandin
from .servers import Site
from .wayback_standin import WaybackStandin

# The tests' loopback sites stand in for public ones, and their Wayback and Memento
# stand-ins for the real services: let private URLs reach them (--share-private), in this
# process and in the citewatch processes tests start. tests/test_address_guard.py unsets
# it to prove the default: private URLs never leave the machine.
os.environ["CITEWATCH_SHARE_PRIVATE"] = "1"

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "hostage-diplomacy.txt"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _serving(server):
    yield server
    server.stop()


@pytest.fixture
def site():
    yield from _serving(Site())


@pytest.fixture
def wayback():
    """A Wayback Machine stand-in (CDX, Save Page Now 2, replay) on loopback."""
    yield from _serving(WaybackStandin())


@pytest.fixture
def memento():
    """A Memento TimeMap stand-in (the aggregator's format) on loopback."""
    yield from _serving(MementoStandin())


@pytest.fixture
def site_factory():
    started: list[Site] = []

    def make(host: str = "127.0.0.1") -> Site:
        s = Site(host)
        started.append(s)
        return s

    yield make
    for s in started:
        s.stop()


def fast_settings(**kw) -> FetchSettings:
    """Short deadlines for tests: a second or two, never the 30 s default."""
    base = dict(timeout=2.0, connect_timeout=1.0, read_timeout=1.0, retries=2, backoff=0.05, allow_private=True)
    base["share_private"] = True  # loopback sites stand in for public ones, the Wayback stand-in for the real one
    base.update(kw)
    return FetchSettings(**base)


def check_settings(**kw) -> CheckSettings:
    probe = kw.pop("probe", True)
    page_processes = kw.pop("page_processes", None)
    return CheckSettings(fetch=fast_settings(**kw), probe=probe, page_processes=page_processes)


@pytest.fixture
def fetcher():
    f = Fetcher(fast_settings())
    yield f
    f.close()


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A scratch project folder with the example article, as a new user would have."""
    (tmp_path / "examples").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "examples" / EXAMPLE.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening (connection refused)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
