"""The ticker evaluation's pure helpers (benchmarks/ticker_eval.py), on made-up articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.ticker_eval import (
    Link,
    canonical,
    evaluate,
    label_is_company,
    labelled_articles,
    name_variants,
    names_present,
    read_judgments,
    strip_symbol_links,
)
from searchsvc.entities import CompanyDictionary
from searchsvc.entities.dictionary import build_dictionary, parse_companies

SA = "https://seekingalpha.com/symbol"

STRIP_ROWS = [
    # the whole link goes, and the parentheses it leaves empty
    (f'Coca-Cola ([KO]({SA}/KO "The Coca-Cola Company")) rose', "Coca-Cola rose"),
    # an exchange prefix before the link goes with it
    (f'NVIDIA (NASDAQ:[NVDA]({SA}/NVDA "NVIDIA Corporation")) fell', "NVIDIA fell"),
    # several links in one pair of parentheses
    (f"Alphabet ([GOOG]({SA}/GOOG), [GOOGL]({SA}/GOOGL)) rose", "Alphabet rose"),
    # a title holding parentheses and quotes
    (f'Santander ([BSBR]({SA}/BSBR "Banco Santander (Brasil) S.A.")) rose', "Santander rose"),
    # a deep link whose text shows the symbol goes entirely
    (f"* [See AZN Dividend Scorecard]({SA}/AZN/dividends?source=x)", "* "),
    # a deep link of ordinary words keeps its words, not the URL
    (f"a [Hold rating]({SA}/MCD/ratings/quant-ratings#x) on it", "a Hold rating on it"),
    # other links and ordinary parentheses are left alone
    (
        "see [this](https://example.com/a) (and that)",
        "see [this](https://example.com/a) (and that)",
    ),
]


@pytest.mark.parametrize(("markdown", "expected"), STRIP_ROWS)
def test_strip_symbol_links(markdown: str, expected: str) -> None:
    stripped, _ = strip_symbol_links(markdown)
    assert stripped == expected
    assert "seekingalpha.com/symbol" not in stripped


def test_links_are_the_labels() -> None:
    markdown = (
        f'Coca-Cola ([KO]({SA}/KO "The Coca-Cola Company")) and '
        f"[Read the transcript]({SA}/POWL/earnings/transcripts)"
    )
    _, links = strip_symbol_links(markdown)
    assert links == [
        Link("KO", "KO", "The Coca-Cola Company"),
        Link("POWL", "Read the transcript", ""),
    ]


def test_frontmatter_markup_of_linked_symbols_goes_too() -> None:
    markdown = (
        '---\ntitle: "KO and MCD report"\n'
        'summary: "Coca-Cola (KO) and McDonald’s (NYSE:MCD) and $KO report..."\n---\n\n'
        f"Coca-Cola ([KO]({SA}/KO)) and McDonald’s ([MCD]({SA}/MCD)) report.\n"
    )
    stripped, links = strip_symbol_links(markdown)
    assert [link.symbol for link in links] == ["KO", "MCD"]
    # the summary flattens the body's links: its "(KO)" goes; the title's words stay
    assert 'summary: "Coca-Cola and McDonald’s and  report..."' in stripped
    assert 'title: "KO and MCD report"' in stripped


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("The Coca-Cola Company", {"The Coca-Cola Company", "Coca-Cola"}),
        ("Palo Alto Networks, Inc.", {"Palo Alto Networks, Inc.", "Palo Alto Networks"}),
        ("BP p.l.c.", {"BP p.l.c.", "BP"}),
        ("NVIDIA Corporation", {"NVIDIA Corporation", "NVIDIA"}),
        ("", set()),
    ],
)
def test_name_variants(title: str, expected: set[str]) -> None:
    assert name_variants(title) == expected


@pytest.mark.parametrize(
    ("symbol", "title", "expected"),
    [
        ("NVDA", "NVIDIA Corporation", True),
        ("SPY", "SPDR® S&P 500 ETF Trust", False),
        ("COMP:IND", "NASDAQ Composite Index", False),
        ("US10Y", "United States 10-Year Bond Yield", False),
        ("BTC-USD", "Bitcoin USD", False),
        ("MPW", "Medical Properties Trust, Inc.", True),  # a REIT is a company
    ],
)
def test_label_is_company(symbol: str, title: str, expected: bool) -> None:
    assert label_is_company(symbol, title) is expected


def test_names_present() -> None:
    assert names_present("NVIDIA rose", {"Nvidia"})  # case-insensitive
    assert not names_present("1 bp = 0.01%", {"BP"})  # short names match exactly
    assert not names_present("Nvidias", {"Nvidia"})  # whole words


TINY = [
    {"symbol": "KO", "name": "Coca-Cola", "exchange": "NYSE", "aliases": ["Coca-Cola"]},
    {"symbol": "GS", "name": "Goldman Sachs", "exchange": "NYSE", "aliases": ["Goldman Sachs"]},
    {"symbol": "KEY.TO", "name": "Keyera", "exchange": "TSX", "aliases": ["Keyera"]},
    {"symbol": "PEP", "name": "PepsiCo", "exchange": "NASDAQ", "aliases": ["PepsiCo"]},
]


@pytest.fixture(scope="module")
def tiny() -> CompanyDictionary:
    return build_dictionary(parse_companies({"companies": TINY}, "tiny"), "tiny")


def test_canonical(tiny: CompanyDictionary) -> None:
    assert canonical("KO", tiny) == "KO"
    assert canonical("KEY:CA", tiny) == "KEY.TO"  # SeekingAlpha's Toronto spelling
    assert canonical("KEY", tiny) is None
    assert canonical("ZZZZ", tiny) is None


def test_read_judgments(tmp_path: Path) -> None:
    path = tmp_path / "j.tsv"
    path.write_text("# comment\na.md\tGS\tright\tanalyst\nb.md\tKO\twrong\n", encoding="utf-8")
    assert read_judgments(path) == {("a.md", "GS"): True, ("b.md", "KO"): False}
    assert read_judgments(tmp_path / "absent.tsv") == {}


FILES = [
    # linked KO, named; Goldman Sachs found but not linked (judged right below)
    ("a.md", f"# Coke\n\nCoca-Cola ([KO]({SA}/KO)) rose, Goldman Sachs said.\n".encode()),
    # linked PEP, never named once the link is gone: a miss that is not the extractor's fault
    ("b.md", f'# Soda\n\nUp ([PEP]({SA}/PEP)) and ([SPY]({SA}/SPY "SPDR ETF")).\n'.encode()),
    # linked but unknown to the dictionary
    ("c.md", f"# Acme\n\nAcme ([ACME]({SA}/ACME)) rose.\n".encode()),
    # no links: not a labelled article
    ("d.md", b"# Other\n\nCoca-Cola and PepsiCo.\n"),
]  # fmt: skip


def test_labelled_articles() -> None:
    labelled, unreadable = labelled_articles(FILES)
    assert unreadable == 0
    assert [(item.path, sorted(item.labels), sorted(item.company)) for item in labelled] == [
        ("a.md", ["KO"], ["KO"]),
        ("b.md", ["PEP", "SPY"], ["PEP"]),  # SPY is a fund
        ("c.md", ["ACME"], ["ACME"]),
    ]
    assert "[KO]" not in labelled[0].article.body_text


def test_evaluate(tiny: CompanyDictionary) -> None:
    figures = evaluate(FILES, tiny, {("a.md", "GS"): True})
    assert figures["company_labels"] == 3 and figures["coverage"] == pytest.approx(2 / 3)
    assert (figures["true_positives"], figures["judged_right"], figures["predicted"]) == (1, 1, 2)
    assert figures["precision_labels"] == 0.5 and figures["precision"] == 1.0
    assert figures["recall"] == 0.5  # KO found, PEP missed
    assert figures["recall_named"] == 1.0  # PEP's name is not in the stripped text
    assert figures["top_misses"] == [
        {"symbol": "PEP", "name": "PepsiCo", "count": 1, "named_in_text": 0}
    ]
    assert figures["top_uncovered"][0]["symbol"] == "ACME"
