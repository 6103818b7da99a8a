"""The company dictionary and ticker extraction: the tables below are the specification."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchsvc.entities import (
    CompanyDictionary,
    TickerMention,
    default_companies,
    extract_tickers,
    find_companies,
)
from searchsvc.entities.dictionary import build_dictionary, parse_companies
from searchsvc.entities.patterns import prefixed_symbols
from searchsvc.entities.tickers import ticker_role
from searchsvc.entities.unknown import UnknownSymbol, find_unknown_symbols
from searchsvc.ingest.articles import Article
from tests.conftest import SHARED_CORPUS, make_article

CORPUS = SHARED_CORPUS


@pytest.fixture(scope="module")
def companies() -> CompanyDictionary:
    return default_companies()


def article(
    body: str = "",
    *,
    title: str = "",
    excerpt: str = "",
    tags: tuple[str, ...] = (),
    keywords: tuple[str, ...] = (),
) -> Article:
    return make_article("a", body, title=title, excerpt=excerpt, tags=tags, keywords=keywords)


def symbols(text: str, companies: CompanyDictionary) -> list[str]:
    return sorted(t.symbol for t in extract_tickers(article(text), companies))


# --- articles: one row per rule --------------------------------------------------------------

ARTICLE_ROWS = [
    # a photo credit names the agency, the article is not about it
    ("Microsoft slips. jewhyte/iStock Editorial via Getty Images", ["MSFT"]),
    ("Spotify jumps cronopios/E+ via Getty Images", ["SPOT"]),
    ("Getty Images agreed to merge with Shutterstock", ["GETY", "SSTK"]),
    # small and mid caps from the SEC list: by name; three-letter codes need evidence
    ("InvenTrust Properties raised its outlook", ["IVT"]),
    ("InvenTrust (NYSE: IVT) raised its outlook", ["IVT"]),
    ("the IVT ratio", []),
    ("SelectQuote and Kinsale Capital reported", ["KNSL", "SLQT"]),
    ("the Natural Gas Services Group fleet", ["NGS"]),
    ("natural gas prices and Natural Gas futures", []),
    ("Vertex raised its cystic fibrosis outlook", []),  # not Vertex Inc
    # names and aliases, case-sensitive
    ("Nvidia and NVIDIA", ["NVDA"]),
    ("Nvidia's new chip", ["NVDA"]),  # possessive
    ("Alibaba\u2019s cloud unit", ["BABA"]),  # curly apostrophe
    ("Nvidia-backed CoreWeave", ["CRWV", "NVDA"]),  # hyphen is a boundary
    ("Taiwan Semiconductor raised prices", ["TSM"]),
    ("TSMC said", ["TSM"]),
    ("AT&T raised its dividend", ["T"]),
    ("Samsung SDI batteries", ["006400.KS"]),  # the longest name wins over "Samsung"
    ("Siemens Energy rallied", ["SMNEY"]),  # not Siemens
    ("GE Vernova turbines", ["GEV"]),
    ("nvidia", []),  # lower case is not a name in articles
    ("ASAP", []),  # SAP inside a word
    # listings
    ("2330.TW closed higher", ["TSM"]),
    ("9988.HK fell", ["BABA"]),
    ("700.HK and 0700.HK", ["TCEHY"]),  # unpadded Hong Kong code
    ("005930.KS", ["005930.KS"]),
    ("7203.T", ["TM"]),
    ("BRK.B and BRK-B", ["BRK.B"]),
    # cashtags
    ("$NVDA is up", ["NVDA"]),
    ("$BRK.B", ["BRK.B"]),
    ("$T pays a dividend", ["T"]),  # explicit markup: ambiguous symbols count
    ("$ZZZZ and $5B", []),  # unknown cashtag; an amount
    # exchange prefixes
    ("C3.ai (NYSE: AI) rose", ["AI"]),
    ("(NYSE:BABA)", ["BABA"]),
    ("Nasdaq: NVDA", ["NVDA"]),
    ("OTCPK:NSRGY", ["NSRGY"]),
    ("HKEX: 9988", ["BABA"]),
    ("HKEX: 700", ["TCEHY"]),  # padded to 0700.HK
    ("TSE:7203", ["TM"]),
    ("NYSE American: ZZZ", []),  # unknown symbols are ignored here
    # bare symbols: not ambiguous and at least two letters
    ("NVDA shares jumped", ["NVDA"]),
    ("AI chips are scarce", []),  # AI is C3.ai's symbol, but ambiguous
    ("IT departments", []),  # Gartner's symbol
    ("T, F, ON, NOW, CAT, MS, META", []),  # ambiguous or single-letter symbols
    ("S&P 500 fell", []),  # neither S nor P is a company
    ("S&P Global and S&P 500", ["SPGI"]),
    # parenthesised symbol right after a name of its company
    ("AT&T (T) fell", ["T"]),
    ("Coca-Cola (KO)", ["KO"]),
    ("Meta (META) and Meta\u2019s (META)", ["META"]),
    ("the (IT) budget", []),  # no Gartner name before it
    # ambiguous names need evidence
    ("I ate an Apple today.", []),  # the fruit
    ("Apple Inc. reported", ["AAPL"]),  # corporate suffix
    ("Apple, Inc. and Oracle Corp", ["AAPL", "ORCL"]),
    ("Apple and $AAPL", ["AAPL"]),  # evidence elsewhere in the article
    ("Meta cut jobs", []),
    ("Facebook parent Meta", ["META"]),  # Facebook is an unambiguous alias
    ("Target and Block and Shell and Snap", []),
    ("Shell plc", ["SHEL"]),
    ("Motorola phones", []),  # Motorola Solutions or Lenovo's Motorola?
    ("Lenovo's Motorola", ["LNVGY"]),
    ("Motorola Solutions radios", ["MSI"]),
]


@pytest.mark.parametrize(("text", "expected"), ARTICLE_ROWS)
def test_article_rules(text: str, expected: list[str], companies: CompanyDictionary) -> None:
    assert symbols(text, companies) == expected


def test_mention_records_places_count_and_forms(companies: CompanyDictionary) -> None:
    a = article(
        "Nvidia's results beat. $NVDA rose; NASDAQ: NVDA is the listing. Apple Inc. too.",
        title="Nvidia earnings",
        excerpt="NVIDIA beats",
        tags=("Nvidia",),
        keywords=("nvidia earnings",),  # keywords are lower case: no match
    )
    nvda, aapl = extract_tickers(a, companies)
    assert nvda.symbol == "NVDA" and nvda.name == "NVIDIA"
    assert nvda.places == {"title", "frontmatter", "body"}
    assert nvda.count == 6
    assert nvda.matched == ("Nvidia", "NVIDIA", "$NVDA", "NASDAQ: NVDA")
    assert (aapl.symbol, aapl.places, aapl.matched) == ("AAPL", {"body"}, ("Apple Inc.",))


def test_evidence_spans_the_whole_article(companies: CompanyDictionary) -> None:
    # "Apple" in the title counts because the body names Apple Inc.
    (aapl,) = extract_tickers(article("Shares of Apple Inc. rose.", title="Apple"), companies)
    assert aapl.places == {"title", "body"}
    assert aapl.count == 2
    assert aapl.matched == ("Apple", "Apple Inc.")


def test_order_is_count_then_symbol(companies: CompanyDictionary) -> None:
    found = extract_tickers(article("Tesla, Intel, Intel, AMD, AMD, Adobe"), companies)
    assert [(t.symbol, t.count) for t in found] == [
        ("AMD", 2),
        ("INTC", 2),
        ("ADBE", 1),
        ("TSLA", 1),
    ]


# --- rules on a small dictionary of its own (independent of the built-in data) ---------------

TINY = [
    {"symbol": "NVDA", "name": "NVIDIA", "exchange": "NASDAQ", "aliases": ["NVIDIA", "Nvidia"]},
    {"symbol": "AAPL", "name": "Apple", "exchange": "NASDAQ", "aliases": ["Apple"],
     "ambiguous": ["Apple"]},
    {"symbol": "MSFT", "name": "Microsoft", "exchange": "NASDAQ", "aliases": ["Microsoft"]},
    {"symbol": "META", "name": "Meta Platforms", "exchange": "NASDAQ",
     "aliases": ["Meta Platforms", "Meta", "Facebook"], "ambiguous": ["Meta", "META"]},
    {"symbol": "TGT", "name": "Target", "exchange": "NYSE", "aliases": ["Target"],
     "ambiguous": ["Target"]},
    {"symbol": "SHEL", "name": "Shell", "exchange": "NYSE", "aliases": ["Shell"],
     "listings": ["SHEL.L"], "ambiguous": ["Shell"]},
    {"symbol": "T", "name": "AT&T", "exchange": "NYSE", "aliases": ["AT&T"], "ambiguous": ["T"]},
    {"symbol": "AI", "name": "C3.ai", "exchange": "NYSE", "aliases": ["C3.ai"],
     "ambiguous": ["AI"]},
    {"symbol": "IT", "name": "Gartner", "exchange": "NYSE", "aliases": ["Gartner"],
     "ambiguous": ["IT"]},
    {"symbol": "MMM", "name": "3M", "exchange": "NYSE", "aliases": ["3M"]},
    {"symbol": "ET", "name": "Energy Transfer", "exchange": "NYSE",
     "aliases": ["Energy Transfer"]},
    {"symbol": "PM", "name": "Philip Morris International", "exchange": "NYSE",
     "aliases": ["Philip Morris"]},
    {"symbol": "USB", "name": "U.S. Bancorp", "exchange": "NYSE", "aliases": ["U.S. Bancorp"]},
    {"symbol": "WELL", "name": "Welltower", "exchange": "NYSE", "aliases": ["Welltower"]},
    {"symbol": "V", "name": "Visa", "exchange": "NYSE", "aliases": ["Visa"]},
    {"symbol": "BX", "name": "Blackstone", "exchange": "NYSE", "aliases": ["Blackstone"]},
    {"symbol": "NDAQ", "name": "Nasdaq, Inc.", "exchange": "NASDAQ", "aliases": ["Nasdaq"]},
    {"symbol": "HMC", "name": "Honda Motor", "exchange": "NYSE", "aliases": ["Honda"]},
    {"symbol": "BABA", "name": "Alibaba Group", "exchange": "NYSE", "aliases": ["Alibaba"],
     "listings": ["9988.HK"]},
    {"symbol": "BHP", "name": "BHP Group", "exchange": "NYSE", "aliases": ["BHP"],
     "listings": ["BHP.AX"]},
    {"symbol": "KO", "name": "Coca-Cola", "exchange": "NYSE", "aliases": ["Coca-Cola"]},
    {"symbol": "CRM", "name": "Salesforce", "exchange": "NYSE", "aliases": ["Salesforce"]},
    {"symbol": "GS", "name": "Goldman Sachs", "exchange": "NYSE", "aliases": ["Goldman Sachs"]},
    {"symbol": "3988.HK", "name": "Bank of China", "exchange": "HKEX",
     "aliases": ["Bank of China"]},
    {"symbol": "DLR", "name": "Digital Realty", "exchange": "NYSE", "aliases": ["Digital Realty"]},
    {"symbol": "HTZ", "name": "Hertz Global Holdings", "exchange": "NASDAQ", "aliases": ["Hertz"],
     "ambiguous": ["Hertz"]},
    {"symbol": "QTWO", "name": "Q2 Holdings", "exchange": "NYSE", "aliases": ["Q2", "Q2 Holdings"]},
    {"symbol": "LPL", "name": "LG Display", "exchange": "NYSE", "aliases": ["LG Display"]},
    {"symbol": "TSM", "name": "Taiwan Semiconductor Manufacturing", "exchange": "NYSE",
     "aliases": ["TSMC", "Taiwan Semiconductor"], "listings": ["2330.TW"]},
]  # fmt: skip


@pytest.fixture(scope="module")
def tiny() -> CompanyDictionary:
    return build_dictionary(parse_companies({"companies": TINY}, "tiny"), "tiny")


RULE_ROWS = [
    # markup always counts, ambiguous symbols included
    ("$AAPL and $T", ["AAPL", "T"]),
    ("C3.ai (NYSE: AI) rose", ["AI"]),
    ("Nasdaq: NVDA", ["NVDA"]),
    ("(NYSE:BABA)", ["BABA"]),
    ("BHP Group (AU:BHP)", ["BHP"]),  # a country code in parentheses: BHP.AX
    ("Shell (GB:SHEL)", ["SHEL"]),  # the London listing, SHEL.L
    ("AU: T", []),  # a country code is a prefix only inside parentheses
    ("9988.HK", ["BABA"]),
    ("2330.TW closed higher", ["TSM"]),
    # names, possessives, word boundaries
    ("Nvidia's new chip", ["NVDA"]),
    ("Nvidia-backed startups", ["NVDA"]),  # a hyphen after a name is a boundary
    ("analyst Gavin Clark-Gartner said", []),  # ... but not before it: a double-barrelled name
    ("net debt fell to $56.3M from $60M", []),  # 3M inside an amount
    ("about ~3M users and 2-3M in savings", []),
    ("3M metric tons of soybeans", []),  # an amount-shaped name needs evidence
    ("3M's CEO and 3M shares", ["MMM"]),  # ... which a possessive or a company word gives
    # names a fund, trust or index carries are not the company
    ("Blackstone Mortgage Trust raised its dividend", []),
    ("the Nasdaq Composite fell", []),
    ("Blackstone said and the Nasdaq Composite fell", ["BX"]),
    ("Goldman Sachs Partners raised a fund", []),  # a vehicle, even right after the name
    ("Digital Realty Trust raised its dividend", ["DLR"]),  # a trust right after: its own name
    ("Digital Realty Data Trust", []),  # a word between: another trust
    # a lone capitalised word before a name makes it a person's or another company's name
    ("said CEO Dennis Nvidia on Monday", []),  # a made-up surname
    ("analyst Sitanshu Alibaba said", []),
    ("Mr. Alibaba", []),  # an honorific
    ("Chief Executive Officer Leroy Alibaba said", []),  # a job title before a first name
    ("rival Chinese Alibaba", ["BABA"]),  # a nationality is no name
    ("Why Investors Love Alibaba", ["BABA"]),  # a Title Case heading: a run of capitals
    ("Japan's Alibaba", ["BABA"]),  # a possessive
    ("the People's Bank of China cut rates", []),  # a generic first word: a longer name
    ("The Bank of China rose", ["3988.HK"]),
    # acronym-shaped names need markup or a corporate suffix, not words around them
    ("Q2 earnings and Q2's margin", []),
    ("Q2 Holdings rose", ["QTWO"]),  # a longer name
    # bare symbols: three characters or more, not an acronym, not an ordinary word
    ("NVDA shares jumped", ["NVDA"]),
    ("trading at 9:30 AM ET and 4 PM ET", []),  # two-letter symbols need evidence
    ("a USB port", []),  # a common acronym
    ("CRM software", []),
    ("Salesforce makes CRM software", ["CRM"]),  # evidence elsewhere in the article
    ("WELL is a REIT", ["WELL"]),
    ("WELL, well, well", []),  # the article writes it as an ordinary word too
    ("Energy Transfer (ET) units", ["ET"]),  # explicit markup after its name
    ("LPL fell", ["LPL"]),
    ("LPL Financial rose", []),  # a symbol that starts another company's name
    # a parenthesised symbol counts unless it follows another company's name
    ("shares of (NVDA)", ["NVDA"]),
    ("Hero MotoCorp (HMC) sales", []),  # Hero's own code, not Honda's
    ("Taiwan Semi (TSM) rose", ["TSM"]),  # shares "Taiwan" with the company's name
    ("Alphabet (GOOG) and Honda Motor Co. (HMC)", ["HMC"]),  # a corporate form is not a name
    ("the (IT) budget", []),  # ambiguous: only right after a name
    ("Gartner (IT) said", ["IT"]),
    # ambiguous names need evidence
    ("Apple pie", []),
    ("Apple Inc. reported", ["AAPL"]),  # corporate suffix
    ("Apple's iPhone", ["AAPL"]),  # possessive
    ("Apple CEO Tim Cook", ["AAPL"]),  # a company word after
    ("Target shares fell", ["TGT"]),
    ("Target said on Monday", ["TGT"]),
    ("Price Target Raised", []),  # a headline's capitalised verb is no evidence
    ("Target Shares Fall", ["TGT"]),  # ... but shares and stock are
    ("a stake in Shell", ["SHEL"]),  # a company word before
    ("price Target raised", []),
    ("a 60 Hertz grid", []),
    ("Hertz Global Holdings reported", ["HTZ"]),  # a holding company's name is evidence
    ("Microsoft and Apple", ["AAPL", "MSFT"]),  # in a list next to a company with evidence
    ("Apple, Meta and Microsoft", ["AAPL", "META", "MSFT"]),  # evidence passes along the list
    ("Apple, Meta and Target", []),  # nobody in the list has evidence
    ("Apple and then Microsoft", ["MSFT"]),  # not a list
    ("Meta cut jobs at Facebook", ["META"]),  # evidence elsewhere: an unambiguous alias
    ("the visa rules changed; Visa fell", []),  # written in lower case too: needs evidence
    ("Visa fell", ["V"]),
    ("the visa rules changed; Visa shares fell", ["V"]),
    # ambiguous symbols need markup
    ("AI chips and IT budgets", []),
    ("T, META", []),
]


@pytest.mark.parametrize(("text", "expected"), RULE_ROWS)
def test_extraction_rules(text: str, expected: list[str], tiny: CompanyDictionary) -> None:
    assert symbols(text, tiny) == expected


def test_list_rule_spans_only_one_text(tiny: CompanyDictionary) -> None:
    # the title's "Microsoft" is no neighbour of the body's "Apple"
    assert symbols_of(article("Apple pie recipes", title="Microsoft and"), tiny) == ["MSFT"]


def test_lower_case_rule_reads_prose_not_keywords(tiny: CompanyDictionary) -> None:
    # keywords are slugs read as lower-case words: "visa" there says nothing about "Visa"
    assert symbols_of(article("Visa fell", keywords=("visa earnings",)), tiny) == ["V"]
    assert symbols_of(article("Visa fell", excerpt="a visa rule"), tiny) == []


def test_excerpt_taken_from_the_body_counts_once(tiny: CompanyDictionary) -> None:
    # without an excerpt in the frontmatter, the excerpt is the body's first paragraph
    (nvda,) = extract_tickers(article("Nvidia rose.\n\nMore.", excerpt="Nvidia rose."), tiny)
    assert (nvda.count, nvda.places) == (1, {"body"})
    (nvda,) = extract_tickers(article("Nvidia rose.", excerpt="Nvidia beats."), tiny)
    assert (nvda.count, nvda.places) == (2, {"body", "frontmatter"})


def symbols_of(a: Article, companies: CompanyDictionary) -> list[str]:
    return sorted(t.symbol for t in extract_tickers(a, companies))


# --- primary vs mentioned -----------------------------------------------------------------------

ROLE_ROWS = [
    # (places, count, article total, tagged) -> role
    ({"title"}, 1, 40, False, "primary"),  # named in the title
    ({"frontmatter"}, 1, 40, True, "primary"),  # a tag or keyword names it
    ({"frontmatter", "body"}, 2, 10, False, "mentioned"),  # the excerpt alone is not enough
    ({"body"}, 3, 10, False, "primary"),  # 3 of 10 mentions: a subject of the article
    ({"body"}, 3, 11, False, "mentioned"),  # under 30%
    ({"body"}, 2, 2, False, "mentioned"),  # all mentions, but only two
    ({"body"}, 5, 40, False, "mentioned"),  # one of many companies of an earnings calendar
]


@pytest.mark.parametrize(("places", "count", "total", "tagged", "role"), ROLE_ROWS)
def test_ticker_role(places: set[str], count: int, total: int, tagged: bool, role: str) -> None:
    mention = TickerMention("X", "X", frozenset(places), count, ("X",))
    assert ticker_role(mention, total, tagged=tagged) == role


def test_extraction_sets_roles(tiny: CompanyDictionary) -> None:
    a = article(
        "Nvidia rose. Nvidia's chips sold out, Nvidia said. Microsoft bought some. "
        "Apple Inc. did too.",
        title="Chips sell out",
        tags=("Goldman Sachs",),
    )
    roles = {t.symbol: t.role for t in extract_tickers(a, tiny)}
    assert roles == {"NVDA": "primary", "GS": "primary", "MSFT": "mentioned", "AAPL": "mentioned"}
    (nvda,) = extract_tickers(article("Nvidia rose", title="Nvidia"), tiny)
    assert nvda.role == "primary"


# --- unknown symbols ------------------------------------------------------------------------------

UNKNOWN_ROWS = [
    ("$ACME rose; $ACME fell", [("ACME", 2, ("$ACME",))]),
    ("NYSE: ZZZ and (NASDAQ:ZZZ)", [("ZZZ", 2, ("NYSE: ZZZ", "NASDAQ:ZZZ"))]),
    ("Lixte Biotechnology (LIXT) fell", [("LIXT", 1, ("(LIXT)",))]),
    ("Lixte’s (LIXT)", [("LIXT", 1, ("(LIXT)",))]),  # a possessive name
    ("Fattal (IL:FTAL)", [("FTAL.TA", 1, ("(IL:FTAL)",))]),  # the listing as Yahoo spells it
    ("HKEX: 1234 and 1234.HK", [("1234.HK", 2, ("HKEX: 1234", "1234.HK"))]),
    ("123.HK", []),  # too short for a Hong Kong code
    ("$NVDA, NASDAQ: NVDA, Nvidia (NVDA), 2330.TW, (AU:BHP)", []),  # all known
    ("$AI and NYSE: T", []),  # known, ambiguous or not
    ("the CEO, USA, GDP and ETF", []),  # bare upper-case words are never read
    ("Gross Domestic Product (GDP)", []),  # an acronym, and in the acronym list
    ("Annual Recurring Revenue (ARR) and Net Interest Margin (NIM)", []),  # spelled out before
    ("Jensen Huang (CEO)", []),  # a common acronym
    ("The Osaka Exchange (OSE) rubber contract", []),  # prefixes of the words before it
    ("Steel Authority of India (SAIL)", [("SAIL", 1, ("(SAIL)",))]),  # no prefix of "India"
    ("ADJUSTED OPERATING INCOME (LOSS)", []),  # shouting, not a name
    ("KOSDAQ: A191420", [("191420.KQ", 1, ("KOSDAQ: A191420",))]),  # Korea's "A" prefix
    ("TWSE:TAIEX", []),  # an index
    ("the company (ACME) said", []),  # no capitalised name before it
    ("$USD and $BTC", []),  # currencies and coins are not companies
    ("$5B and $10", []),  # amounts
    ("(A) first (B) second", []),  # enumerations
    ("Acme (ACME) and $ACME and Beta (BETA)", [("ACME", 2, ("(ACME)", "$ACME")),
                                                ("BETA", 1, ("(BETA)",))]),  # most frequent first
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), UNKNOWN_ROWS)
def test_find_unknown_symbols(text: str, expected: list[Any], tiny: CompanyDictionary) -> None:
    found = find_unknown_symbols(article(text), tiny)
    assert [(u.symbol, u.count, u.forms) for u in found] == expected


def test_unknown_symbols_span_the_article(tiny: CompanyDictionary) -> None:
    a = article("Shares of $ACME rose.", title="$ACME soars", tags=("$ACME",))
    assert find_unknown_symbols(a, tiny) == (UnknownSymbol("ACME", 3, ("$ACME",)),)


# --- queries ----------------------------------------------------------------------------------

QUERY_ROWS = [
    ("taiwan semiconductor earnings", [(0, 20, "TSM")]),
    ("apple", [(0, 5, "AAPL")]),  # ambiguous names are meant in a query
    ("NVIDIA vs amd", [(0, 6, "NVDA"), (10, 13, "AMD")]),
    ("nvda", [(0, 4, "NVDA")]),
    ("tsmc 2330.tw", [(0, 4, "TSM"), (5, 12, "TSM")]),
    ("ai chips", []),  # ambiguous symbols need markup
    ("it jobs", []),
    ("$ai", [(0, 3, "AI")]),
    ("nyse: t", [(0, 7, "T")]),
    ("at&t 5g", [(0, 4, "T")]),
    ("on semiconductor", [(0, 16, "ON")]),
    ("(nvda)", [(1, 5, "NVDA")]),
    ("alibaba\u2019s results", [(0, 7, "BABA")]),
    ("motorola", [(0, 8, "LNVGY"), (0, 8, "MSI")]),  # both candidates, same span
    ("", []),
]


@pytest.mark.parametrize(("query", "expected"), QUERY_ROWS)
def test_find_companies(query: str, expected: list[Any], companies: CompanyDictionary) -> None:
    found = sorted((s, e, c.symbol) for s, e, c in find_companies(query, companies))
    assert found == expected


@pytest.mark.parametrize(
    ("exchange", "code", "expected"),
    [
        ("NASDAQ", "NVDA", ["NVDA"]),
        ("NYSE American", "X", ["X"]),
        ("OTCPK", "NSRGY", ["NSRGY"]),
        ("HKEX", "700", ["0700.HK"]),
        ("HKEX", "9988.HK", ["9988.HK.HK", "9988.HK"]),  # already qualified
        ("TSE", "7203", ["7203.T"]),  # Tokyo
        ("TSE", "SHOP", ["SHOP.TO"]),  # Toronto
        ("TPE", "2330", ["2330.TW"]),
        ("KRX", "005930", ["005930.KS"]),
        ("LSE", "SHEL", ["SHEL.L"]),
        ("MARS", "X", []),  # not an exchange
    ],
)
def test_prefixed_symbols(exchange: str, code: str, expected: list[str]) -> None:
    assert prefixed_symbols(exchange, code) == expected


# --- the built-in dictionary ------------------------------------------------------------------
# (its schema check, site files, listings and shape: tests/entities/test_dictionary.py)

SEED_COMPANIES = {
    # name as the seed articles write it -> canonical symbol
    "NVIDIA": "NVDA", "Apple Inc.": "AAPL", "Microsoft": "MSFT", "Alphabet": "GOOGL",
    "Google": "GOOGL", "Amazon": "AMZN", "Meta Platforms": "META", "Tesla": "TSLA",
    "AMD": "AMD", "Intel": "INTC", "Broadcom": "AVGO", "Oracle Corp": "ORCL", "AT&T": "T",
    "Berkshire Hathaway": "BRK.B", "JPMorgan Chase": "JPM", "Palantir": "PLTR",
    "Alibaba": "BABA", "Tencent": "TCEHY", "BYD": "BYDDY", "Xiaomi": "XIACY", "TSMC": "TSM",
    "Foxconn": "2317.TW", "Hon Hai": "2317.TW", "Samsung Electronics": "005930.KS",
    "SK Hynix": "000660.KS", "Toyota": "TM", "Sony": "SONY", "SoftBank": "SFTBY",
    "ASML": "ASML", "SAP": "SAP", "Nestlé": "NSRGY", "LVMH": "LVMUY", "Siemens": "SIEGY",
}  # fmt: skip


@pytest.mark.parametrize(("name", "symbol"), SEED_COMPANIES.items())
def test_seed_companies_are_known(name: str, symbol: str, companies: CompanyDictionary) -> None:
    assert symbols(f"{name} shares rose.", companies) == [symbol]


# --- robustness -------------------------------------------------------------------------------

TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("$():.&'\u2019- \n,TSMCNVDAHKapleIncorp0123456789")),
        st.characters(),
    ),
    max_size=200,
)


@settings(max_examples=300, deadline=None)
@given(title=TEXT, body=TEXT, tag=TEXT)
def test_extract_never_raises(title: str, body: str, tag: str) -> None:
    found = extract_tickers(article(body, title=title, tags=(tag,)), default_companies())
    for mention in found:
        assert mention.count >= len(mention.matched) >= 1
        assert mention.places <= {"title", "frontmatter", "body"}
        assert mention.role in {"primary", "mentioned"}


@settings(max_examples=300, deadline=None)
@given(title=TEXT, body=TEXT, tag=TEXT)
def test_find_unknown_symbols_never_raises(title: str, body: str, tag: str) -> None:
    found = find_unknown_symbols(article(body, title=title, tags=(tag,)), default_companies())
    for unknown in found:
        assert unknown.count >= len(unknown.forms) >= 1
        assert default_companies().lookup(unknown.symbol) is None


@settings(max_examples=300, deadline=None)
@given(query=TEXT)
def test_find_companies_never_raises(query: str) -> None:
    for start, end, _company in find_companies(query, default_companies()):
        assert 0 <= start < end <= len(query)


# --- the shared news corpus (skipped when absent) ---------------------------------------------

LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
SA_SYMBOL = re.compile(r"seekingalpha\.com/symbol/([A-Z0-9.\-]+)(?=[\s\")])")


def news_article(path: Path) -> tuple[str, Article]:
    """Raw text and a rough Article (front matter dropped, links read as their text)."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    body = raw.split("\n---", 1)[1] if raw.startswith("---") and "\n---" in raw[3:] else raw
    title = re.search(r'^title:\s*"?(.*?)"?\s*$', raw, re.MULTILINE)
    return raw, article(LINK.sub(r"\1", body), title=title.group(1) if title else "")


def test_seekingalpha_symbols_are_found(companies: CompanyDictionary) -> None:
    folder = CORPUS / "news" / "seekalpha"
    if not folder.is_dir():
        pytest.skip("shared news corpus not available")
    pairs = [news_article(p) for p in sorted(folder.glob("*.md"))]
    expected: Counter[bool] = Counter()  # by whether the linked symbol counts when bare
    found: Counter[bool] = Counter()
    results = [extract_tickers(a, companies) for _, a in pairs]
    for (raw, _), mentions in zip(pairs, results, strict=True):
        linked = {c: s for s in SA_SYMBOL.findall(raw) if (c := companies.lookup(s))}
        extracted = {m.symbol for m in mentions}
        for company, symbol in linked.items():
            plain = not companies.needs_context(symbol)
            expected[plain] += 1
            found[plain] += company.symbol in extracted
    assert expected[True] > 100
    assert found[True] / expected[True] >= 0.97
    # Ambiguous symbols ("META |", "ES, EW", small caps' three-letter codes) need evidence
    # the link text alone does not give; most are still found by name.
    assert found.total() / expected.total() >= 0.9
