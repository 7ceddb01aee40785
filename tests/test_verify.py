"""Every verdict branch of title, date and publisher verification (pure functions)."""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.model import Candidate, Citation, PageMeta, PartialDate
from pipeline.publishers import outlet_for_domain, outlet_named
from pipeline.verify import match_date, match_publisher, match_title, normalize_title, verify


def page(title=None, published=None, site=None, language=None, candidates=()):
    return PageMeta(
        title=title,
        published=published,
        site_name=site,
        language=language,
        title_candidates=[Candidate(v, s) for s, v in candidates],
    )


def test_normalize_title_handles_prefixes_quotes_dashes_and_entities():
    assert normalize_title("CORRECTED: H.K.-based banker &amp; “probe” — FT") == normalize_title(
        'Hong Kong-based banker & "probe" - FT'
    )
    assert normalize_title("UPDATE: Intel’s apology") == "intels apology"


@pytest.mark.parametrize(
    "cited,found,verdict",
    [
        (
            "Intel apologises to China over Xinjiang products and labour directive",
            "Intel apologises to China over Xinjiang products and labour directive",
            "match",
        ),
        (
            "Hong Kong-based Nomura banker faces exit ban from China amid probe: FT",
            "CORRECTED: H.K.-based Nomura banker faces exit ban from China amid probe: FT",
            "match",
        ),
        (
            "Norway and China Restore Ties",
            "Norway and China Restore Ties, 6 Years After Nobel Prize Dispute",
            "partial",
        ),
        (
            "China deports US spy Sandy Phan-Gillis",
            "China deports US 'spy' Sandy Phan-Gillis after conviction",
            "partial",
        ),
        ("Intel apologises to China", "Recipe: the best dumplings in town", "mismatch"),
    ],
)
def test_title_verdicts(cited, found, verdict):
    m = match_title(cited, page(found))
    assert m.verdict == verdict, m
    assert m.cited == cited and m.found == found
    assert 0 <= m.score <= 1


def test_title_other_language_is_never_a_mismatch():
    m = match_title("Chang Ping Said His Family Became Hostage", page("长平：我的家人成了人质", language="zh"))
    assert m.verdict == "other-language" and "compare by hand" in m.detail


def test_title_uses_best_candidate():
    p = page("Example News", candidates=[("<title>", "Example News"), ("<h1>", "Norway and China Restore Ties")])
    m = match_title("Norway and China Restore Ties", p)
    assert m.verdict == "match" and m.found == "Norway and China Restore Ties"


@pytest.mark.parametrize("cited,found", [(None, "x"), ("x", None)])
def test_title_unknown(cited, found):
    assert match_title(cited, page(found)).verdict == "unknown"


@pytest.mark.parametrize(
    "cited,found,verdict",
    [
        (PartialDate(2021, 12, 23), dt.date(2021, 12, 23), "match"),
        (PartialDate(2016, 12, 20), dt.date(2016, 12, 19), "match"),  # time zones
        (PartialDate(2023, 10, 11), dt.date(2023, 10, 6), "off-by-days"),  # detail: "5 days apart"
        (PartialDate(2023, 10, 11), dt.date(2022, 10, 11), "mismatch"),
        (PartialDate(2009), dt.date(2009, 6, 8), "match"),
        (PartialDate(2009), dt.date(2010, 1, 1), "mismatch"),
        (PartialDate(2023, 10), dt.date(2023, 10, 31), "match"),
        (PartialDate(2023, 10), dt.date(2023, 11, 1), "mismatch"),
        (None, dt.date(2023, 1, 1), "unknown"),
        (PartialDate(2023, 1, 1), None, "unknown"),
    ],
)
def test_date_verdicts(cited, found, verdict):
    assert match_date(cited, page(published=found)).verdict == verdict


@pytest.mark.parametrize(
    "cited,site,url,verdict",
    [
        ("The Guardian", "the Guardian", "https://www.theguardian.com/x", "match"),
        ("Asia Financial", None, "https://www.asiafinancial.com/x", "match"),
        ("Daily Mail", "Mail Online", "https://www.dailymail.co.uk/news/x", "match"),  # the domain spells it
        ("VOA", "美国之音", "https://www.voachinese.com/a/x.html", "alias"),
        ("Epoch Times", "大紀元", "https://www.epochtimes.com/b5/x.htm", "match"),
        ("The Epoch Times", None, "https://www.theepochtimes.com/x", "alias"),
        ("Taylor & Francis Online", None, "https://www.tandfonline.com/doi/abs/10.1080/x", "alias"),
        ("NYT", None, "https://www.nytimes.com/2016/12/19/x.html", "alias"),
        ("Kyodo News", "KYODO NEWS", "https://english.kyodonews.net/news/x", "match"),
        ("Wall Street Journal", None, "https://www.wsj.com/articles/x", "alias"),
        ("BBC", "BBC News", "https://www.bbc.co.uk/news/x", "match"),
        ("VOA", None, "https://www.voanews.com/a/x.html", "alias"),
        ("Reuters", "Bloomberg", "https://www.bloomberg.com/x", "mismatch"),
        (None, "BBC News", "https://www.bbc.com/x", "unknown"),
    ],
)
def test_publisher_verdicts(cited, site, url, verdict):
    m = match_publisher(cited, page(site=site), url)
    assert m.verdict == verdict, m


