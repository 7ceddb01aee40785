"""A project's own rules about its URLs, from citewatch.toml or flags.

``exclude``: URLs matching any of these patterns (Python regular expressions, searched
anywhere in the URL) are not requested; they are ``skipped`` with "excluded by rule …".
``include``: exceptions to ``exclude``: a URL matching one of these is checked even when
an exclude pattern matches it (lychee's meaning of the two words).
``accept``: HTTP statuses a host is known to answer citewatch with although the page is
fine (a site that answers 403 to every bot). Such an answer from that host, or any of its
subdomains, counts as ``live``, with a reason naming the rule; its page is not the
source's (a refusal page), so it is not read and the title/date verdicts are
``unverified``. The history keeps what the site really answered, so dropping the rule
brings back the real status.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import InputError
from .model import LinkCheck, Status


@dataclass(frozen=True)
class UrlPattern:
    """One exclude or include pattern and where it was written (``citewatch.toml:4``, ``--exclude``)."""

    pattern: re.Pattern[str]
    origin: str

    @classmethod
    def parse(cls, text: str, origin: str) -> UrlPattern:
        try:
            return cls(re.compile(text), origin)
        except re.error as e:
            raise InputError(f"{origin}: {text!r} is not a regular expression ({e})") from None

    def matches(self, url: str) -> bool:
        return self.pattern.search(url) is not None


@dataclass(frozen=True)
class AcceptRule:
    """HTTP statuses that count as live for one host and its subdomains."""

    host: str
    statuses: frozenset[int]
    origin: str

    @classmethod
    def parse(cls, spec: str, origin: str) -> AcceptRule:
        """``HOST=403,429`` (the flag's form; the config file's ``[accept]`` table is turned into it)."""
        host, sep, codes = spec.partition("=")
        try:
            statuses = frozenset(int(c) for c in codes.split(",") if c.strip())
        except ValueError:
            statuses = frozenset()
        if not sep or not host.strip() or not statuses or any(not 100 <= s <= 599 for s in statuses):
            raise InputError(f"{origin}: {spec!r} is not HOST=STATUS[,STATUS] (e.g. example.com=403,429)")
        return cls(host.strip().lower().strip("."), statuses, origin)

    def covers(self, host: str) -> bool:
        return host == self.host or host.endswith("." + self.host)


@dataclass(frozen=True)
class UrlRules:
    exclude: tuple[UrlPattern, ...] = ()
    include: tuple[UrlPattern, ...] = ()
    accept: tuple[AcceptRule, ...] = ()

    def excluded_by(self, url: str) -> UrlPattern | None:
        """The exclude pattern that keeps ``url`` from being checked, if any."""
        for rule in self.exclude:
            if rule.matches(url):
                return None if any(i.matches(url) for i in self.include) else rule
        return None

    def accepting(self, check: LinkCheck) -> AcceptRule | None:
        """The accept rule that makes this answer count as live, if any."""
        if check.http_status is None or check.status in (Status.LIVE, Status.REDIRECTED, Status.SKIPPED):
            return None
        host = (urlsplit(check.url).hostname or "").lower()
        for rule in self.accept:
            if check.http_status in rule.statuses and rule.covers(host):
                return rule
        return None


def excluded_check(url: str, rule: UrlPattern, now) -> LinkCheck:
    return LinkCheck(
        url=url,
        status=Status.SKIPPED,
        reason=f"excluded by rule {rule.pattern.pattern!r} ({rule.origin})",
        checked_at=now,
    )


def accepted_check(check: LinkCheck, rule: AcceptRule) -> LinkCheck:
    """The check as the accept rule has it: live, never failing, saying why."""
    return dataclasses.replace(
        check,
        status=Status.LIVE,
        reason=f"HTTP {check.http_status} accepted for {rule.host} ({rule.origin}); the site answered: {check.reason}",
        confirmed=False,
        failing_since=None,
        failing_checks=0,
        paywalled=False,
    )
