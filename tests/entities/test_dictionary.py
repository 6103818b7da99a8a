"""The company dictionary: its schema check, site files, former names, the built-in data and
the script that generates it (scripts/build_companies.py)."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from searchsvc.entities import (
    CompanyDataError,
    CompanyDictionary,
    FormerName,
    default_companies,
    load_companies,
)
from searchsvc.entities.dictionary import (
    build_dictionary,
    companies_for,
    parse_companies,
    trusted_companies,
)
from searchsvc.entities.patterns import prefixed_symbols
from tests.conftest import ROOT

ENTITIES = ROOT / "searchsvc" / "entities"


@pytest.fixture(scope="module")
def companies() -> CompanyDictionary:
    return default_companies()


@pytest.fixture(scope="module")
def builder() -> ModuleType:
    """scripts/build_companies.py as a module (it needs pytickersymbols only to build)."""
    path = ROOT / "scripts" / "build_companies.py"
    spec = importlib.util.spec_from_file_location("build_companies", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def symbols_of(text: str, companies: CompanyDictionary) -> set[str]:
    """Companies an exact surface (a name, alias, former name or symbol) stands for."""
    return {surface.company.symbol for surface in companies.surfaces.get(text, ())}


# --- schema check -----------------------------------------------------------------------------

VALID = {"symbol": "ACME", "name": "Acme", "exchange": "NYSE", "aliases": ["Acme Corp"]}


def write(tmp_path: Path, entries: Any) -> Path:
    path = tmp_path / "site-companies.json"
    data = {"companies": entries} if isinstance(entries, list) else entries
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def former(*entries: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**VALID, "former": list(entries)}]


SCHEMA_ERRORS = [
    ([{"symbol": "ACME", "exchange": "NYSE"}], r"entry 0 \(ACME\): 'name' is required"),
    ([{**VALID, "alias": ["x"]}], r"unknown keys \['alias'\]"),
    ([{**VALID, "symbol": "acme"}], r"symbol 'acme' is not a symbol"),
    ([{**VALID, "exchange": "N/A"}], r"exchange 'N/A' is not an exchange name"),
    ([{**VALID, "listings": ["700.HK"]}], r"malformed \.HK code; write 0700\.HK"),
    ([{**VALID, "listings": ["7203.TO.T"]}], r"'7203\.TO\.T' has a malformed \.T code"),
    ([{**VALID, "listings": ["ACME"]}], r"repeats the symbol"),
    ([{**VALID, "aliases": "Acme"}], r"'aliases' must be a list of strings"),
    ([{**VALID, "aliases": ["Acme", "Acme"]}], r"'aliases' has duplicates"),
    ([{**VALID, "aliases": ["Acme."]}], r"alias 'Acme\.' must be"),  # ends with punctuation
    ([{**VALID, "aliases": ["NYSE: ACME"]}], r"without ':'"),  # ":" marks a prefix
    ([{**VALID, "ambiguous": ["Roadrunner"]}], r"ambiguous 'Roadrunner' is not one of"),
    ([VALID, VALID], r"entry 1 \(ACME\): symbol appears twice"),
    ([{**VALID, "listings": ["2330.TW"]}], r"'2330\.TW' is claimed by (TSM and ACME|ACME and TSM)"),
    ([{**VALID, "aliases": ["Nvidia"]}], r"ACME: alias 'Nvidia' is claimed by NVDA and ACME"),
    ([{**VALID, "aliases": ["NVDA"]}], r"ACME: alias 'NVDA' is the symbol of NVDA"),
    ({"companies": [VALID], "version": 2}, r"unsupported version 2"),
    ({"companies": [VALID], "comment": "x"}, r"unknown top-level keys \['comment'\]"),
    ({"entries": []}, r"expected an object with a 'companies' list"),
    ("{not json", r"not valid JSON"),
    ([42], r"entry 0: entry must be an object"),
    # former names and symbols
    ([{**VALID, "former": "Acme Inc"}], r"'former' must be a list of objects"),
    (former({"until": "2020-01-01"}), r"former entry needs a 'name' or a 'symbol'"),
    (former({"name": "Old Acme", "until": "June 2020"}), r"'until' must be a date 'YYYY-MM-DD'"),
    (former({"name": "Old Acme", "until": "2020-13-01"}), r"'until' '2020-13-01' is not a date"),
    (former({"name": "Old Acme"}), r"former 'Old Acme': 'until' must be a date"),
    (former({"name": "Old Acme", "since": "2020-01-01"}), r"former: unknown keys \['since'\]"),
    (former({"symbol": "acme", "until": "2020-01-01"}), r"former symbol 'acme' is not a symbol"),
    (former({"symbol": "ACME", "until": "2020-01-01"}), r"'ACME' is a current symbol"),
    (former({"name": "Old Acme.", "until": "2020-01-01"}), r"former name 'Old Acme\.' must be"),
    (former({"symbol": "FB", "until": "2020-01-01"}), r"former symbol 'FB' is claimed by META"),
    (former({"name": "Nvidia", "until": "2020-01-01"}), r"alias 'Nvidia' is claimed by NVDA"),
]


@pytest.mark.parametrize(("entries", "message"), SCHEMA_ERRORS)
def test_schema_errors_name_the_entry(tmp_path: Path, entries: Any, message: str) -> None:
    path = write(tmp_path, entries)
    with pytest.raises(CompanyDataError, match=message) as info:
        load_companies(path)
    assert str(path) in str(info.value)


def test_missing_site_file(tmp_path: Path) -> None:
    with pytest.raises(CompanyDataError, match="cannot read"):
        load_companies(tmp_path / "absent.json")


# --- site files -------------------------------------------------------------------------------


def test_shared_ambiguous_alias_is_allowed(tmp_path: Path) -> None:
    entry = {**VALID, "aliases": ["Motorola"], "ambiguous": ["Motorola"]}
    merged = load_companies(write(tmp_path, [entry]))
    assert {c.symbol for c in merged.folded["motorola"]} == {"ACME", "LNVGY", "MSI"}


def test_the_fingerprint_follows_the_data(tmp_path: Path, companies: CompanyDictionary) -> None:
    # an index built with other company data is rebuilt (build_index compares these)
    site = write(tmp_path, [VALID])
    assert load_companies().fingerprint == companies.fingerprint
    assert load_companies(site).fingerprint == load_companies(site).fingerprint
    assert load_companies(site).fingerprint != companies.fingerprint


def test_site_file_extends_and_overrides(tmp_path: Path, companies: CompanyDictionary) -> None:
    override = {"symbol": "NVDA", "name": "Nvidia", "exchange": "NASDAQ", "aliases": ["Team Green"]}
    merged = load_companies(write(tmp_path, [VALID, override]))
    assert len(merged) == len(companies) + 1
    acme, nvda = merged.lookup("ACME"), merged.lookup("$nvda")
    assert acme is not None and acme.aliases == ("Acme Corp",)
    assert nvda is not None and (nvda.name, nvda.aliases) == ("Nvidia", ("Team Green",))
    assert symbols_of("Team Green", merged) == {"NVDA"}
    assert symbols_of("NVIDIA Corp", merged) == set()  # the built-in entry was replaced
    # the built-in dictionary is untouched
    assert symbols_of("Team Green", companies) == set()
    assert symbols_of("NVIDIA Corp", companies) == {"NVDA"}


def test_site_file_with_former_names(tmp_path: Path) -> None:
    entry = {
        **VALID,
        "former": [
            {"name": "Roadrunner Industries", "symbol": "RRI", "until": "2019-04-01"},
            {"symbol": "ACMZ", "until": "2021-01-04"},
        ],
    }
    merged = load_companies(write(tmp_path, [entry]))
    acme = merged.lookup("ACME")
    assert acme is not None
    assert acme.former == (
        FormerName("Roadrunner Industries", "RRI", "2019-04-01"),
        FormerName(None, "ACMZ", "2021-01-04"),
    )
    for old in ("RRI", "$acmz", "ACMZ"):
        assert merged.lookup(old) is acme
    assert symbols_of("Roadrunner Industries", merged) == {"ACME"}
    assert {c.symbol for c in merged.folded["roadrunner industries"]} == {"ACME"}


def test_former_symbol_yields_to_a_current_one(tmp_path: Path) -> None:
    """A symbol given up and taken by another company resolves to the company holding it."""
    entries = [
        {**VALID, "former": [{"symbol": "ZZZ", "until": "2020-01-01"}]},
        {"symbol": "ZZZ", "name": "Zed", "exchange": "NYSE"},
    ]
    merged = load_companies(write(tmp_path, entries))
    zed = merged.lookup("ZZZ")
    assert zed is not None and zed.name == "Zed"
    assert symbols_of("ZZZ", merged) == {"ZZZ"}


# --- former names in the built-in dictionary ---------------------------------------------------

FORMER = [
    # old symbol -> company now
    ("FB", "META"),
    ("SQ", "XYZ"),
    ("UTX", "RTX"),
    ("ANTM", "ELV"),
]


@pytest.mark.parametrize(("old", "symbol"), FORMER)
def test_former_symbols_resolve(old: str, symbol: str, companies: CompanyDictionary) -> None:
    company = companies.lookup(old)
    assert company is not None and company.symbol == symbol
    assert any(f.symbol == old for f in company.former)


def test_former_names_and_dates(companies: CompanyDictionary) -> None:
    meta = companies.lookup("META")
    assert meta is not None
    assert meta.former == (
        FormerName("Facebook", None, "2021-10-28"),
        FormerName(None, "FB", "2022-06-09"),
    )
    alphabet = companies.lookup("GOOG")
    assert alphabet is not None and alphabet.symbol == "GOOGL"
    assert FormerName("Google", None, "2015-10-02") in alphabet.former
    assert symbols_of("Facebook", companies) == {"META"}
    assert symbols_of("Raytheon Technologies", companies) == {"RTX"}
    assert symbols_of("United Technologies", companies) == {"RTX"}
    assert symbols_of("MicroStrategy", companies) == {"MSTR"}
    assert companies.lookup("TWTR") is None  # Twitter was taken private: no listed successor


def test_ambiguous_former_name_needs_evidence(companies: CompanyDictionary) -> None:
    (anthem,) = companies.surfaces["Anthem"]  # Elevance Health until 2022; also a song
    assert anthem.company.symbol == "ELV" and anthem.ambiguous


# --- the built-in dictionary ------------------------------------------------------------------


def test_builtin_dictionary_shape(companies: CompanyDictionary) -> None:
    assert len(companies) >= 1500
    assert len({c.symbol for c in companies}) == len(companies)
    for company in companies:
        for symbol in (company.symbol, *company.listings):
            assert companies.lookup(symbol) is company, symbol
    with pytest.raises(TypeError):
        companies.by_symbol["X"] = companies.companies[0]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        companies.companies = ()  # type: ignore[misc]


MARKETS = [
    # suffix of a listing -> at least this many companies listed there
    ({"HK", "SS", "SZ"}, 80),  # Hong Kong and mainland China
    ({"TW", "TWO"}, 35),
    ({"KS", "KQ"}, 50),
    ({"T"}, 200),  # Japan
    ({"NS", "BO"}, 50),  # India
    ({"L", "DE", "PA", "AS", "BR", "MI", "MC", "SW", "ST", "HE", "CO", "OL"}, 400),  # Europe
]


@pytest.mark.parametrize(("suffixes", "least"), MARKETS)
def test_markets_are_covered(suffixes: set[str], least: int, companies: CompanyDictionary) -> None:
    def listed(symbol: str) -> bool:
        return "." in symbol and symbol.rpartition(".")[2] in suffixes

    found = [c for c in companies if any(map(listed, (c.symbol, *c.listings)))]
    assert len(found) >= least


def test_us_indices_are_covered(companies: CompanyDictionary) -> None:
    us = [c for c in companies if c.exchange in {"NYSE", "NASDAQ", "NYSE American"}]
    assert len(us) >= 1200  # S&P 500, Nasdaq-100, S&P 600, ADRs


AMBIGUOUS_NAMES = [
    "Apple", "Meta", "Oracle", "Target", "Block", "Shell", "Snap", "Visa", "Ball", "Match Group",
    "Progressive", "Carnival", "Mosaic", "Dover", "Eaton", "Nasdaq", "Mitsubishi",
    "Sumitomo", "Mitsui", "Anthem", "Square", "Porsche", "Volvo", "Suzuki",
]  # fmt: skip


@pytest.mark.parametrize("name", AMBIGUOUS_NAMES)
def test_ordinary_word_names_need_evidence(name: str, companies: CompanyDictionary) -> None:
    surfaces = companies.surfaces.get(name, ())
    if name == "Match Group":  # the short form of a name is not kept when it is a word
        assert companies.surfaces[name] and "Match" not in companies.surfaces
        return
    assert surfaces, f"{name} is not a name in the dictionary"
    assert all(s.ambiguous for s in surfaces), name


AMBIGUOUS_SYMBOLS = [
    # ordinary words, letters, acronyms and currency codes that are also tickers
    "A", "ALL", "AI", "ON", "NOW", "IT", "CAT", "KEY", "MS", "T", "F", "C", "V", "META",
    "LOW", "COST", "SNOW", "HOOD", "PATH", "NOK", "TRI", "DEI", "FCF", "CMS", "ICE", "USB",
    "MSCI", "ARR", "LPG", "LNG", "COP", "PSA", "RTO", "BCE",
]  # fmt: skip


@pytest.mark.parametrize("symbol", AMBIGUOUS_SYMBOLS)
def test_ordinary_word_symbols_need_context(symbol: str, companies: CompanyDictionary) -> None:
    assert companies.lookup(symbol) is not None, f"{symbol} is not a symbol in the dictionary"
    assert companies.needs_context(symbol)
    surfaces = companies.surfaces.get(symbol, ())
    assert all(s.ambiguous for s in surfaces), f"bare {symbol} would count on its own"


@pytest.mark.parametrize("symbol", ["NVDA", "AAPL", "MSFT", "TSLA", "BABA", "ASML", "SIEGY"])
def test_distinctive_symbols_count_bare(symbol: str, companies: CompanyDictionary) -> None:
    assert not companies.needs_context(symbol)
    assert symbols_of(symbol, companies) == {symbol}


# --- the companies of the seed articles -------------------------------------------------------

LISTINGS = [
    # symbol or listing as publishers write it -> canonical symbol
    ("TSM", "TSM"), ("2330.TW", "TSM"), ("BABA", "BABA"), ("9988.HK", "BABA"),
    ("TCEHY", "TCEHY"), ("0700.HK", "TCEHY"), ("700.hk", "TCEHY"), ("BYDDY", "BYDDY"),
    ("1211.HK", "BYDDY"), ("002594.SZ", "BYDDY"), ("005930.KS", "005930.KS"), ("7203.T", "TM"),
    ("$brk-b", "BRK.B"), ("BRK.B", "BRK.B"), ("BRK/B", "BRK.B"), ("GOOG", "GOOGL"),
    ("$NVDA", "NVDA"), ("$TSLA", "TSLA"), ("3690.HK", "MPNGY"), ("1810.HK", "XIACY"),
    ("000660.KS", "000660.KS"), ("6758.T", "SONY"), ("9984.T", "SFTBY"), ("ASML.AS", "ASML"),
    ("SAP.DE", "SAP"), ("NESN.SW", "NSRGY"), ("MC.PA", "LVMUY"), ("SIE.DE", "SIEGY"),
    ("HSBA.L", "HSBC"), ("0005.HK", "HSBC"), ("300750.SZ", "300750.SZ"), ("3750.HK", "300750.SZ"),
]  # fmt: skip


@pytest.mark.parametrize(("written", "symbol"), LISTINGS)
def test_listings_resolve(written: str, symbol: str, companies: CompanyDictionary) -> None:
    company = companies.lookup(written)
    assert company is not None and company.symbol == symbol


_MARKUP = re.compile(
    r"\$(?P<cashtag>[A-Z][A-Z.]*[A-Z])|\b(?P<listing>\d{4,6}\.[A-Z]{1,2}|BRK\.[AB])\b"
    r"|\b(?P<exchange>NYSE|NASDAQ|Nasdaq|HKEX|TSE|KRX)[ \t]*:[ \t]*(?P<code>[A-Z0-9]+)"
)


def test_every_symbol_in_the_seed_articles_resolves(companies: CompanyDictionary) -> None:
    written: set[tuple[str, ...]] = set()
    for path in sorted((ROOT / "seeds").glob("*.md")):
        for m in _MARKUP.finditer(path.read_text(encoding="utf-8")):
            if m["exchange"]:
                written.add(tuple(prefixed_symbols(m["exchange"], m["code"])))
            else:
                written.add(((m["cashtag"] or m["listing"]),))
    assert len(written) >= 8
    unresolved = [w for w in written if not any(companies.lookup(s) for s in w)]
    assert not unresolved


# --- the generated file -----------------------------------------------------------------------


def test_the_built_in_file_passes_the_check_it_is_trusted_to_pass() -> None:
    """The built-in file is read without checks in every process (trusted_companies);
    this is where it is checked, entry by entry and for conflicts."""
    data = json.loads((ENTITIES / "companies.json").read_text(encoding="utf-8"))
    checked = parse_companies(data, "companies.json")
    assert trusted_companies(data) == checked
    built = build_dictionary(checked, "companies.json")
    assert companies_for(None).surfaces == built.surfaces
    assert companies_for(None).folded == built.folded


def test_curated_entries_pass_the_schema_check() -> None:
    curated = json.loads((ENTITIES / "curated.json").read_text(encoding="utf-8"))
    parsed = parse_companies({"companies": curated["companies"]}, "curated.json")
    assert len(parsed) >= 500


@pytest.mark.slow  # rebuilds the whole dictionary from its data sets
def test_companies_json_is_what_the_build_produces(builder: ModuleType) -> None:
    pytest.importorskip("pytickersymbols", reason="dev dependency (pip install -e .[dev])")
    data, _summary = builder.build()
    expected = builder.render(data)
    assert (ENTITIES / "companies.json").read_text(encoding="utf-8") == expected, (
        "companies.json is stale: run python scripts/build_companies.py"
    )


def test_pinned_pytickersymbols_is_the_one_built_from() -> None:
    pytickersymbols = pytest.importorskip("pytickersymbols")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    pinned = re.search(r'"pytickersymbols==([\d.]+)"', pyproject)
    assert pinned is not None
    assert pytickersymbols.__version__ == pinned.group(1)
    description = json.loads((ENTITIES / "companies.json").read_text("utf-8"))["description"]
    assert f"pytickersymbols {pinned.group(1)} " in description


NAME_FORMS = [
    # pytickersymbols name -> display name, some of the aliases derived from it
    ("Apple Inc.", "Apple", ["Apple"]),
    ("Nike, Inc.", "Nike", ["Nike"]),
    ("Shell plc", "Shell", ["Shell plc", "Shell"]),
    ("Deere & Company", "Deere", ["Deere & Company", "Deere"]),
    ("Arthur J. Gallagher & Co.", "Arthur J. Gallagher", ["Arthur J. Gallagher"]),
    ("KSB SE & Co. KGaA", "KSB", ["KSB"]),
    ("The Cooper Companies", "Cooper", ["The Cooper Companies", "Cooper Companies", "Cooper"]),
    ("The Cheesecake Factory", "Cheesecake Factory", ["The Cheesecake Factory"]),
    ("Nestlé SA", "Nestlé", ["Nestlé SA", "Nestlé", "Nestle"]),
    ("Rio Tinto (corporation)", "Rio Tinto", ["Rio Tinto"]),
    ("LifcoB", "Lifco", ["Lifco"]),
    ("Legrand", "Legrand", ["Legrand"]),  # "and" at the end of a word is not a conjunction
]  # fmt: skip


@pytest.mark.parametrize(("raw", "display", "aliases"), NAME_FORMS)
def test_name_forms(raw: str, display: str, aliases: list[str], builder: ModuleType) -> None:
    got_display, got_aliases, _shorts = builder.name_forms(raw)
    assert got_display == display
    assert set(aliases) <= set(got_aliases)
    assert all(not a.endswith(".") for a in got_aliases)


def test_short_forms(builder: ModuleType) -> None:
    assert builder.name_forms("Boot Barn Holdings, Inc.")[2] == ["Boot Barn"]
    assert builder.name_forms("Marriott International")[2] == ["Marriott"]
    assert builder.name_forms("Concentra Group Holdings Parent, Inc.")[2] == [
        "Concentra Group",
        "Concentra",
    ]


@pytest.fixture(scope="module")
def words(builder: ModuleType) -> Any:
    return builder.Words(
        common=frozenset({"target", "all", "key", "apple", "gap", "match"}),
        ordinary=frozenset(
            {"target", "all", "key", "apple", "gap", "match", "baba", "lumen", "natural", "gas"}
        ),
        proper=frozenset({"Dover", "Sony", "Carter"}),
        brands=frozenset({"Sony"}),
        ambiguous_names=frozenset({"Nasdaq"}),
        generic=frozenset({"First", "Financial"}),
        acronyms=frozenset({"CEO", "DEI"}),
    )


AMBIGUITY = [
    # (text, is it a symbol, ambiguous?)
    ("ALL", True, True), ("KEY", True, True), ("A", True, True), ("GE", True, True),
    ("DEI", True, True), ("NVDA", True, False), ("SHEL.L", True, False), ("7203.T", True, False),
    ("BABA", True, False), ("Lumen", False, True),  # rare words: names, not symbols
    ("Target", False, True), ("Apple", False, True), ("Dover", False, True),
    ("Carter's", False, True), ("Sony", False, False), ("Nvidia", False, False),
    ("Nasdaq", False, True), ("First Financial", False, True), ("First Solar", False, False),
    ("CEO", False, True), ("BASF", False, False), ("Match Group", False, False),
]  # fmt: skip


@pytest.mark.parametrize(("text", "is_symbol", "ambiguous"), AMBIGUITY)
def test_ambiguity_rules(text: str, is_symbol: bool, ambiguous: bool, words: Any) -> None:
    check = words.symbol_is_ambiguous if is_symbol else words.name_is_ambiguous
    assert check(text) is ambiguous


# --- the SEC layer ----------------------------------------------------------------------------

SEC_NAMES = [
    # name as filed -> name as text writes it
    ("MOTORCAR PARTS OF AMERICA INC", "Motorcar Parts of America Inc"),
    ("CNO FINANCIAL GROUP, INC.", "CNO Financial Group, Inc."),
    ("CONDUENT Inc", "Conduent Inc"),
    ("Ferguson Enterprises Inc. /DE/", "Ferguson Enterprises Inc."),
    ("PROCTER & GAMBLE Co", "Procter & Gamble Co"),
    ("SelectQuote, Inc.", "SelectQuote, Inc."),
    ("ALL-STAR HOLDINGS", "All-Star Holdings"),
]


@pytest.mark.parametrize(("filed", "written"), SEC_NAMES)
def test_sec_display_name(filed: str, written: str, builder: ModuleType, words: Any) -> None:
    assert builder.sec_display_name(filed, words) == written


SEC_SYMBOLS = [
    # tickers of one registrant, SEC order -> symbols kept
    (["BRK-B", "BRK-A"], ["BRK.B", "BRK-B", "BRK.A", "BRK-A"]),
    (["PCG", "PCG-PD", "PCG-PE"], ["PCG"]),  # preferred shares
    (["EURK", "EURKR", "EURKU"], ["EURK"]),  # a blank cheque's rights and units
    (["GOOGL", "GOOG"], ["GOOGL", "GOOG"]),
]


@pytest.mark.parametrize(("tickers", "symbols"), SEC_SYMBOLS)
def test_sec_symbols(tickers: list[str], symbols: list[str], builder: ModuleType) -> None:
    company = builder.SecCompany("0000000001", "Acme Corp", "NYSE", tickers)
    assert builder.sec_symbols(company) == symbols


def sec_entry(builder: ModuleType, words: Any, name: str, tickers: list[str],
              first_words: frozenset[str] = frozenset()) -> Any:  # fmt: skip
    company = builder.SecCompany("0000000001", name, "NASDAQ", tickers)
    entries = builder.sec_entries([company], set(), set(first_words), words, [])
    return entries[0] if entries else None


def test_sec_companies_the_other_sources_have_are_skipped(builder: ModuleType, words: Any) -> None:
    company = builder.SecCompany("0001045810", "NVIDIA CORP", "NASDAQ", ["NVDA"])
    assert builder.sec_entries([company], {"NVDA"}, set(), words, []) == []


SEC_RULES = [
    # name, tickers -> (aliases that need evidence, symbols that need evidence)
    ("Frontier Group Holdings, Inc.", ["ULCC"], set(), set()),
    ("InvenTrust Properties Corp.", ["IVT"], set(), {"IVT"}),  # three letters: an acronym?
    ("CSP INC", ["CSPI"], {"CSP"}, set()),  # "the CSP segment"
    ("NATURAL GAS SERVICES GROUP", ["NGS"], {"Natural Gas"}, {"NGS"}),  # ordinary words
    ("Target Hospitality Corp.", ["TH"], set(), {"TH"}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "tickers", "names", "symbols"), SEC_RULES)
def test_sec_ambiguity(name: str, tickers: list[str], names: set[str], symbols: set[str],
                       builder: ModuleType, words: Any) -> None:  # fmt: skip
    entry = sec_entry(builder, words, name, tickers)
    assert entry.ambiguous == names | symbols
    assert names <= set(entry.aliases)


def test_sec_company_yields_a_better_known_first_word(builder: ModuleType, words: Any) -> None:
    """ "Vertex" is Vertex Pharmaceuticals to a reader, not Vertex Inc."""
    entry = sec_entry(builder, words, "Vertex, Inc.", ["VERX"], frozenset({"Vertex"}))
    assert "Vertex" not in entry.aliases


def test_name_may_equal_a_symbol_that_needs_evidence(tmp_path: Path) -> None:
    """Bare "BYD" is the carmaker; Boyd Gaming's BYD counts only as "$BYD" or "NYSE: BYD"."""
    carmaker = {"symbol": "BYDDY", "name": "BYD", "exchange": "OTC", "aliases": ["BYD"]}
    casino = {"symbol": "BYD", "name": "Boyd Gaming", "exchange": "NYSE", "ambiguous": ["BYD"]}
    merged = load_companies(write(tmp_path, [carmaker, casino]))
    assert symbols_of("BYD", merged) == {"BYDDY"}
    assert merged.lookup("BYD") is not None and merged.lookup("BYD").name == "Boyd Gaming"
    with pytest.raises(CompanyDataError, match="list it as ambiguous"):
        load_companies(write(tmp_path, [carmaker, {**casino, "ambiguous": []}]))


def test_sec_snapshot_shape(builder: ModuleType) -> None:
    companies = builder.read_sec()
    assert len(companies) > 5000
    assert {c.exchange for c in companies} <= {"NYSE", "NASDAQ", "Cboe"}
    assert not [c for c in companies if "Acquisition" in c.name]


def test_a_site_dictionary_is_shared_until_its_file_changes(tmp_path: Path) -> None:
    path = write(tmp_path, [VALID])
    first = companies_for(path)
    assert companies_for(path) is first
    path.write_text(json.dumps({"companies": [{**VALID, "aliases": ["Acme Works"]}]}), "utf-8")
    changed = companies_for(path)
    assert changed is not first
    assert symbols_of("Acme Works", changed) == {"ACME"}
