"""`citewatch resolve`: candidates from the publisher's domains in the CDX index and from
Crossref, each fetched and scored; written under `candidates:`, accepted by hand."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from pipeline import citations as cit
from pipeline.cli import main
from pipeline.model import Citation, PartialDate
from pipeline.resolve import domains_for, slug_score, title_words

from .servers import Site, html, send
from .wayback_standin import WaybackStandin

CITATIONS = """# kept through resolve
citations:
  - id: "24"
    publisher: Example News   # our test outlet, see publishers.yaml
    title: Intel apologises to China over Xinjiang products and labour directive
    date: 2021-12-23
  - id: "7"
    publisher: Examp1e Newz
    title: Fang Zhimin Killed the Hostages After Didn’t Get Huge Ransom Payment
    date: 2011-04-04
  - id: "10"
    publisher: Taylor & Francis Online
    title: "Hostage Diplomacy: Britain, China, and the Politics of Negotiation, 1967–1969"
    date: 2009-11-03
  - id: "11"
    publisher: Weiming Observation website
    title: Ta Kung Pao Denounced the Communist Army
"""


@pytest.fixture
def world(tmp_path, monkeypatch):
    news = Site("127.0.0.2")
    journal = Site("127.0.0.3")
    crossref = Site("127.0.0.4")
    wayback = WaybackStandin()
    monkeypatch.chdir(tmp_path)
    # the article itself, live, with its headline in the slug
    intel = "/technology/2021/dec/23/intel-apologises-to-china-over-xinjiang-products-and-labour-directive"
    news.routes[intel] = html(
        "Intel apologises to China over Xinjiang products and labour directive",
        head='<meta property="article:published_time" content="2021-12-23T11:39:34Z">',
    )
    # a look-alike from another year: same words, outside the date window
    wayback.add_capture(news.url("/technology/2019/mar/02/intel-apologises-to-china-again"), "20190302000000")
    wayback.add_capture(news.url(intel), "20211223120000")
    wayback.add_capture(news.url("/sport/2021/dec/22/football-results"), "20211222000000")
    # a gone article, found only through its snapshot
    fang = "/2011/04/04/fang-zhimin-killed-the-hostages-after-didnt-get-huge-ransom-payment.html"
    news.routes[fang] = html("gone", status=404)
    wayback.add_capture(
        news.url(fang),
        "20110410000000",
        body="<html><head><title>Fang Zhimin Killed the Hostages After Didn’t Get Huge Ransom Payment</title></head><body>"
        + "text " * 200
        + "</body></html>",
    )
    # the paper, found through Crossref; its DOI resolves on the "journal" host
    journal.routes["/10.1080/09592290903293738"] = html(
        "Hostage Diplomacy: Britain, China, and the Politics of Negotiation, 1967–1969",
        head='<meta name="citation_publication_date" content="2009/11/03">',
    )

    def works(req):
        q = parse_qs(urlsplit(req.path).query)
        crossref.queries = getattr(crossref, "queries", []) + [q]
        items = []
        if "hostage" in q["query.bibliographic"][0].lower():
            items = [
                {
                    "DOI": "10.1080/09592290903293738",
                    "title": ["Hostage Diplomacy: Britain, China, and the Politics of Negotiation, 1967–1969"],
                    "issued": {"date-parts": [[2009, 11, 3]]},
                },
                {"DOI": "10.9999/unrelated", "title": ["Cooking with rice"], "issued": {"date-parts": [[2001]]}},
            ]
        send(req, 200, json.dumps({"status": "ok", "message": {"items": items}}), content_type="application/json")

    crossref.routes["/works"] = works
    Path("publishers.yaml").write_text(
        "publishers:\n  - name: Example News\n    aliases: [ExNews]\n    domains: [127.0.0.2]\n", encoding="utf-8"
    )
    Path("citations.yaml").write_text(CITATIONS, encoding="utf-8")
    yield news, journal, crossref, wayback
    for s in (news, journal, crossref):
        s.stop()
    wayback.stop()


def resolve_args(wayback, journal, crossref, *extra):
    return [
        "resolve",
        "--allow-private",
        "--timeout",
        "3",
        "--publishers",
        "publishers.yaml",
        "--wayback-endpoint",
        wayback.endpoint,
        "--cdx-per-minute",
        "6000",
        "--crossref-endpoint",
        crossref.url("").rstrip("/"),
        "--doi-base",
        journal.url("").rstrip("/"),
        "--mailto",
        "factcheck@example.org",
        *extra,
    ]


def test_resolve_finds_and_scores_candidates(world):
    news, journal, crossref, wayback = world
    res = CliRunner().invoke(main, resolve_args(wayback, journal, crossref), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    cf = cit.load("citations.yaml")
    by = {c.id: c for c in cf.citations}
    # never written into url
    assert all(c.url is None for c in cf.citations)
    # slug match inside the date window, verified on the live page
    best = by["24"].candidates[0]
    assert best["url"].endswith("intel-apologises-to-china-over-xinjiang-products-and-labour-directive")
    assert best["source"] == "wayback-cdx" and best["confidence"] >= 0.9
    assert best["evidence"]["title"] == "match" and best["evidence"]["date"] == "match"
    assert not any("2019" in c["url"] for c in by["24"].candidates)  # outside the window
    assert not any("football" in c["url"] for c in by["24"].candidates)  # not the title's words
    # misspelled publisher, dead page: found via the fuzzy alias and scored on its snapshot
    fang = by["7"].candidates[0]
    assert "fang-zhimin" in fang["url"] and fang["evidence"]["status"] == "dead"
    assert fang["evidence"]["verified_against"].startswith(wayback.endpoint) and fang["confidence"] >= 0.8
    assert "read as 'Example News'" in res.output
    # scholarly: Crossref with a mailto, DOI resolved and verified
    paper = by["10"].candidates
    assert paper[0]["url"] == journal.url("/10.1080/09592290903293738") and paper[0]["source"] == "crossref"
    assert paper[0]["evidence"]["doi"] == "10.1080/09592290903293738"
    assert all("unrelated" not in c["url"] for c in paper)
    assert crossref.queries[0]["mailto"] == ["factcheck@example.org"]
    # no domain, no scholarly look: stays unresolved
    assert by["11"].candidates == []
    text = Path("citations.yaml").read_text(encoding="utf-8")
    assert "# kept through resolve" in text and "# our test outlet, see publishers.yaml" in text


def test_accept_promotes_a_candidate(world):
    news, journal, crossref, wayback = world
    CliRunner().invoke(main, resolve_args(wayback, journal, crossref), catch_exceptions=False)
    res = CliRunner().invoke(main, ["resolve", "--accept", "24", "--accept", "10:1"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    cf = cit.load("citations.yaml")
    by = {c.id: c for c in cf.citations}
    assert by["24"].url.endswith("labour-directive") and by["24"].candidates == []
    assert by["10"].url == journal.url("/10.1080/09592290903293738")
    assert "accepted from candidates" in Path("citations.yaml").read_text(encoding="utf-8")
    bad = CliRunner().invoke(main, ["resolve", "--accept", "11"], catch_exceptions=False)
    assert bad.exit_code == 1 and "no candidates" in bad.stderr


def test_report_lists_unresolved_citations_and_candidates(world):
    news, journal, crossref, wayback = world
    CliRunner().invoke(main, resolve_args(wayback, journal, crossref), catch_exceptions=False)
    res = CliRunner().invoke(main, ["run", "--no-wayback", "--allow-private", "--timeout", "3"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    md = Path("reports/citations.md").read_text(encoding="utf-8")
    assert "## Unresolved citations" in md
    assert "{11} Weiming Observation website · Ta Kung Pao Denounced the Communist Army — no candidate" in md
    assert "labour-directive" in md.split("## Unresolved citations")[1]
    page = Path("reports/citations.html").read_text(encoding="utf-8")
    assert "<dt>Candidates</dt>" in page and "citewatch resolve --accept 24[:N]" in page


def test_title_words_and_slug_score():
    assert title_words("Intel apologises to China over Xinjiang products and labour directive")[:2] == [
        "apologises",
        "directive",
    ]
    assert (
        slug_score(
            "https://x.com/2021/dec/23/intel-apologises-to-china-over-xinjiang",
            "Intel apologises to China over Xinjiang",
        )
        == 1.0
    )
    assert slug_score("https://x.com/archives/33475", "Intel apologises to China") < 0.5


def test_publisher_domains_from_the_alias_table():
    assert domains_for(Citation(id="1", publisher="VOA"))[0] == ["voanews.com", "voachinese.com"]
    domains, note = domains_for(Citation(id="7", publisher="Beijing Sprint", date=PartialDate(2011)))
    assert domains == ["beijingspring.com", "bjzc.org"] and "Beijing Spring" in note
    assert domains_for(Citation(id="2", publisher="Some Blog Nobody Knows")) == ([], None)
