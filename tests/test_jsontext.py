"""jsontext.dumps writes json.dumps(..., ensure_ascii=False, indent=2)'s text exactly
(the JSON report's bytes must not depend on which encoder wrote them)."""

from __future__ import annotations

import json
import random
from enum import IntEnum, StrEnum

import pytest

from pipeline import jsontext


class Colour(StrEnum):
    RED = "red"


class Level(IntEnum):
    HIGH = 3


def reference(value):
    return json.dumps(value, ensure_ascii=False, indent=2)


AWKWARD = [
    "plain",
    "",
    'quote " backslash \\ slash /',
    "tab\tnewline\ncr\rbell\x07nul\x00del\x7f",
    "\x00",
    '"\\u0000"',
    "unicode é 漢字 🙂 \u2028\u2029",
    "lone surrogate \ud800",
    None,
    True,
    False,
    0,
    -7,
    10**30,
    1.0,
    0.1,
    1e-05,
    1e16,
    -2.5e-300,
    float("nan"),
    float("inf"),
    float("-inf"),
    Colour.RED,
    Level.HIGH,
    [],
    {},
    (),
    (1, "a", [2, {}]),
]


@pytest.mark.parametrize("value", AWKWARD, ids=repr)
def test_each_value_alone_and_nested_at_every_depth(value):
    for wrapped in (value, [value], {"k": value}, {"a": [{"b": value, "c": [value, value]}], "d": {}}):
        assert jsontext.dumps(wrapped) == reference(wrapped)


def test_keys_json_converts_or_refuses_are_json_s():
    for value in ({1: "a", "b": 2}, {None: 1}, {1.5: [1, 2]}, {True: {"x": 1}}, {"x": {2: 3}}):
        assert jsontext.dumps(value) == reference(value)
    for bad in ({(1, 2): 1}, {"x": object()}, [1, {2, 3}]):
        with pytest.raises(TypeError):
            reference(bad)
        with pytest.raises(TypeError):
            jsontext.dumps(bad)


def test_random_trees_match():
    rng = random.Random(22)
    leaves = [v for v in AWKWARD if not isinstance(v, float) or v == v]  # NaN != NaN in comparisons only

    def tree(depth):
        roll = rng.random()
        if depth > 4 or roll < 0.4:
            return rng.choice(leaves)
        if roll < 0.7:
            return [tree(depth + 1) for _ in range(rng.randrange(4))]
        return {
            rng.choice(["id", "url", "é", "x y", "page", "\x00"]) + str(i): tree(depth + 1)
            for i in range(rng.randrange(5))
        }

    for _ in range(500):
        value = tree(0)
        assert jsontext.dumps(value) == reference(value)


def test_a_report_s_pieces_are_json_dumps_text():
    """The report's results, as pieces() writes them, are the text json.dumps gives."""
    import datetime as dt

    from pipeline.model import Candidate, Citation, LinkCheck, Match, PageMeta, Result, Status, Verdict
    from pipeline.report import json as json_report
    from pipeline.report import model as report_model

    results = []
    for i in range(30):
        check = LinkCheck(
            url=f"https://example.com/{i}",
            status=Status.LIVE if i % 3 else Status.DEAD,
            reason="HTTP 200" if i % 3 else 'HTTP 404 "Not Found"\tgone',
            http_status=200 if i % 3 else 404,
            final_url=f"https://example.com/{i}",
            chain=[{"url": f"https://example.com/r{i}", "status": 301, "location": f"https://example.com/{i}"}]
            if i % 5 == 0
            else [],
            checked_at=dt.datetime(2026, 12, 1, 10, 0, i, tzinfo=dt.UTC),
        )
        page = (
            PageMeta(title=f"Story {i} — «é»", title_candidates=[Candidate(f"Story {i}", "og:title")])
            if i % 3
            else None
        )
        c = Citation(id=str(i), title=f"Story {i}", url=check.url, publisher="Example News" if i % 2 else None)
        match = Match(verdict=Verdict.MATCH, cited=c.title, found=page.title if page else None, score=0.875)
        results.append(Result(citation=c, check=check, page=page, title_match=match))
    report = report_model.build("citations", results, exit_status=0, problems=[])
    text = "".join(json_report.pieces(report))
    data = json.loads(text)
    head = {k: v for k, v in data.items() if k not in ("results", "findings")}
    expected = json.dumps(head, ensure_ascii=False, indent=2)[:-2] + ',\n  "results": ['
    expected += ",".join("\n    " + reference(r).replace("\n", "\n    ") for r in data["results"])
    expected += '\n  ],\n  "findings": []\n}\n'
    assert text == expected
