"""Real services' recorded answers (../shared/recorded/, VCR cassettes), served from loopback.

The cassettes were recorded by other clients for their own queries, so a test replays the
*responses* in order for the requests our client makes, where the shapes correspond: the
status, headers and body the real service sent. They are read from ../shared/ (never
copied into the project); tests skip with a clear message when the folder is absent.
"""

from __future__ import annotations

import gzip
import threading
from pathlib import Path

import pytest
import yaml

from .servers import Site

RECORDED = Path(__file__).resolve().parent.parent.parent / "shared" / "recorded"


def cassette_dir(service: str) -> Path:
    folder = RECORDED / service
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: the recorded {service} answers live in ../shared/recorded/")
    return folder


def cassettes(service: str) -> list[str]:
    folder = RECORDED / service
    return sorted(p.name for p in folder.glob("*.yaml")) if folder.is_dir() else []


def responses(path: Path) -> list[dict]:
    """Each recorded response as {status, headers (lower-case, one value), body (bytes, decoded
    from gzip), uri (what the recorder asked)}."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for item in data["interactions"]:
        r = item["response"]
        headers = {k.lower(): (v[0] if isinstance(v, list) else v) for k, v in r["headers"].items()}
        body = r["body"].get("string", b"")
        body = body.encode("utf-8") if isinstance(body, str) else body
        if "gzip" in headers.get("content-encoding", ""):
            body = gzip.decompress(body)
        headers.pop("content-encoding", None)
        headers.pop("content-length", None)
        headers.pop("transfer-encoding", None)
        out.append({"status": r["status"]["code"], "headers": headers, "body": body, "uri": item["request"]["uri"]})
    return out


class Replay:
    """A loopback server answering every request with the next recorded response."""

    def __init__(self, recorded: list[dict]) -> None:
        self.recorded = list(recorded)
        self.served = 0
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self.site = Site()
        self.site.fallback = self._answer

    def _answer(self, req) -> None:
        with self._lock:
            self.paths.append(req.path)
            if not self.recorded:
                req.send_response(599, "no recorded answer left")
                req.send_header("content-length", "0")
                req.end_headers()
                return
            r = self.recorded.pop(0)
            self.served += 1
        req.send_response(r["status"])
        for k, v in r["headers"].items():
            if k in ("content-type", "location", "memento-datetime", "link", "retry-after"):
                req.send_header(k, v.replace("https://web.archive.org", self.url) if k == "location" else v)
        req.send_header("content-length", str(len(r["body"])))
        req.end_headers()
        req.wfile.write(r["body"])

    @property
    def url(self) -> str:
        return self.site.url("").rstrip("/")

    def stop(self) -> None:
        self.site.stop()
