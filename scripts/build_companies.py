"""Build searchsvc/entities/companies.json from pytickersymbols, the SEC list and curated.json.

    python scripts/build_companies.py            # write companies.json, print a summary
    python scripts/build_companies.py --check    # exit 1 when companies.json is not up to date
    python scripts/build_companies.py --update-words /usr/share/dict
    python scripts/build_companies.py --update-sec company_tickers.parquet

pytickersymbols (a dev dependency, pinned in pyproject.toml) carries the members of 20
indices: S&P 500/100/600, Nasdaq-100, Dow, Nikkei 225 and European indices. Each of its
companies becomes an entry: a canonical symbol, the exchange of that listing, other
listings, a display name and aliases derived from the legal name. ``curated.json`` (next to
companies.json) is the hand-made layer: entries that replace generated ones (matched by any
shared symbol) or add companies pytickersymbols lacks (Hong Kong, mainland China, Taiwan,
Korea, India, ADRs), plus the word lists that decide ambiguity. ``scripts/sec_tickers.tsv``
adds the rest of the US market: every NYSE, Nasdaq and Cboe company in the SEC's list of
registrants' tickers that the two others lack (small and mid caps outside the indices). See
scripts/README.md.

Ambiguity is decided reproducibly from committed files: ``scripts/words.txt`` holds the
entries of Debian's wamerican(-large) word lists that collide with a generated alias or symbol
(regenerate with ``--update-words`` after upgrading pytickersymbols), and curated.json's
lists name the people, places, indices and acronyms a word list cannot know about.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from searchsvc.entities.dictionary import (  # noqa: E402
    build_dictionary,
    check_symbol,
    parse_companies,
)

ENTITIES = ROOT / "searchsvc" / "entities"
CURATED = ENTITIES / "curated.json"
OUTPUT = ENTITIES / "companies.json"
WORDS = Path(__file__).resolve().parent / "words.txt"
SEC = Path(__file__).resolve().parent / "sec_tickers.tsv"
KEY_ORDER = ("symbol", "name", "exchange", "aliases", "listings", "ambiguous", "former")

# --- listings: exchanges and suffixes ---------------------------------------------------------

# Google Finance prefixes of US markets -> exchange name in companies.json.
US_EXCHANGES = {"NYSE": "NYSE", "NASDAQ": "NASDAQ", "NYSEAMERICAN": "NYSE American"}
OTC = "OTC"
# Yahoo suffix of a listing -> exchange name. The canonical symbol of a company without a
# US listing is its home listing in this form ("7203.T", "SAP.DE", "0700.HK").
SUFFIX_EXCHANGES = {
    "L": "LSE",
    "T": "TSE",
    "DE": "XETRA",
    "PA": "Euronext Paris",
    "AS": "Euronext Amsterdam",
    "BR": "Euronext Brussels",
    "MI": "Euronext Milan",
    "LS": "Euronext Lisbon",
    "IR": "Euronext Dublin",
    "OL": "Oslo Bors",
    "MC": "BME",
    "SW": "SIX",
    "ST": "Nasdaq Stockholm",
    "HE": "Nasdaq Helsinki",
    "CO": "Nasdaq Copenhagen",
    "VI": "Wiener Boerse",
    "HK": "HKEX",
    "SS": "SSE",
    "SZ": "SZSE",
    "TW": "TWSE",
    "TWO": "TPEx",
    "KS": "KRX",
    "KQ": "KOSDAQ",
    "NS": "NSE",
    "BO": "BSE",
    "AX": "ASX",
    "TO": "TSX",
    "SI": "SGX",
}
# Region of a company for the summary, by the suffix of its home listing.
SUFFIX_REGIONS = {
    "L": "United Kingdom", "T": "Japan", "DE": "Germany", "PA": "France",
    "AS": "Netherlands", "BR": "Belgium", "MI": "Italy", "LS": "Portugal", "IR": "Ireland",
    "OL": "Norway", "MC": "Spain", "SW": "Switzerland", "ST": "Sweden", "HE": "Finland",
    "CO": "Denmark", "VI": "Austria", "HK": "Hong Kong / China", "SS": "Hong Kong / China",
    "SZ": "Hong Kong / China", "TW": "Taiwan", "TWO": "Taiwan", "KS": "Korea", "KQ": "Korea",
    "NS": "India", "BO": "India", "AX": "Australia", "TO": "Canada", "SI": "Singapore",
}  # fmt: skip
_LSE_ORDER_BOOK = re.compile(r"0[0-9A-Z]{3}\.L")  # "0R3C.L": LSE's code for a foreign share
_OTC_ADR = re.compile(r"[A-Z]{4}Y")  # an OTC depositary receipt: "SIEGY", "NSRGY"
# A foreign company's OTC symbol: a receipt or an ordinary share ("SAPGF"). pytickersymbols
# also lists home codes under OTCMKTS ("OTCMKTS:ABF" for ABF.L); those are not listings.
_OTC_FOREIGN = re.compile(r"[A-Z]{4}[FY]")

# --- names -----------------------------------------------------------------------------------

_PARENTHESIS = re.compile(r"\s*\([^)]*\)")
# Legal forms stripped from the end of a name, repeatedly ("KSB SE & Co. KGaA" -> "KSB").
_LEGAL = re.compile(
    r"(?:,?\s+(?:Inc|Incorporated|Corp|Corporation|Co|Company|Companies|Ltd|Limited|plc|PLC"
    r"|p\.l\.c|AG|SE|N\.?V|S\.?A|S\.?A\.?F|S\.?p\.?A|SpA|AB|ASA|A/?S|Oyj|KGaA|N\.?A|L\.?P|LLC"
    r"|Aktiengesellschaft)\.?|\s+(?:&|and))$"
)
# Words after a company's own name, dropped for its short form ("Boot Barn Holdings" ->
# "Boot Barn", "Marriott International" -> "Marriott", "Cisco Systems" -> "Cisco").
_DESCRIPTOR = re.compile(
    r"\s+(?:Group|Holdings?|Holdings Parent|Trust|REIT|International|Worldwide|Scientific"
    r"|Laboratories|Pharmaceuticals?|Therapeutics|Restaurants|Stores|Technolog(?:y|ies)"
    r"|Networks|Systems|Industries|Energy|Financial|Services|Brands|Entertainment"
    r"|Communications|Motors?|Airlines|Airways)$"
)
_POSSESSIVE = re.compile(r"['\u2019]s$")


def strip_legal(name: str) -> str:
    """ "Apple Inc." -> "Apple", "Deere & Company" -> "Deere", "Shell plc" -> "Shell"."""
    while True:
        shorter = _LEGAL.sub("", name).rstrip(" ,")
        if shorter == name or len(shorter) < 2:
            return name
        name = shorter


def ascii_fold(text: str) -> str:
    """ "Nestlé" -> "Nestle", "Hermès" -> "Hermes" (letters without their accents)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_ALIAS_FORM = re.compile(r"[^\W_](?:[^\n:,]{0,78}[^\W_])?")