def test_publisher_typo_is_flagged_with_suggestion_even_without_a_page():
    m = match_publisher("Beijing Sprint", None)
    assert m.verdict == "likely-typo" and m.suggestion == "Beijing Spring"


@pytest.mark.parametrize("name", ["Cape Times", "QA Times", "Kyiv Independent"])
def test_an_outlet_not_in_the_list_is_not_called_a_typo_of_a_similar_name(name):
    """Cape Times is a paper of its own, not "Taipei Times" misspelt: a typo is a keystroke
    or two, not a shared word."""
    assert match_publisher(name, None).verdict != "likely-typo"


def test_publisher_typo_against_the_page_site():
    m = match_publisher("Asia Finanical", page(site="Asia Financial"), "https://www.asiafinancial.com/x")
    assert m.verdict == "likely-typo" and m.suggestion == "Asia Financial"


def test_alias_table_is_data():
    assert outlet_named("VOA").domains == ("voanews.com", "voachinese.com")
    assert outlet_for_domain("english.kyodonews.net").name == "Kyodo News"
    assert outlet_for_domain("cn.nytimes.com").name == "New York Times"


def test_outlet_table_reads_yaml_1_2_scalars(tmp_path):
    """The table is read through libyaml with YAML 1.2 core scalars: a name like On or
    Yes stays a name (YAML 1.1 would make it a boolean, then "True")."""
    from pipeline.publishers import load_outlets

    table = tmp_path / "publishers.yaml"
    table.write_text("publishers:\n  - name: On\n    aliases: [Yes, 1843]\n    domains: [on.example]\n")
    (outlet,) = load_outlets(str(table))
    assert (outlet.name, outlet.aliases, outlet.domains) == ("On", ("Yes", "1843"), ("on.example",))


@pytest.mark.parametrize("text", ["publishers: [unclosed\n", "- just\n- a list\n", "publishers:\n  - aliases: [x]\n"])
def test_a_broken_outlet_table_is_one_line_naming_the_file(tmp_path, text):
    from click.testing import CliRunner

    from pipeline.cli import main

    table = tmp_path / "mine.yaml"
    table.write_text(text)
    (tmp_path / "citations.yaml").write_text("citations: []\n")
    res = CliRunner().invoke(main, ["resolve", str(tmp_path / "citations.yaml"), "--publishers", str(table)])
    assert res.exit_code == 1, res.output
    assert "mine.yaml: not a publishers table" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize(
    "cited,site,url,why",
    [
        # brand vs legal name: the page calls itself by a shorter or longer form
        ("Die Zeitung", "ZEITUNG ONLINE", "https://www.zeitung.de/a", None),
        ("Evening Courier", "The Courier", "https://www.courier.de/a", "part of the other"),
        # acronyms, either way round, with or without digits after them
        ("Westfälischer Rundfunk", "WFR24", "https://www.wfr24.de/a", "stands for"),
        ("Nordic Broadcasting Corporation", None, "https://www.nbc-news.de/a", "stands for"),
        ("Norddeutsche Zeitung (NDZ)", "NDZ", "https://www.ndz.de/a", None),
        # the domain as the page's name, the footnote naming the domain
        ("Tagesbote", "tagesbote.de", "https://www.tagesbote.de/a", None),
        ("Münchner Blatt", None, "https://www.blatt.de/a", "part of the other"),
        ("Lübecker Nachrichten", None, "https://www.luebecker-nachrichten.de/a", None),
        ("Salon.de", "Salon", "https://www.salon.de/a", None),
        # another script on the page, the domain in Latin letters
        ("Asahi Shimbun", "朝日新聞デジタル", "https://www.asahi.de/a", "part of the other"),
    ],
)
def test_a_name_tied_to_the_page_is_never_an_alarm(cited, site, url, why):
    m = match_publisher(cited, page(site=site), url)
    assert m.verdict in ("match", "alias"), m
    assert why is None or why in (m.detail or ""), m


def test_a_name_nothing_ties_to_the_page_is_unconfirmed_not_a_mismatch():
    m = match_publisher("Zwölf Stunden", page(site="12 Stunden"), "https://www.12std.ch/a")
    assert m.verdict == "unconfirmed" and not m.verdict.is_alarm
    # a known outlet on a domain the table does not list for it: no evidence of another outlet
    m = match_publisher("Reuters", page(site="Wire Desk"), "https://www.wiredesk-news.ch/a")
    assert m.verdict == "unconfirmed" and "reuters.com" in m.detail


