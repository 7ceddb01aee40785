"""A headless Chromium a test can click in: the DevTools protocol over a pipe.

``--dump-dom`` shows a page after its scripts ran, but cannot press a button or choose a
file. ``--remote-debugging-pipe`` speaks the same protocol as a DevTools socket over file
descriptors 3 and 4 (NUL-terminated JSON), so no client library and no port are needed:
``Page`` opens a file, evaluates JavaScript in it, hands a file to an <input type=file>,
and keeps every uncaught exception and console message the page produced.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


_ON_3_AND_4 = (
    "import fcntl, os, sys\n"
    "high = [fcntl.fcntl(int(fd), fcntl.F_DUPFD, 10) for fd in sys.argv[1:3]]\n"
    "os.dup2(high[0], 3); os.dup2(high[1], 4); os.close(high[0]); os.close(high[1])\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)


class BrowserError(RuntimeError):
    pass


class Page:
    """One page of a headless Chromium; a context manager that stops the browser."""

    def __init__(self, path: Path, profile: Path, deadline: float = 60.0) -> None:
        self.deadline = time.monotonic() + deadline
        self.errors: list[str] = []  # uncaught exceptions and console messages
        theirs_in, self._write = os.pipe()  # what we write, chromium reads on its fd 3
        self._read, theirs_out = os.pipe()  # what chromium writes on its fd 4, we read
        # a small exec wrapper puts the pipes on 3 and 4 (not preexec_fn: the tests' servers
        # run threads; not sh: dash cannot name a descriptor past 9)
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _ON_3_AND_4,
                str(theirs_in),
                str(theirs_out),
                chromium() or "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-pipe",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "about:blank",
            ],  # fmt: skip
            pass_fds=(theirs_in, theirs_out),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(theirs_in)
        os.close(theirs_out)
        self._buffer, self._next_id, self._session = b"", 0, None
        try:
            self._open(path)
        except BaseException:
            self.__exit__()
            raise

    def _open(self, path: Path) -> None:
        target = self._call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self._call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self._call("Page.enable")
        self._call("Runtime.enable")
        self._call("Page.navigate", url=path.as_uri())
        self._wait_for("Page.loadEventFired")

    def __enter__(self) -> Page:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._send("Browser.close", {})
            self._proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self._proc.kill()
            self._proc.wait(timeout=10)
        finally:
            os.close(self._write)
            os.close(self._read)

    def _send(self, method: str, params: dict[str, Any]) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self._session:
            message["sessionId"] = self._session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _messages(self):
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if message.get("method") == "Runtime.exceptionThrown":
                    self.errors.append(
                        message["params"]["exceptionDetails"].get("exception", {}).get("description", "")
                    )
                elif message.get("method") == "Runtime.consoleAPICalled":
                    self.errors.append(" ".join(str(a.get("value")) for a in message["params"]["args"]))
                yield message
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise BrowserError("chromium did not answer in time")
            chunk = os.read(self._read, 1 << 16)
            if not chunk:
                raise BrowserError("chromium closed its pipe")
            self._buffer += chunk

    def _call(self, method: str, **params: Any) -> dict[str, Any]:
        want = self._send(method, params)
        for message in self._messages():
            if message.get("id") == want:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message["result"]
        raise AssertionError("unreachable")

    def _wait_for(self, event: str) -> None:
        for message in self._messages():
            if message.get("method") == event:
                return

    def js(self, expression: str) -> Any:
        """The value of ``expression`` (a promise is awaited) in the page."""
        result = self._call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise BrowserError(result["exceptionDetails"].get("exception", {}).get("description", str(result)))
        return result["result"].get("value")

    def choose_file(self, selector: str, path: Path) -> None:
        """What a person does in the file dialog of ``selector`` (an <input type=file>)."""
        root = self._call("DOM.getDocument")["root"]["nodeId"]
        node = self._call("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        self._call("DOM.setFileInputFiles", files=[str(path)], nodeId=node)