_SHARE_CLASS = re.compile(r"^(\S+[a-zåäöü])[A-C]$")  # "LifcoB": Lifco's B shares


def name_forms(raw: str) -> tuple[str, list[str], list[str]]:
    """Display name, aliases and short forms derived from a pytickersymbols name.

    Aliases: the name without a parenthesis ("Rio Tinto (corporation)"), without its legal
    form ("Apple Inc." -> "Apple", "KSB SE & Co. KGaA" -> "KSB"), without a leading "The"
    when a legal form went with it ("The Cooper Companies" -> "Cooper"), and the same with
    letters unaccented ("Nestlé" -> "Nestle"). Short forms also drop a descriptor ("Group",
    "Holdings", "International": "Boot Barn Holdings" -> "Boot Barn"); the caller keeps them
    only when they need no evidence ("Marriott" yes, "Boston" of Boston Scientific no).
    """
    base = _SHARE_CLASS.sub(r"\1", _PARENTHESIS.sub("", raw).strip())
    core = strip_legal(base)
    if core != base and core.startswith("The "):
        core = core[4:]
    forms = [base, core]
    if base.startswith("The ") and " " in base[4:]:
        forms.append(base[4:])
    short, shorts = core, []
    while True:
        shorter = strip_legal(_DESCRIPTOR.sub("", short))
        if shorter == short or len(shorter) < 2:
            break
        shorts.append(shorter)
        short = shorter
    display = core[4:] if core.startswith("The ") and " " in core[4:] else core

    def valid(forms: list[str]) -> list[str]:
        forms += [ascii_fold(form) for form in forms]
        return [f for f in dict.fromkeys(forms) if _ALIAS_FORM.fullmatch(f) and len(f) >= 2]

    return display, valid(forms), [f for f in valid(shorts) if f not in forms]


# --- ambiguity -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    """What decides ambiguity: a word list subset and curated.json's lists."""

    common: frozenset[str]  # lower-case entries of the common list ("apple", "all")
    ordinary: frozenset[str]  # the same and the large list's rarer words ("baba", "lumen")
    proper: frozenset[str]  # capitalised entries of the word list ("Dover", "Sony")
    brands: frozenset[str]  # proper nouns that are companies, not people or places
    ambiguous_names: frozenset[str]  # people, places, indices, exchanges ("Dow", "Nasdaq")
    generic: frozenset[str]  # words that make a two-word name generic ("First", "National")
    acronyms: frozenset[str]  # symbols that are acronyms or currency codes ("CEO", "NOK")

    def symbol_is_ambiguous(self, symbol: str) -> bool:
        """A ticker that reads as something else when written bare ("ALL", "GE", "CEO").

        Only common words count: a rare one ("BABA", a cake) is not written in capitals.
        """
        code = symbol.split(".")[0] if "." in symbol and not symbol[0].isdigit() else symbol
        if symbol != code and len(symbol.split(".")[1]) <= 2 and symbol[0].isalpha():
            return False  # "SHEL.L", "SAP.DE": a suffix is explicit markup
        return len(code) <= 2 or code.lower() in self.common or code in self.acronyms

    def is_word(self, alias: str) -> bool:
        """A one-word name that is an ordinary word ("Target", "Apple", "SCREEN")."""
        stem = _POSSESSIVE.sub("", alias)
        return " " not in alias and stem.lower() in self.ordinary and alias not in self.brands

    def name_is_ambiguous(self, alias: str) -> bool:
        """A derived name that is an ordinary word, a person, a place or an index."""
        if alias in self.ambiguous_names:
            return True
        if alias.isupper() and len(alias) <= 4 and " " not in alias:
            return self.symbol_is_ambiguous(alias)
        words = alias.split()
        if len(words) == 1:
            stem = _POSSESSIVE.sub("", alias)
            return self.is_word(alias) or (stem in self.proper and alias not in self.brands)
        return len(words) == 2 and all(w in self.generic for w in words)


