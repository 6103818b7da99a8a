"""The company dictionary: data in ``companies.json``, a schema check, lookups built once.

File format (the built-in file and a site owner's file are the same)::

    {"version": 1,
     "companies": [
       {"symbol": "TSM", "name": "Taiwan Semiconductor Manufacturing", "exchange": "NYSE",
        "aliases": ["TSMC", "Taiwan Semiconductor"], "listings": ["2330.TW"],
        "ambiguous": []}]}

``symbol``, ``name`` and ``exchange`` are required; ``aliases`` (names as written in text,
case-sensitive), ``listings`` (other symbols of the same company) and ``ambiguous`` (aliases
or symbols that are ordinary words, counted only with evidence) default to empty.
A site file's entry replaces the built-in entry with the same symbol and adds the others.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from searchsvc.entities import Company
from searchsvc.entities.patterns import mention_pattern

_KEYS = {"symbol", "name", "exchange", "aliases", "listings", "ambiguous"}
_TOP_KEYS = {"version", "description", "companies"}
_SYMBOL = re.compile(r"[A-Z0-9][A-Z0-9&]{0,11}(?:[.\-/][A-Z0-9]{1,4}){0,2}")
# Codes of markets whose listings are numeric, in Yahoo's spelling ("0700.HK", "7203.T").
_MARKET_CODES = {
    "HK": re.compile(r"\d{4,5}"),
    "TW": re.compile(r"\d{4,6}"),
    "TWO": re.compile(r"\d{4,6}"),
    "KS": re.compile(r"\d{6}"),
    "KQ": re.compile(r"\d{6}"),
    "SS": re.compile(r"\d{6}"),
    "SZ": re.compile(r"\d{6}"),
    "BO": re.compile(r"\d{6}"),
    "T": re.compile(r"\d{3}[0-9A-Z]"),
}
_ALIAS = re.compile(r"[^\W_](?:[^\n:]{0,78}[^\W_])?")  # ":" marks an exchange prefix
_EXCHANGE = re.compile(r"[A-Za-z][A-Za-z .&-]{0,39}")


class CompanyDataError(ValueError):
    """A company file that breaks the schema; names the file, the entry and the reason."""

    def __init__(self, source: str, entry: str, reason: str) -> None:
        super().__init__(f"{source}: {entry}: {reason}" if entry else f"{source}: {reason}")
        self.source = source
        self.entry = entry
        self.reason = reason


class Surface(NamedTuple):
    """One company a piece of text can stand for, and whether it needs evidence."""

    company: Company
    ambiguous: bool


def normalize_symbol(text: str) -> str:
    """Upper-case a symbol as a reader or publisher wrote it; pad Hong Kong codes."""
    symbol = text.strip().lstrip("$").upper()
    code, dot, market = symbol.rpartition(".")
    if dot and market == "HK" and code.isdigit():
        symbol = f"{code.zfill(4)}.HK"
    return symbol


def _hk_variants(symbol: str) -> list[str]:
    """'0700.HK' is also written '700.HK'."""
    code, dot, market = symbol.rpartition(".")
    if dot and market == "HK" and code.isdigit() and code.startswith("0"):
        return [f"{code.lstrip('0') or '0'}.HK"]
    return []


@dataclass(frozen=True, eq=False)
class CompanyDictionary:
    """Validated companies with their lookups; immutable, build once and share."""

    companies: tuple[Company, ...]
    by_symbol: Mapping[str, Company]  # canonical symbols and listings
    surfaces: Mapping[str, tuple[Surface, ...]]  # exact text -> companies (article side)
    folded: Mapping[str, tuple[Company, ...]]  # lower-cased text -> companies (query side)

    def __len__(self) -> int:
        return len(self.companies)

    def __iter__(self) -> Iterator[Company]:
        return iter(self.companies)

    def lookup(self, symbol: str) -> Company | None:
        """The company with this canonical symbol or listing ("$nvda", "700.HK" work)."""
        return self.by_symbol.get(normalize_symbol(symbol))

    def needs_context(self, symbol: str) -> bool:
        """Whether a bare ``symbol`` is too short or too ordinary to count on its own."""
        symbol = normalize_symbol(symbol)
        company = self.by_symbol.get(symbol)
        return company is None or len(symbol) < 2 or symbol in company.ambiguous

    @cached_property
    def article_pattern(self) -> re.Pattern[str]:
        """Case-sensitive one-pass pattern for articles."""
        return mention_pattern(self.surfaces)

    @cached_property
    def query_pattern(self) -> re.Pattern[str]:
        """Case-insensitive one-pass pattern for readers' queries."""
        return mention_pattern(self.folded, ignore_case=True)


def _strings(value: object, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"'{key}' must be a list of strings")
    if len(set(value)) != len(value):
        raise ValueError(f"'{key}' has duplicates")
    return value


def _check_symbol(symbol: str, key: str) -> None:
    if not _SYMBOL.fullmatch(symbol):
        raise ValueError(f"{key} {symbol!r} is not a symbol (upper-case, e.g. 'NVDA', '2330.TW')")
    code, dot, market = symbol.rpartition(".")
    form = _MARKET_CODES.get(market) if dot else None
    if form and not form.fullmatch(code):
        hint = f"; write {code.zfill(4)}.HK" if market == "HK" and code.isdigit() else ""
        raise ValueError(f"{key} {symbol!r} has a malformed .{market} code{hint}")


