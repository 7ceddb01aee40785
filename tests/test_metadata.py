"""Page metadata from saved pages served over loopback, with the expected values beside them."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from pipeline.check import check_urls
from pipeline.citations import to_partial_date
from pipeline.metadata import date_from_url, detect_language, strip_site_name
from pipeline.model import Citation, Status
from pipeline.verify import verify

from .conftest import FIXTURES, check_settings
from .pdfs import make_pdf, make_pdf_bomb
from .servers import send

PAGES = FIXTURES / "pages"
EXPECTED = YAML(typ="safe").load((PAGES / "expected.yaml").read_text(encoding="utf-8"))["pages"]


def serve_and_check(site, path, body, content_type):
    site.routes[path] = lambda req: send(req, 200, body, content_type=content_type)
    url = site.url(path)
    outcome = check_urls([url], check_settings(probe=False))[url]
    return url, outcome


@pytest.mark.parametrize("case", EXPECTED, ids=[c["file"] for c in EXPECTED])
def test_saved_page(site, case):
    body = (PAGES / case["file"]).read_bytes()
    url, outcome = serve_and_check(site, case["path"], body, case["content_type"])
    page = outcome.page
    assert outcome.check.status == Status.LIVE
    assert page.title == case["title"]
    assert page.published == case["published"]
    assert page.site_name == case["site_name"]  # served from an IP address: no domain to fall back on
    assert page.language == case["language"]
    assert page.title_source and (page.published_source or case["published"] is None)
    cited = case["cited"]
    citation = Citation(
        id="x", publisher=cited.get("publisher"), title=cited.get("title"), date=to_partial_date(cited.get("date"))
    )
    title, date, publisher = verify(citation, page, url)
    got = {"title": title.verdict, "date": date.verdict, "publisher": publisher.verdict}
    for key, verdict in case["verdicts"].items():
        assert got[key] == verdict, (key, got, title, date, publisher)


def test_all_title_candidates_are_kept_with_sources(site):
    body = (PAGES / "guardian-intel.html").read_bytes()
    _, outcome = serve_and_check(site, "/g", body, "text/html")
    sources = [c.source for c in outcome.page.title_candidates]
    assert sources == ["og:title", "twitter:title", "JSON-LD headline", "<title>", "<h1>"]
    assert "agrees with" in outcome.page.title_source
    # the <title> lost its " | Intel | The Guardian" tail
    assert (
        outcome.page.title_candidates[3].value
        == "Intel apologises to China over Xinjiang products and labour directive"
    )


def test_entities_decoded_exactly_once(site):
    body = (PAGES / "markup-title.html").read_bytes()
    _, outcome = serve_and_check(site, "/m", body, "text/html")
    cands = {c.source: c.value for c in outcome.page.title_candidates}
    assert cands["<title>"] == "Chinalco &amp; Rio Tinto"  # the page itself double-escaped
    assert cands["JSON-LD headline"] == "Chinalco & Rio Tinto: the deal that wasn't"  # markup stripped
    assert cands["<h1>"] == "Chinalco & Rio Tinto: the deal that wasn't"


GBK_PAGE = (
    "<html><head><meta charset=gb2312><title>美国之音：中国警方胁迫留学生充当线人</title></head>"
    "<body><h1>中国警方不仅监控中国留学生言论，还胁迫他们充当线人</h1><p>"
    + "留学生说警方找到了他们的父母。" * 20
    + "</p></body></html>"
)


def test_gbk_page_with_only_meta_charset(site):
    _, outcome = serve_and_check(site, "/voa", GBK_PAGE.encode("gbk"), "text/html")
    page = outcome.page
    assert page.title == "美国之音：中国警方胁迫留学生充当线人"
    assert page.language == "zh" and page.encoding == "gb18030"


def test_big5_page_whose_header_charset_lies(site):
    html = (
        '<html><head><meta charset="big5"><title>大紀元：長春圍城餓死數十萬人</title></head>'
        "<body><p>" + "一九四八年，共軍圍困長春，城內平民大量餓死。" * 30 + "</p></body></html>"
    )
    _, outcome = serve_and_check(site, "/et", html.encode("big5"), "text/html; charset=ISO-8859-1")
    assert outcome.page.title == "大紀元：長春圍城餓死數十萬人"


def test_gbk_page_without_any_declaration_is_detected(site):
    html = GBK_PAGE.replace("<meta charset=gb2312>", "")
    _, outcome = serve_and_check(site, "/nodecl", html.encode("gbk"), "text/html")
    assert outcome.page.title == "美国之音：中国警方胁迫留学生充当线人"


def test_chinese_page_for_an_english_footnote_is_other_language(site):
    url, outcome = serve_and_check(site, "/voa", GBK_PAGE.encode("gbk"), "text/html")
    citation = Citation(
        id="14",
        publisher="VOA",
        title="Chinese Police Not Only Monitors the Speech of Chinese Students, but Also Coerces Them to Become Undercover Agents",
    )
    title, _, _ = verify(citation, outcome.page, url)
    assert title.verdict == "other-language"
    assert title.cited == citation.title and title.found == "美国之音：中国警方胁迫留学生充当线人"


@pytest.mark.parametrize(
    "body,title",
    [
        (
            b"<!DOCTYPE html><html><head><title>Served as octets</title></head><body>text</body></html>",
            "Served as octets",
        ),
        (b"\n  <!-- cms -->\n<html lang=en><head><title>After a comment</title></head></html>", "After a comment"),
        (b"\x89PNG\r\n\x1a\n" + b"<html><title>not a page</title></html>", None),
        (b"plain bytes that mention <html> later", None),
    ],
    ids=["doctype", "comment-first", "png", "not-html"],
)
def test_html_sent_as_octet_stream_is_read_as_html(site, body, title):
    # misconfigured servers send pages as application/octet-stream; browsers sniff them
    _, outcome = serve_and_check(site, "/page", body, "application/octet-stream")
    assert (outcome.page.title if outcome.page else None) == title
    assert outcome.check.status == Status.LIVE


def test_pdf_metadata(site):
    body = make_pdf(
        ["Hostage Diplomacy: Britain, China, and the Politics", "of Negotiation, 1967-1969"],
        {
            "Title": "Hostage Diplomacy: Britain, China, and the Politics of Negotiation, 1967–1969".replace("–", "-"),
            "Author": "Chi-kwan Mark",
            "CreationDate": "D:20091103120000Z",
        },
    )
    _, outcome = serve_and_check(site, "/paper.pdf", body, "application/pdf")
    page = outcome.page
    assert page.title == "Hostage Diplomacy: Britain, China, and the Politics of Negotiation, 1967-1969"
    assert page.title_source.startswith("PDF metadata")
    assert page.author == "Chi-kwan Mark" and page.published == dt.date(2009, 11, 3)


def test_pdf_without_metadata_uses_first_lines(site):
    body = make_pdf(["Annual Report on Hostage Cases", "2021 edition"])
    _, outcome = serve_and_check(site, "/r.pdf", body, "application/octet-stream")
    assert outcome.page.title == "Annual Report on Hostage Cases 2021 edition"
    assert outcome.page.title_source == "PDF first page"


def test_pdf_whose_page_inflates_to_100_mb_is_read_in_bounded_memory():
    # ~100 KB on the wire, 100 MB once inflated: the title still comes from the Info
    # dictionary, and pypdf stops inflating the page before it fills memory
    import tracemalloc

    from pipeline.metadata import extract
    from pipeline.model import Fetch

    body = make_pdf_bomb("Annual Report 2021")
    fetch = Fetch(
        url="https://example.org/r.pdf", http_status=200, headers={"content-type": "application/pdf"}, body=body
    )
    tracemalloc.start()
    try:
        page = extract(fetch)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(body) < 200_000
    assert page.title == "Annual Report 2021" and page.title_source == "PDF metadata"
    assert peak < 30_000_000, f"{peak / 1e6:.0f} MB held at once"


@pytest.mark.parametrize(
    "title,sites,expected",
    [
        (
            "Intel apologises to China over Xinjiang | Intel | The Guardian",
            ["The Guardian"],
            "Intel apologises to China over Xinjiang",
        ),
        ("JPMorgan boss regrets - BBC News", ["BBC News"], "JPMorgan boss regrets"),
        ("Reuters | Markets fall on China fears", ["Reuters"], "Markets fall on China fears"),
        ("Brexit: what next? - Explainer", [], "Brexit: what next? - Explainer"),
        ("A long headline that goes on and on | Short Site", [], "A long headline that goes on and on"),
        # the site in the middle, a date after it
        ("Talks: aims, chances, risks | DW | 28.04.2023", ["DW.COM", "dw.com", "dw"], "Talks: aims, chances, risks"),
        # the site in the middle, a byline after it, "*" as the bar
        ("Storm hits the coast * The Daily Pundit * by Jane Doe", ["The Daily Pundit"], "Storm hits the coast"),
        # separators written without spaces: full-width colon, the Korean letter used as a bar
        ("港で嵐、数千世帯が停電：東京日報デジタル", ["東京日報デジタル"], "港で嵐、数千世帯が停電"),
        ("해안에 폭풍, 수천 가구 정전ㅣ서울일보", ["서울일보"], "해안에 폭풍, 수천 가구 정전"),
        # the site by a longer name than its domain's
        ("Quiet week in the valley – Die Neue Talbote Zeitung", ["talbote.it", "talbote"], "Quiet week in the valley"),
        # a real subtitle after a dash is not a site name
        ("Storm hits coast – thousands without power", ["Example Times"], "Storm hits coast – thousands without power"),
    ],
)
def test_strip_site_name(title, sites, expected):
    assert strip_site_name(title, sites) == expected


@pytest.mark.parametrize(
    "url,expected",
    [
        ("https://www.theguardian.com/technology/2021/dec/23/intel", dt.date(2021, 12, 23)),
        ("https://www.nytimes.com/2016/12/19/world/x.html", dt.date(2016, 12, 19)),
        ("https://x.com/news/2020-03-09-markets", dt.date(2020, 3, 9)),
        ("https://x.com/archives/33475", None),
    ],
)
def test_date_from_url(url, expected):
    assert date_from_url(url) == expected


@pytest.mark.parametrize(
    "text,lang",
    [
        ("美国之音：中国警方", "zh"),
        ("The police and the students", "en"),
        ("La página de los estudiantes", "es"),
        ("Seite nicht gefunden und die Polizei", "de"),
        ("", None),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang


def test_a_title_too_long_to_be_one_is_cut():
    # every title candidate goes into the history file of every check and into the reports
    from pipeline.metadata import MAX_FIELD, extract_html

    words = " ".join(f"word{i}" for i in range(20000))
    page = extract_html(
        f'<html><head><title>\n\n{words}</title><meta property="og:title" content="{"B" * 50000}"></head></html>',
        "https://example.org/a",
    )
    assert [len(c.value) <= MAX_FIELD for c in page.title_candidates] == [True, True]
    assert page.title_candidates[1].value.startswith("word0 word1") and page.title_candidates[1].value.endswith("…")
    assert not page.title_candidates[1].value[:-1].endswith(" ")  # cut at a word, not inside one
    assert extract_html("<title>Short and real</title>", "https://example.org/b").title == "Short and real"


def _page(head: str, body: str = "", url: str = "https://www.example-times.com/a/1"):
    from pipeline.metadata import extract_html

    return extract_html(f"<html><head>{head}</head><body>{body}</body></html>", url)


@pytest.mark.parametrize(
    "og_title, h1",
    [
        ("Storm hits coast", "Storm hits coast – thousands without power"),
        # the CMS wrote content="… and "royal visit"": the attribute ends at the inner quote
        ('Marathon 2024: A clear winner and "royal visit"', 'Marathon 2024: A clear winner and "royal visit"'),
    ],
)
def test_a_social_title_cut_short_loses_to_the_visible_headline_it_starts(og_title, h1):
    page = _page(f'<meta property="og:title" content="{og_title}">', f"<h1>{h1}</h1>")
    assert page.title == h1


def test_a_tab_title_with_extra_bits_loses_to_the_single_h1_it_contains():
    page = _page(
        "<title>Storm hits coast tonight · live updates · Example Times</title>", "<h1>Storm hits coast tonight</h1>"
    )
    assert page.title == "Storm hits coast tonight"


def test_a_footnote_quoting_the_visible_headline_matches_when_the_social_title_differs():
    from pipeline.model import Citation
    from pipeline.verify import verify

    page = _page(
        '<meta property="og:title" content="You will not believe what the storm did">',
        "<h1>Storm hits coast, thousands without power</h1>",
    )
    title, _, _ = verify(Citation(id="1", title="Storm hits coast, thousands without power"), page)
    assert title.verdict == "match", title


def test_a_utc_stamp_gives_the_day_in_the_pages_own_offset():
    page = _page(
        '<meta property="article:published_time" content="2020-12-05T23:15:00Z">'
        '<meta property="article:modified_time" content="2020-12-06T09:00:00+01:00">'
    )
    assert page.published == dt.date(2020, 12, 6)


def test_og_article_published_time_is_read_and_beats_sailthru_date():
    page = _page(
        '<meta name="sailthru.date" content="2021-03-09 10:00:00">'
        '<meta property="og:article:published_time" content="2021-03-08T10:00:00+00:00">'
    )
    assert page.published == dt.date(2021, 3, 8)


def test_the_article_json_ld_date_beats_a_generic_date_meta():
    page = _page(
        '<meta name="date" content="2024-04-26">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2024-04-25T19:30:04+02:00"}'
        "</script>"
    )
    assert page.published == dt.date(2024, 4, 25)


def test_a_live_blog_that_moved_its_published_time_to_the_last_update_keeps_its_first_day():
    page = _page(
        '<meta property="article:published_time" content="2024-08-05T19:49:50Z">'
        '<script type="application/ld+json">{"@type": "LiveBlogPosting", "datePublished": "2024-08-04T13:23:00Z"}'
        "</script>"
    )
    assert page.published == dt.date(2024, 8, 4)


def test_a_time_in_a_sidebar_teaser_is_not_the_articles_date():
    page = _page(
        "",
        '<div class="sidebar"><a href="/b"><time datetime="2019-01-02">2 Jan</time> Older story</a></div>'
        '<article><h1>Storm</h1><time datetime="2020-05-06T08:00">6 May</time></article>',
        url="https://www.example-times.com/storm",
    )
    assert page.published == dt.date(2020, 5, 6)


def test_a_copyright_year_is_not_a_publication_day():
    page = _page("<title>About us</title>", "<p>Some text.</p><footer>© 1998 Example Times</footer>")
    assert page.published is None


def test_a_stale_single_byte_charset_on_utf8_bytes_reads_as_utf8():
    from pipeline.decode import decode_body

    body = '<html><head><meta charset="iso-8859-1"><title>Müller über Straßen</title></head></html>'.encode()
    text, enc = decode_body(body, "text/html")
    assert "Müller über Straßen" in text and enc == "utf-8"
    latin = '<html><head><meta charset="iso-8859-1"><title>Müller</title></head></html>'.encode("latin-1")
    assert "Müller" in decode_body(latin, "text/html")[0]


def test_a_social_title_with_a_section_after_the_visible_headline_loses_to_it():
    page = _page(
        '<meta property="og:title" content="Storm hits coast, thousands without power - National">',
        "<h1>Storm hits coast, thousands without power</h1>",
    )
    assert page.title == "Storm hits coast, thousands without power"


def test_a_utc_stamp_gives_the_day_in_the_zone_the_page_names_after_its_times():
    page = _page(
        '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2020-02-18T02:18:11Z"}</script>',
        "<p class=byline>Posted Feb 17, 2020 at 6:18pm PST</p>",
    )
    assert page.published == dt.date(2020, 2, 17)


def test_a_utc_stamp_on_a_single_zone_country_domain_gives_that_countrys_day():
    head = '<meta property="article:published_time" content="2020-12-05T23:15:00Z">'
    assert _page(head, url="https://www.gazzetta-esempio.it/news/1").published == dt.date(2020, 12, 6)
    assert _page(head, url="https://www.example-times.com/news/1").published == dt.date(2020, 12, 5)


def test_a_social_title_with_a_section_glued_on_loses_to_the_declared_headline_without_it():
    page = _page(
        '<meta property="og:title" content="Council votes to close the old bridge for repairs-Politics">'
        '<script type="application/ld+json">{"@type": "NewsArticle",'
        ' "headline": "Council votes to close the old bridge for repairs"}</script>'
    )
    assert page.title == "Council votes to close the old bridge for repairs"


def test_a_syndicated_copy_takes_the_day_from_the_original_address_it_names():
    page = _page(
        '<link rel="canonical" href="https://www.original-news.example/world/storm-hits-coast-20200113">',
        url="https://www.copy-network.example/news/263700449/storm-hits-coast",
    )
    assert (page.published, page.published_source) == (dt.date(2020, 1, 13), "canonical URL path")


def test_a_day_written_as_the_last_segment_of_the_title_beats_a_caption_under_the_headline():
    page = _page(
        "<title>Counter-offensive: aims, chances, risks | Europe | Example Welle | 28.04.2023</title>",
        "<h1>Counter-offensive: aims, chances, risks</h1><p>Ukrainian armour near Bakhmut, 24 April 2023</p>",
    )
    assert page.published == dt.date(2023, 4, 28)


@pytest.mark.parametrize(
    "byline, day",
    [
        ("<p>Jane Doe</p><p>21 Jan 2020</p>", dt.date(2020, 1, 21)),
        ('<ul class="meta"><li><a href="/time/2020-10-13">13 Oct 2020 18:29</a></li></ul>', dt.date(2020, 10, 13)),
        ("<p>By Jane Doe, October 13, 2020</p>", dt.date(2020, 10, 13)),
        ("<p>Von Erika Muster · 24. April 2023</p>", dt.date(2023, 4, 24)),
    ],
)
def test_a_day_in_the_byline_under_the_headline_is_the_pages_day(byline, day):
    page = _page("", f"<h1>Storm hits coast, thousands without power</h1>{byline}<p>Text.</p>")
    assert (page.published, page.published_source) == (day, "byline under the headline")


def test_a_day_far_below_the_headline_is_not_its_byline():
    caption = "<p>" + "Long article text without any day in it. " * 10 + "Photo taken 3 March 2019</p>"
    page = _page("", f"<h1>Storm hits coast, thousands without power</h1>{caption}")
    assert page.published_source != "byline under the headline"


def test_a_utc_stamp_gives_the_day_in_the_offset_the_pages_scripts_write_times_in():
    page = _page(
        '<meta property="article:published_time" content="2020-05-02T02:54:29.000Z">'
        '<script>var video = {"date": "Fri, 01 May 2020 23:00:00 -0400"};</script>'
    )
    assert page.published == dt.date(2020, 5, 1)


_RUSSIAN_PAGE = (
    '<html lang="ru"><head><title>Статья о погоде</title></head>'
    '<body><div class="date">3 марта 2020</div><p>Текст статьи.</p></body></html>'
)


def test_a_day_only_dateparser_can_read_is_read_in_the_pages_language():
    from pipeline.metadata import extract_html

    page = extract_html(_RUSSIAN_PAGE, "https://www.primer-gazeta.example/news/statya")
    assert (page.published, page.published_source) == (dt.date(2020, 3, 3), "htmldate")


def test_the_first_page_that_needs_dateparser_costs_well_under_a_second_of_cpu():
    # a date-like line no locale reads made dateparser try all ~200 of its locales on the
    # first such page of a process: 1.4-2.3 s of CPU (4-10 s on a busy machine); with the
    # page's language and English, ~0.1 s
    page = (
        '<html lang="pt"><head><title>Uma notícia</title></head><body>'
        '<div class="date">Alta Floresta - MT, 22 de novembro de 2020. 18:20</div><p>Texto.</p></body></html>'
    )
    code = (
        "import time; import htmldate, dateparser; from pipeline.metadata import extract_html\n"
        "start = time.process_time()\n"
        f"extract_html({page!r}, 'https://www.exemplo-noticias.example/n/1')\n"
        "print(time.process_time() - start)"
    )
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, cwd=root)
    assert float(out.stdout) < 0.8, f"{float(out.stdout):.2f} s of CPU for the first page that needs dateparser"


def test_an_xhtml_page_read_in_the_encoding_its_xml_declaration_names(monkeypatch):
    """No charset in the header, none in a <meta>: the XML declaration names it, and a named
    encoding is used as named, never guessed (statistical detection is slow and, on short
    pages, sometimes wrong). Latin-9: byte A4 is the euro sign."""
    from pipeline import decode

    def no_guessing(*args, **kwargs):
        raise AssertionError("the encoding was guessed although the page names it")

    monkeypatch.setattr(decode, "from_bytes", no_guessing)
    body = (
        '<?xml version="1.0" encoding="ISO-8859-15"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        "<head><title>Prix : 5 € par mois, déjà</title></head></html>"
    ).encode("iso-8859-15")
    text, enc = decode.decode_body(body, "application/xhtml+xml")
    assert "5 € par mois, déjà" in text and enc == "iso8859-15"
    http_equiv = b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'
    text, _ = decode.decode_body(http_equiv + "<title>Новости</title>".encode("koi8-r"), None)
    assert text.endswith("<title>Новости</title>")