def load_words(curated: dict[str, Any], path: Path = WORDS) -> Words:
    """scripts/words.txt: one entry per line; "<tab>rare" marks wamerican-large's extra words."""
    rows = [line.split("\t") for line in path.read_text("utf-8").split("\n")]
    entries = [(row[0], row[1:] == ["rare"]) for row in rows if row[0] and row[0][0] != "#"]
    return Words(
        common=frozenset(w for w, rare in entries if w.islower() and not rare),
        ordinary=frozenset(w for w, _ in entries if w.islower()),
        proper=frozenset(w for w, _ in entries if not w.islower()),
        brands=frozenset(curated.get("brands", [])),
        ambiguous_names=frozenset(curated.get("ambiguous_names", [])),
        generic=frozenset(curated.get("generic_words", [])),
        acronyms=frozenset(curated.get("acronyms", [])),
    )


# --- pytickersymbols -------------------------------------------------------------------------


@dataclass
class Listing:
    symbol: str
    exchange: str
    kind: str  # "us", "otc" or "home"


@dataclass
class Source:
    """One pytickersymbols company, with what every index says about it."""

    name: str
    indices: list[str] = field(default_factory=list)
    index_symbols: list[str] = field(default_factory=list)  # the per-index 'symbol' fields
    symbols: list[dict[str, str]] = field(default_factory=list)
    traded_as: str = ""
    isins: list[str] = field(default_factory=list)

    @property
    def us_member(self) -> bool:
        return any(i.startswith(_US_INDICES) for i in self.indices)

    @property
    def domestic(self) -> bool:
        """A US index member incorporated in the US (its ISINs start with "US")."""
        return self.us_member and all(i.startswith("US") for i in self.isins)

    def add(self, index: str, raw: dict[str, Any]) -> None:
        self.indices.append(index)
        if raw.get("symbol") and raw["symbol"] not in self.index_symbols:
            self.index_symbols.append(raw["symbol"])
        for entry in raw.get("symbols") or []:
            if entry not in self.symbols:
                self.symbols.append(entry)
        self.traded_as = self.traded_as or (raw.get("metadata") or {}).get("traded_as") or ""
        self.isins += [i for i in raw.get("isins") or [] if i not in self.isins]


_US_INDICES = ("S&P", "NASDAQ", "DOW")
_TRADED_AS = re.compile(r"\b(?:NYSE American|NYSE|Nasdaq|NASDAQ)\s*:\s*([A-Z][A-Z.\-]*)")


def read_pytickersymbols() -> tuple[str, list[Source]]:
    """pytickersymbols' version and its companies, merged over indices.

    pytickersymbols merges by name, which loses companies filed under another's name (its
    S&P 500 has "Arthur J. Gallagher & Co." twice, once with Assurant's AIZ). A US index
    entry is therefore keyed by name and the first US symbol its "traded as" line names
    (GOOG's entry names GOOGL first, so the classes stay one company), other entries by
    name, joining the one US entry of that name when there is one (ASML in the AEX).
    """
    import pytickersymbols  # type: ignore[import-untyped,import-not-found,unused-ignore]

    pts = pytickersymbols.PyTickerSymbols()
    us: dict[tuple[str, str], Source] = {}
    other: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for index in sorted(pts.get_all_indices()):
        for raw in pts.get_stocks_by_index(index):
            if not index.startswith(_US_INDICES):
                other.setdefault(raw["name"], []).append((index, raw))
                continue
            traded_as = (raw.get("metadata") or {}).get("traded_as") or ""
            first = _TRADED_AS.search(traded_as)
            key = (raw["name"], first.group(1) if first else raw.get("symbol") or "")
            us.setdefault(key, Source(raw["name"])).add(index, raw)
    by_name: dict[str, list[Source]] = {}
    for (name, _), source in us.items():
        by_name.setdefault(name, []).append(source)
    sources = list(us.values())
    for name, entries in other.items():
        same = by_name.get(name, [])
        source = same[0] if len(same) == 1 else Source(name)
        if source not in sources:
            sources.append(source)
        for index, raw in entries:
            source.add(index, raw)
    sources.sort(key=lambda s: (s.name, s.index_symbols))
    return str(pytickersymbols.__version__), sources


def _valid_symbol(symbol: str) -> bool:
    try:
        check_symbol(symbol, "symbol")
    except ValueError:
        return False
    return True


def _us_exchange(traded_as: str, symbol: str) -> str:
    """ "NYSE : AOS S&P 500 component" -> "NYSE" (pytickersymbols gives "AOS" alone)."""
    m = re.search(r"\b(NYSE American|NYSE|Nasdaq|NASDAQ)\s*:\s*" + re.escape(symbol), traded_as)
    if not m:
        return "NYSE" if re.search(r"\bNYSE\b", traded_as) else "NASDAQ"
    return {"Nasdaq": "NASDAQ"}.get(m.group(1), m.group(1))


# German index members whose symbol lacks a suffix carry their Xetra code ("SIX2", "DUE");
# other suffix-less codes are Frankfurt's ("AN3") or LSE's ("0N5I") and are not kept.
_GERMAN_INDICES = {"DAX", "MDAX", "SDAX", "TecDAX"}
_US_CLASS = re.compile(r"[A-Z]{1,5}\.[A-C]")  # "BF.B", "MOG.A"