def test_a_known_outlet_on_another_outlets_domain_is_a_mismatch():
    m = match_publisher("Reuters", page(site="Home"), "https://www.bloomberg.com/x")
    assert m.verdict == "mismatch" and "Bloomberg" in m.detail


def test_a_known_name_is_not_a_typo_of_another_known_name_when_the_page_says_it():
    """ "Malay Mail" is near "Daily Mail", but the page says Malay Mail."""
    m = match_publisher("Malay Mail", page(site="Malay Mail"), "https://www.malaymail.de/a")
    assert m.verdict == "match"


def test_without_a_page_every_claim_is_unverified_with_the_reason():
    c = Citation(
        id="1",
        publisher="Committee to Protect Journalists",
        title="A title",
        date=PartialDate(2023, 1, 2),
        url="https://cpj.org/x",
    )
    matches = verify(c, None, c.url, "no page was read (unreachable: DNS failure)")
    assert [m.verdict for m in matches] == ["unverified"] * 3
    assert all("DNS failure" in m.detail and m.found is None for m in matches)
    assert not any(m.verdict.is_alarm for m in matches)


def test_every_verdict_says_whether_it_is_an_alarm():
    from pipeline.model import Verdict

    alarms = {v.value for v in Verdict if v.is_alarm}
    assert alarms == {"partial", "other-language", "likely-typo", "off-by-days", "mismatch"}


def test_an_unreachable_page_gives_no_verdict_and_fails_no_job():
    """Offline, `check` once printed "publisher mismatch: cited 'Committee to Protect
    Journalists', page 'cpj.org'" and --fail-on publisher:mismatch failed the job."""
    from pipeline.check import UrlOutcome
    from pipeline.model import LinkCheck, Status
    from pipeline.results import problems, result_for

    c = Citation(id="7", publisher="Committee to Protect Journalists", title="Report", url="https://cpj.org/x")
    check = LinkCheck(url=c.url, status=Status.UNREACHABLE, reason="DNS failure")
    r = result_for(c, UrlOutcome(check, None))
    assert r.publisher_match.verdict == "unverified" and r.publisher_match.found is None
    assert "unreachable: DNS failure" in r.publisher_match.detail
    assert r.title_match.verdict == "unverified"
    assert problems([r], {"publisher:mismatch", "title:mismatch"}) == []


def test_a_footnote_that_leaves_out_the_kicker_before_the_colon_matches():
    m = match_title("Mayor resigns after audit", page("City hall scandal: Mayor resigns after audit"))
    assert m.verdict == "match" and "City hall scandal" in m.detail


def test_a_footnote_quoting_the_browser_tab_title_with_the_site_name_matches():
    p = page("What we do", site="Open Commons Foundation")
    m = match_title("What we do - Open Commons Foundation", p)
    assert m.verdict == "match" and "site's name" in m.detail


def test_a_footnote_citing_the_day_the_page_says_it_was_updated_matches():
    from pipeline.metadata import extract_html

    page = extract_html(
        '<html><head><meta property="article:published_time" content="2020-03-01T09:00:00+01:00">'
        '<meta property="article:modified_time" content="2020-03-05T18:30:00+01:00"></head></html>',
        "https://www.example-times.com/a/1",
    )
    assert (page.published, page.updated) == (dt.date(2020, 3, 1), dt.date(2020, 3, 5))
    _, updated, _ = verify(Citation(id="1", date=PartialDate(2020, 3, 5)), page)
    assert updated.verdict == "match" and updated.found == "2020-03-05" and "updated" in updated.detail
    _, other, _ = verify(Citation(id="1", date=PartialDate(2020, 3, 12)), page)
    assert other.verdict == "off-by-days" and other.found == "2020-03-01"


def test_a_publisher_verdict_is_worked_out_once_per_name_and_site_and_each_citation_gets_its_own():
    from pipeline import verify as verify_mod

    verify_mod._publisher_verdict.cache_clear()
    first = match_publisher("Kyodo News", page(site="KYODO NEWS"), "https://english.kyodonews.net/a")
    first.detail = "edited by a later stage"
    again = match_publisher("Kyodo News", page(site="KYODO NEWS"), "https://english.kyodonews.net/b")
    assert again.verdict == "match" and again.detail is None and again is not first
    assert verify_mod._publisher_verdict.cache_info().hits == 1
    # titles with and without abbreviations, prefixes and possessives normalise as before
    assert normalize_title("UPDATE: Analysis: U.S. and UK’s plan") == "united states and united kingdoms plan"
    assert normalize_title("Plain headline, no abbreviations") == "plain headline no abbreviations"