def _company(raw: object) -> Company:
    """One entry -> Company, or ValueError with the reason."""
    if not isinstance(raw, dict):
        raise ValueError("entry must be an object")
    unknown = set(raw) - _KEYS
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    for key in ("symbol", "name", "exchange"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ValueError(f"'{key}' is required and must be a non-empty string")
    symbol, name, exchange = raw["symbol"], raw["name"], raw["exchange"]
    _check_symbol(symbol, "symbol")
    if not _EXCHANGE.fullmatch(exchange):
        raise ValueError(f"exchange {exchange!r} is not an exchange name")
    aliases = _strings(raw.get("aliases", []), "aliases")
    listings = _strings(raw.get("listings", []), "listings")
    ambiguous = _strings(raw.get("ambiguous", []), "ambiguous")
    for alias in aliases:
        if not _ALIAS.fullmatch(alias) or len(alias) < 2:
            raise ValueError(
                f"alias {alias!r} must be 2-80 characters, one line, without ':', "
                "starting and ending with a letter or digit"
            )
    for listing in listings:
        _check_symbol(listing, "listing")
    if symbol in listings:
        raise ValueError(f"listing {symbol!r} repeats the symbol")
    known = {symbol, *aliases, *listings}
    for word in ambiguous:
        if word not in known:
            raise ValueError(f"ambiguous {word!r} is not one of its aliases, symbol or listings")
    return Company(symbol, name, exchange, tuple(aliases), tuple(listings), tuple(ambiguous))


def parse_companies(data: Any, source: str) -> tuple[Company, ...]:
    """Validate a decoded company file; raise :class:`CompanyDataError` naming the entry."""
    if not isinstance(data, dict) or not isinstance(data.get("companies"), list):
        raise CompanyDataError(source, "", "expected an object with a 'companies' list")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise CompanyDataError(source, "", f"unknown top-level keys {sorted(unknown)}")
    if data.get("version", 1) != 1:
        raise CompanyDataError(source, "", f"unsupported version {data['version']!r}")
    companies: dict[str, Company] = {}
    for index, raw in enumerate(data["companies"]):
        label = f"entry {index}"
        if isinstance(raw, dict) and isinstance(raw.get("symbol"), str):
            label += f" ({raw['symbol']})"
        try:
            company = _company(raw)
        except ValueError as exc:
            raise CompanyDataError(source, label, str(exc)) from None
        if company.symbol in companies:
            raise CompanyDataError(source, label, "symbol appears twice in this file")
        companies[company.symbol] = company
    return tuple(companies.values())


def build_dictionary(companies: tuple[Company, ...], source: str) -> CompanyDictionary:
    """Check conflicts between companies and build the lookups."""
    by_symbol: dict[str, Company] = {}
    for company in companies:
        for symbol in (company.symbol, *company.listings):
            other = by_symbol.setdefault(symbol, company)
            if other is not company:
                reason = f"symbol {symbol!r} is claimed by {other.symbol} and {company.symbol}"
                raise CompanyDataError(source, company.symbol, reason)
    surfaces: dict[str, dict[str, Surface]] = {}
    folded: dict[str, dict[str, Company]] = {}

    def add(text: str, company: Company, ambiguous: bool) -> None:
        entries = surfaces.setdefault(text, {})
        known = entries.get(company.symbol)
        entries[company.symbol] = Surface(company, ambiguous and (known is None or known.ambiguous))
        folded.setdefault(text.lower(), {})[company.symbol] = company

    claims: dict[str, list[Company]] = {}
    for company in companies:
        for alias in company.aliases:
            claims.setdefault(alias, []).append(company)
    for alias, claimants in claims.items():
        if len(claimants) > 1 and any(alias not in c.ambiguous for c in claimants):
            names = " and ".join(c.symbol for c in claimants)
            reason = f"alias {alias!r} is claimed by {names}; list it as ambiguous in each"
            raise CompanyDataError(source, claimants[-1].symbol, reason)
        owner = by_symbol.get(alias)
        for company in claimants:
            if owner is not None and owner is not company and alias not in company.ambiguous:
                reason = f"alias {alias!r} is the symbol of {owner.symbol}; list it as ambiguous"
                raise CompanyDataError(source, company.symbol, reason)
    for company in companies:
        for alias in company.aliases:
            for text in {alias, alias.replace("'", "\u2019")}:
                add(text, company, alias in company.ambiguous)
        for symbol in (company.symbol, *company.listings):
            if len(symbol) >= 2 and symbol not in company.ambiguous:
                for text in (symbol, *_hk_variants(symbol)):
                    add(text, company, False)
    return CompanyDictionary(
        companies=companies,
        by_symbol=MappingProxyType(by_symbol),
        surfaces=MappingProxyType({k: tuple(v.values()) for k, v in surfaces.items()}),
        folded=MappingProxyType({k: tuple(v.values()) for k, v in folded.items()}),
    )


def _read(path: Path | None) -> tuple[Any, str]:
    if path is None:
        text = resources.files("searchsvc.entities").joinpath("companies.json").read_text("utf-8")
        return json.loads(text), "companies.json (built in)"
    try:
        return json.loads(path.read_text(encoding="utf-8")), str(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise CompanyDataError(str(path), "", f"cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise CompanyDataError(str(path), "", f"not valid JSON: {exc}") from None


def load_companies(extra: Path | None = None) -> CompanyDictionary:
    """The built-in dictionary, merged with a site owner's file of the same format."""
    data, source = _read(None)
    merged = {c.symbol: c for c in parse_companies(data, source)}
    if extra is not None:
        data, source = _read(extra)
        merged.update((c.symbol, c) for c in parse_companies(data, source))
        source = f"{source} (merged with the built-in dictionary)"
    return build_dictionary(tuple(merged.values()), source)


@lru_cache(maxsize=1)
def default_companies() -> CompanyDictionary:
    """The built-in dictionary, loaded once per process."""
    return load_companies()