def listings_of(source: Source, excluded: set[str]) -> list[Listing]:
    """Listings of one company: US markets, OTC and home markets; no Frankfurt, no Moscow.

    A US-incorporated index member keeps its index symbols only (pytickersymbols adds old
    symbols, preferred shares and other companies' codes: "XON" for XOM, "MHK" for GL).
    Its index symbols are NYSE/Nasdaq listings, whatever Google's prefix says ("OTCMKTS:KO").
    """
    found: dict[str, Listing] = {}

    def add(symbol: str, exchange: str, kind: str) -> None:
        if symbol in excluded or not _valid_symbol(symbol) or symbol in found:
            return
        found[symbol] = Listing(symbol, exchange, kind)

    if source.us_member:
        for symbol in source.index_symbols:
            if "." not in symbol or _US_CLASS.fullmatch(symbol):
                add(symbol, _us_exchange(source.traded_as, symbol), "us")
    for entry in [] if source.domestic else source.symbols:
        google, yahoo = entry.get("google") or "", entry.get("yahoo") or ""
        prefix, _, code = google.rpartition(":")
        if prefix in ("FRA", "MCX") or yahoo.endswith(".F") or yahoo.endswith(".ME"):
            continue
        if prefix in US_EXCHANGES and not code.isdigit():
            add(code, US_EXCHANGES[prefix], "us")
        elif prefix == "OTCMKTS" and _OTC_FOREIGN.fullmatch(yahoo or code):
            add(yahoo or code, OTC, "otc")
        elif "." in yahoo and not _LSE_ORDER_BOOK.fullmatch(yahoo):
            suffix = yahoo.rsplit(".", 1)[1]
            if suffix in SUFFIX_EXCHANGES:
                add(yahoo, SUFFIX_EXCHANGES[suffix], "home")
    for symbol in source.index_symbols:
        code, dot, suffix = symbol.rpartition(".")
        if dot and suffix in SUFFIX_EXCHANGES and not _LSE_ORDER_BOOK.fullmatch(symbol):
            add(symbol, SUFFIX_EXCHANGES[suffix], "home")
        elif not dot and set(source.indices) & _GERMAN_INDICES and symbol[0] != "0":
            add(f"{symbol}.DE", SUFFIX_EXCHANGES["DE"], "home")  # SDAX's "SIX2" is Xetra's
    # Class shares: Google writes "BRK.B", Yahoo "BRK-B"; publishers write both.
    for listing in list(found.values()):
        code, dot, cls = listing.symbol.rpartition(".")
        if listing.kind == "us" and dot and len(cls) == 1:
            add(f"{code}-{cls}", listing.exchange, "us")
    return list(found.values())


def canonical(source: Source, listings: list[Listing]) -> Listing | None:
    """NYSE/Nasdaq, else an OTC depositary receipt, else the home listing."""
    us = [x for x in listings if x.kind == "us" and "-" not in x.symbol]
    if us:
        named = [m.group(1) for m in _TRADED_AS.finditer(source.traded_as)]
        preferred = [x for x in us if x.symbol in named[:1]]
        preferred += [x for x in us if x.symbol in source.index_symbols]
        return (preferred or us)[0]
    adrs = sorted((x for x in listings if x.kind == "otc" and _OTC_ADR.fullmatch(x.symbol)),
                  key=lambda x: x.symbol)  # fmt: skip
    if adrs:
        return adrs[0]
    home = [x for x in listings if x.kind == "home"]
    preferred = [x for x in home if x.symbol in source.index_symbols]
    return (preferred or home)[0] if home else None


def region(symbol: str, listings: Iterable[str]) -> str:
    """Country or region of a company, by its home listing (US when it has none)."""
    for code in (symbol, *listings):
        suffix = code.rpartition(".")[2] if "." in code and code[0].isdigit() else ""
        suffix = suffix or (code.rpartition(".")[2] if "." in code else "")
        if suffix in SUFFIX_REGIONS:
            return SUFFIX_REGIONS[suffix]
    return "United States"


# --- the SEC's list of registrants' tickers --------------------------------------------------

# sec_tickers.tsv is a subset of the SEC's "company_tickers_exchange" list (public domain) as
# edgartools ships it (edgar/reference/data/company_tickers.parquet, MIT): the rows of the
# exchanges below, in the SEC's order (largest companies first, a company's main ticker first).
SEC_EXCHANGES = {"NYSE": "NYSE", "Nasdaq": "NASDAQ", "CBOE": "Cboe"}
# Blank-cheque companies have a name and a ticker but nothing a reader would search for.
_SPAC = re.compile(r"\b(?:Acquisition|Merger)s?\b|\bSPAC\b", re.IGNORECASE)
_SEC_STATE = re.compile(r"\s*[/\\][A-Z]{2,3}[/\\]?\s*$")  # "Ferguson Enterprises Inc. /DE/"
_SEC_CLASS = re.compile(r"([A-Z]{1,5})-([A-C])")  # "BRK-B": a share class, not a preferred
_DERIVATIVE = re.compile(r"[A-Z]{3,4}(?:W|WS|U|R|RT)")  # a SPAC's warrants, units, rights
_SMALL_WORDS = {"of", "and", "the", "for", "in", "on", "at", "de", "du"}
_LEGAL_CASE = {
    "INC": "Inc", "CORP": "Corp", "CO": "Co", "LTD": "Ltd", "PLC": "plc", "LP": "LP",
    "LLC": "LLC", "NV": "NV", "SA": "SA", "AG": "AG", "SE": "SE", "AB": "AB", "ASA": "ASA",
    "COS": "Cos", "HLDGS": "Holdings", "HOLDINGS": "Holdings", "INTL": "International",
}  # fmt: skip


@dataclass
class SecCompany:
    """One SEC registrant: its name as filed, the exchange and tickers of its shares."""

    cik: str
    name: str
    exchange: str
    tickers: list[str] = field(default_factory=list)


def read_sec(path: Path = SEC) -> list[SecCompany]:
    """The companies of sec_tickers.tsv, by CIK, in the file's order; no blank cheques."""
    companies: dict[str, SecCompany] = {}
    for line in path.read_text("utf-8").split("\n"):
        if not line or line.startswith("#"):
            continue
        cik, ticker, exchange, name = line.split("\t")
        company = companies.setdefault(cik, SecCompany(cik, name, SEC_EXCHANGES[exchange]))
        company.tickers.append(ticker)
    return [c for c in companies.values() if not _SPAC.search(c.name)]


def sec_symbols(company: SecCompany) -> list[str]:
    """Common-share symbols: "BRK-B" as "BRK.B" and "BRK-B"; no preferreds or warrants."""
    symbols: list[str] = []
    for ticker in company.tickers:
        cls = _SEC_CLASS.fullmatch(ticker)
        if cls:
            forms = [f"{cls.group(1)}.{cls.group(2)}", ticker]
        elif ticker.isalpha() and not (
            symbols and _DERIVATIVE.fullmatch(ticker) and ticker.startswith(symbols[0][:3])
        ):
            forms = [ticker]
        else:
            continue
        symbols += [f for f in forms if f not in symbols and _valid_symbol(f)]
    return symbols


def sec_display_name(raw: str, words: Words) -> str:
    """A filed name as text writes it: "MOTORCAR PARTS OF AMERICA INC" -> "Motorcar Parts
    of America Inc"; "CNO FINANCIAL GROUP" keeps "CNO" (short and not a word)."""
    name = raw.strip()
    while _SEC_STATE.search(name):
        name = _SEC_STATE.sub("", name)
    if any(ch.islower() for w in name.split() if w.rstrip(".,").upper() not in _LEGAL_CASE
           for ch in w):  # fmt: skip
        return name  # written in mixed case ("CONDUENT Inc" is not)

    def word_case(word: str, first: bool) -> str:
        bare = word.rstrip(".,")
        if bare in _LEGAL_CASE:
            return _LEGAL_CASE[bare] + word[len(bare) :]
        if not first and word.lower() in _SMALL_WORDS:
            return word.lower()
        letters = bare.replace("&", "")
        if len(letters) <= 3 and bare.lower() not in words.ordinary:
            return word  # an acronym: "CNO", "DMC", "RCI"
        return "-".join(part[:1] + part[1:].lower() for part in word.split("-"))

    return " ".join(word_case(w, i == 0) for i, w in enumerate(name.split()))


def sec_entries(companies: list[SecCompany], known: set[str], first_words: set[str],
                words: Words, notes: list[str]) -> list[Entry]:  # fmt: skip
    """Entries for SEC companies none of whose symbols the other sources have.

    These are small and mid caps, so the rules are stricter than for index members: their
    symbols and capitalised names of three letters or fewer need evidence (they collide with
    the acronyms of financial text: "EPS", "FDA", "CSP"), so do names of one or two ordinary
    words ("Natural Gas", "Information Services"), and a one-word name that begins a better
    known company's name ("Vertex" of Vertex Pharmaceuticals) is not theirs at all.
    ``known`` holds the other sources' symbols, ``first_words`` the first words of their names.
    """
    entries = []
    for company in companies:
        symbols = sec_symbols(company)
        if not symbols or any(s in known for s in symbols):
            continue
        display, aliases, shorts = name_forms(sec_display_name(company.name, words))
        aliases += [f for f in shorts if not words.name_is_ambiguous(f)]
        aliases = [
            a
            for a in aliases
            if not (a.isupper() and words.is_word(a)) and not (" " not in a and a in first_words)
        ]
        entry = Entry(symbols[0], display, company.exchange, aliases, symbols[1:], set(),
                      origin="sec")  # fmt: skip
        entry.ambiguous = {
            s for s in symbols if words.symbol_is_ambiguous(s) or len(s.split(".")[0]) <= 3
        }
        entry.ambiguous |= {
            a
            for a in aliases
            if words.name_is_ambiguous(a)
            or (a.isupper() and len(a) <= 3)
            or (
                len(a.split()) <= 2
                and all(_POSSESSIVE.sub("", w).lower() in words.ordinary for w in a.split())
            )
        }
        known.update(symbols)
        entries.append(entry)
    notes.append(f"{len(entries)} companies added from {SEC.name}")
    return entries


def update_sec(parquet: Path, out: Path = SEC) -> int:
    """Rewrite sec_tickers.tsv from edgartools' company_tickers.parquet (needs pyarrow)."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped,import-not-found,unused-ignore]

    rows = [r for r in pq.read_table(parquet).to_pylist() if r["exchange"] in SEC_EXCHANGES]
    header = (
        "# The SEC's company_tickers_exchange list (public domain), NYSE, Nasdaq and Cboe rows,\n"
        "# as edgartools 5.62.1 ships it (edgar/reference/data/company_tickers.parquet).\n"
        "# Columns: CIK, ticker, exchange, name as filed. Regenerate:\n"
        "# python scripts/build_companies.py --update-sec company_tickers.parquet\n"
    )
    lines = ["\t".join((r["cik"], r["ticker"], r["exchange"], r["name"])) for r in rows]
    out.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


# --- building --------------------------------------------------------------------------------


@dataclass
class Entry:
    symbol: str
    name: str
    exchange: str
    aliases: list[str]
    listings: list[str]
    ambiguous: set[str]
    former: list[dict[str, str]] = field(default_factory=list)
    origin: str = "pytickersymbols"  # for the summary: where the entry came from
    curated: bool = False  # written by hand in curated.json

    def symbols(self) -> list[str]:
        return [self.symbol, *self.listings]

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "symbol": self.symbol,
            "name": self.name,
            "exchange": self.exchange,
            "aliases": self.aliases,
            "listings": self.listings,
            "ambiguous": sorted(self.ambiguous, key=lambda w: (w.lower(), w)),
            "former": self.former,
        }
        return {k: data[k] for k in KEY_ORDER if data[k]}


def generated_entries(sources: list[Source], curated: dict[str, Any], words: Words,
                      notes: list[str]) -> list[Entry]:  # fmt: skip
    excluded_names = {x["name"] for x in curated.get("exclude_companies", [])}
    dropped = set(curated.get("drop_aliases", []))
    entries = []
    for source in sources:
        if source.name in excluded_names:
            continue
        excluded = {
            x["symbol"]
            for x in curated.get("exclude_listings", [])
            if x.get("company", source.name) == source.name
        }
        listings = listings_of(source, excluded)
        main = canonical(source, listings)
        if main is None:
            notes.append(f"skipped {source.name!r}: no usable listing")
            continue
        display, aliases, shorts = name_forms(source.name)
        aliases += [f for f in shorts if not words.name_is_ambiguous(f)]
        # A word in capitals ("NOW" of NOW Inc., "SCREEN") names nothing the longer name
        # does not: drop it rather than have every "now" of a reader's query mean a company.
        aliases = [
            a for a in aliases if a not in dropped and not (a.isupper() and words.is_word(a))
        ]
        others = [x.symbol for x in listings if x.symbol != main.symbol]
        entry = Entry(main.symbol, display, main.exchange, aliases, others, set())
        entry.ambiguous = {s for s in entry.symbols() if words.symbol_is_ambiguous(s)}
        entry.ambiguous |= {a for a in aliases if words.name_is_ambiguous(a)}
        entries.append(entry)
    return entries


def flag_family_names(entries: list[Entry]) -> None:
    """A family name ("Mitsui", "Sumitomo") begins the names of several other companies.

    SEC registrants count only against each other: "Entergy Arkansas" and "Invesco Mortgage
    Capital" file on their own but do not make "Entergy" or "Invesco" ambiguous.
    """
    firsts: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}
    for entry in entries:
        starts = {a.split()[0] for a in entry.aliases if " " in a}
        firsts[True].update(starts)
        if entry.origin != "sec":
            firsts[False].update(starts)
    for entry in entries:
        counts = firsts[entry.origin == "sec"]
        own = {a.split()[0] for a in entry.aliases if " " in a}
        for alias in entry.aliases:
            if " " not in alias and counts[alias] - (alias in own) >= 2:
                entry.ambiguous.add(alias)


def curated_entries(curated: dict[str, Any], words: Words) -> list[Entry]:
    """curated.json's companies, checked with the loader's schema check."""
    companies = parse_companies({"companies": curated["companies"]}, str(CURATED))
    entries = []
    for raw, company in zip(curated["companies"], companies, strict=True):
        entry = Entry(
            company.symbol,
            company.name,
            company.exchange,
            list(company.aliases),
            list(company.listings),
            set(company.ambiguous),
            list(raw.get("former", [])),
            origin="curated",
            curated=True,
        )
        # Symbols follow the same rule as generated ones, unless written as an alias too
        # ("BP", "GM": the company's own name).
        former = [f["symbol"] for f in entry.former if f.get("symbol")]
        entry.ambiguous |= {
            s
            for s in (*entry.symbols(), *former)
            if words.symbol_is_ambiguous(s) and s not in entry.aliases
        }
        entries.append(entry)
    return entries


def merge(generated: list[Entry], curated: list[Entry], notes: list[str]) -> list[Entry]:
    """Curated entries replace generated ones sharing a symbol; listings are pooled."""
    owner: dict[str, Entry] = {}
    for entry in generated:
        for symbol in entry.symbols():
            other = owner.get(symbol)
            if other is not None and other is not entry:
                if symbol == entry.symbol:  # one company under two names: pool its names
                    notes.append(f"{entry.name!r} merged into {other.name!r} ({symbol})")
                    other.aliases += [a for a in entry.aliases if a not in other.aliases]
                    other.ambiguous |= entry.ambiguous & set(entry.aliases)
                    break
                notes.append(f"listing {symbol} of {entry.name!r} dropped: {other.name!r} has it")
                entry.listings.remove(symbol)
                entry.ambiguous.discard(symbol)
                continue
            owner[symbol] = entry
    generated = [e for e in generated if owner.get(e.symbol) is e]
    # Share classes filed as two companies ("Clearway Energy, Inc. (Class A)" and "(Class C)").
    classes: dict[str, list[Entry]] = {}
    for entry in generated:
        if entry.exchange in US_EXCHANGES.values():
            classes.setdefault(entry.name, []).append(entry)
    for same in classes.values():
        if len(same) < 2:
            continue
        first, *others = sorted(same, key=lambda e: (len(e.symbol), e.symbol))
        for other in others:
            if not re.sub(r"[.\-]", "", other.symbol).startswith(first.symbol):
                continue  # "AJG" and "AIZ": one of them is misnamed, not a share class
            notes.append(f"{other.symbol} joined {first.symbol} ({first.name!r}, share classes)")
            first.listings += [s for s in other.symbols() if s not in first.symbols()]
            first.ambiguous |= other.ambiguous
            generated.remove(other)
            for symbol in other.symbols():
                owner[symbol] = first
    replaced: set[int] = set()
    curated_symbols = {s for e in curated for s in e.symbols()}
    curated_symbols |= {f["symbol"] for e in curated for f in e.former if "symbol" in f}
    for entry in curated:
        matches = {id(owner[s]): owner[s] for s in entry.symbols() if s in owner}
        matches.update(
            (id(owner[f["symbol"]]), owner[f["symbol"]])
            for f in entry.former
            if f.get("symbol") in owner
        )
        if len(matches) > 1:
            names = ", ".join(sorted(repr(m.name) for m in matches.values()))
            notes.append(f"curated {entry.symbol} replaces {len(matches)} entries: {names}")
        for match in matches.values():
            replaced.add(id(match))
            extra = [s for s in match.symbols() if s not in curated_symbols]
            if extra and match.name != entry.name:
                taken = f"takes {extra} of {match.name!r}"
                notes.append(f"curated {entry.symbol} ({entry.name!r}) {taken}")
            entry.listings += extra
            entry.ambiguous |= {s for s in extra if s in match.ambiguous}
            curated_symbols.update(extra)
            entry.origin = "curated+pytickersymbols"
    result = [e for e in generated if id(e) not in replaced] + curated
    return resolve_alias_conflicts(result, notes)


def apply_patches(entries: list[Entry], patches: list[dict[str, Any]]) -> None:
    """curated.json's "patches": a display name, aliases, listings or ambiguity to add."""
    by_symbol = {e.symbol: e for e in entries}
    for patch in patches:
        entry = by_symbol.get(patch["symbol"])
        if entry is None:
            raise ValueError(f"curated.json: patch for {patch['symbol']}: no such company")
        entry.name = patch.get("name", entry.name)
        entry.aliases += [a for a in patch.get("aliases", []) if a not in entry.aliases]
        entry.listings += [x for x in patch.get("listings", []) if x not in entry.symbols()]
        entry.ambiguous |= set(patch.get("ambiguous", []))
        entry.origin = "pytickersymbols, patched"


def resolve_alias_conflicts(entries: list[Entry], notes: list[str]) -> list[Entry]:
    """Names shared by companies, or equal to another company's symbol, need evidence.

    The SEC layer yields: a name an index member or a curated entry also claims is dropped
    from the SEC company, and an SEC symbol that is such a name needs evidence itself.
    """
    symbols = {s: e for e in entries for s in e.symbols()}
    claims: dict[str, list[Entry]] = {}
    for entry in entries:
        for alias in entry.aliases:
            claims.setdefault(alias, []).append(entry)
    for alias, claimants in claims.items():
        firm = [c for c in claimants if c.origin != "sec"]
        if firm and len(firm) < len(claimants):
            for c in claimants:
                if c.origin == "sec":
                    c.aliases.remove(alias)
                    c.ambiguous.discard(alias)
            claimants[:] = firm
        owner = symbols.get(alias)
        if owner is not None and owner.origin == "sec" and owner not in claimants:
            owner.ambiguous.add(alias)  # bare "BYD" is BYD the carmaker, not Boyd Gaming
        elif owner is not None and any(c is not owner for c in claimants):
            for c in claimants:
                if c is not owner and not c.curated:
                    c.ambiguous.add(alias)
        if len(claimants) < 2:
            continue
        curated_firm = [c for c in claimants if c.curated and alias not in c.ambiguous]
        for c in claimants:
            if c.curated:
                continue
            if curated_firm:  # a curated company owns this name: other companies lose it
                c.aliases.remove(alias)
                c.ambiguous.discard(alias)
                notes.append(f"alias {alias!r} dropped from {c.symbol}: {curated_firm[0].symbol}")
            else:
                c.ambiguous.add(alias)
    return entries


def build(curated_path: Path = CURATED, words_path: Path = WORDS) -> tuple[dict[str, Any], str]:
    """The companies.json data and a summary of sources, regions and decisions."""
    curated = json.loads(curated_path.read_text("utf-8"))
    words = load_words(curated, words_path)
    version, sources = read_pytickersymbols()
    notes: list[str] = []
    generated = generated_entries(sources, curated, words, notes)
    apply_patches(generated, curated.get("patches", []))
    known = {s for e in generated for s in e.symbols()}
    for raw in curated["companies"]:
        known.update([raw["symbol"], *raw.get("listings", [])])
        known.update(f["symbol"] for f in raw.get("former", []) if "symbol" in f)
    names = [a for e in generated for a in e.aliases]
    names += [a for raw in curated["companies"] for a in raw.get("aliases", [])]
    first_words = {a.split()[0] for a in names if " " in a}
    generated += sec_entries(read_sec(), known, first_words, words, notes)
    flag_family_names(generated)
    entries = merge(generated, curated_entries(curated, words), notes)
    entries.sort(key=lambda e: e.symbol)
    data = {
        "version": 1,
        "description": (
            f"Generated by scripts/build_companies.py from pytickersymbols {version} and "
            "curated.json; do not edit. symbol: canonical symbol (NYSE/Nasdaq listing, else "
            "an OTC depositary receipt, else the home listing as Yahoo writes it: 7203.T, "
            "SAP.DE, 0700.HK); listings: other symbols of the same company; aliases: names "
            "as written in text (case-sensitive); ambiguous: aliases or symbols that are "
            "ordinary words, names or acronyms and need evidence; former: earlier names and "
            "symbols. See searchsvc/entities/dictionary.py and scripts/README.md."
        ),
        "companies": [e.as_json() for e in entries],
    }
    # The loader's own checks, on exactly what will be written.
    build_dictionary(parse_companies(data, "companies.json (built)"), "companies.json (built)")
    return data, summary(version, entries, notes)


def summary(version: str, entries: list[Entry], notes: list[str]) -> str:
    origins = Counter(e.origin for e in entries)
    regions = Counter(region(e.symbol, e.listings) for e in entries)
    lines = [f"{len(entries)} companies (pytickersymbols {version})"]
    lines += [f"  {n:5d}  {origin}" for origin, n in origins.most_common()]
    lines += ["by region:"] + [f"  {n:5d}  {r}" for r, n in regions.most_common()]
    lines += ["notes:"] + [f"  {note}" for note in notes]
    return "\n".join(lines)


def render(data: dict[str, Any]) -> str:
    """Stable text: one company per line, keys in schema order, UTF-8."""
    head = json.dumps({k: data[k] for k in ("version", "description")}, ensure_ascii=False)
    rows = ",\n".join("    " + json.dumps(c, ensure_ascii=False) for c in data["companies"])
    return head[:-1] + ',\n  "companies": [\n' + rows + "\n  ]\n}\n"


# --- the word list subset --------------------------------------------------------------------


def word_candidates(curated: dict[str, Any]) -> Iterator[str]:
    """Lower-cased tokens whose ambiguity the word list decides."""
    _, sources = read_pytickersymbols()
    for source in sources:
        display, aliases, shorts = name_forms(source.name)
        for alias in aliases + shorts:
            if " " not in alias:
                yield _POSSESSIVE.sub("", alias).lower()
        for listing in listings_of(source, set()):
            yield listing.symbol.split(".")[0].lower()
    for entry in curated["companies"]:
        for symbol in (entry["symbol"], *entry.get("listings", [])):
            yield symbol.split(".")[0].lower()
    no_words = Words(*(frozenset[str]() for _ in range(7)))
    for company in read_sec():
        for word in company.name.split():  # sec_display_name's acronym test
            yield word.rstrip(".,").lower()
        display, aliases, shorts = name_forms(sec_display_name(company.name, no_words))
        for alias in aliases + shorts:
            yield from (_POSSESSIVE.sub("", word).lower() for word in alias.split())
        yield from (symbol.split(".")[0].lower() for symbol in sec_symbols(company))


def update_words(folder: Path, curated_path: Path = CURATED, out: Path = WORDS) -> int:
    """Rewrite scripts/words.txt from Debian's wamerican and wamerican-large in ``folder``."""
    curated = json.loads(curated_path.read_text("utf-8"))
    wanted = set(word_candidates(curated))

    def read(name: str) -> set[str]:
        lines = (folder / name).read_text("utf-8", errors="replace").split("\n")
        return {w for w in lines if w and w.lower() in wanted}

    common, large = read("american-english"), read("american-english-large")
    rows = sorted(common) + sorted(f"{w}\trare" for w in large - common)
    header = (
        "# Entries of Debian's word lists (wamerican and wamerican-large 2020.12.07-2) that\n"
        "# collide with a generated alias or symbol. Lower case: ordinary words; capitalised:\n"
        "# proper nouns (ambiguous unless curated.json lists them under 'brands'); 'rare':\n"
        "# only in the large list, which makes names ambiguous but not symbols.\n"
        "# Regenerate: python scripts/build_companies.py --update-words /usr/share/dict\n"
    )
    out.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if companies.json is stale")
    parser.add_argument("--update-words", type=Path, metavar="DICT_DIR",
                        help="rewrite scripts/words.txt from Debian's word lists in DICT_DIR "
                        "(american-english, american-english-large), then build")  # fmt: skip
    parser.add_argument("--update-sec", type=Path, metavar="PARQUET",
                        help="rewrite scripts/sec_tickers.tsv from edgartools' "
                        "company_tickers.parquet (needs pyarrow), then build")  # fmt: skip
    parser.add_argument("--quiet", action="store_true", help="no summary")
    args = parser.parse_args(argv)
    if args.update_sec:
        print(f"{update_sec(args.update_sec)} rows kept in {SEC}")
    if args.update_words:
        print(f"{update_words(args.update_words)} words kept in {WORDS}")
    data, report = build()
    text = render(data)
    if not args.quiet:
        print(report)
    if args.check:
        current = OUTPUT.read_text("utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is not what the build produces; run {Path(__file__).name}")
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(data['companies'])} companies)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
