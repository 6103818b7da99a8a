"""Regular expressions for ticker markup, built once per company dictionary.

One compiled pattern finds, in a single pass, the four kinds of mention that
:mod:`searchsvc.entities.tickers` understands: a cashtag (``$NVDA``, ``$BRK.B``); an
exchange prefix and code (``NASDAQ: NVDA``, ``(NYSE:BABA)``, ``HKEX: 700``); an upper-case
code in parentheses (``Meta (META)``); any name, alias or symbol of the dictionary (the
longest wins).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeAlias

_Trie: TypeAlias = "dict[str, _Trie]"

# Exchange prefix as written -> suffix of the listing symbol ("" for US markets).
# Tokyo's "TSE" is special-cased in :func:`prefixed_symbols` (numeric codes are Tokyo,
# alphabetic ones Toronto).
EXCHANGE_SUFFIXES: dict[str, str] = {
    **dict.fromkeys(
        "NASDAQ|NASDAQGS|NASDAQGM|NASDAQCM|NYSE|NYSE AMERICAN|NYSE ARCA|NYSEARCA|NYSEAMERICAN|"
        "AMEX|OTC|OTCQX|OTCQB|OTCPK|OTC MARKETS|OTCMKTS|PINK|CBOE|BATS".split("|"),
        "",
    ),
    **dict.fromkeys(["HKEX", "HKSE", "SEHK", "HK"], ".HK"),
    **dict.fromkeys(["TYO", "JPX", "TSE"], ".T"),
    **dict.fromkeys(["TWSE", "TPE"], ".TW"),
    "TPEX": ".TWO",
    **dict.fromkeys(["KRX", "KOSPI", "KSE"], ".KS"),
    "KOSDAQ": ".KQ",
    **dict.fromkeys(["SSE", "SHA"], ".SS"),
    **dict.fromkeys(["SZSE", "SHE"], ".SZ"),
    **dict.fromkeys(["LSE", "LON"], ".L"),
    "EPA": ".PA",
    "AMS": ".AS",
    **dict.fromkeys(["ETR", "XETRA", "FRA"], ".DE"),
    **dict.fromkeys(["SIX", "SWX", "VTX"], ".SW"),
    **dict.fromkeys(["BIT", "MIL"], ".MI"),
    "BME": ".MC",
    "STO": ".ST",
    "HEL": ".HE",
    "CPH": ".CO",
    "NSE": ".NS",
    "BSE": ".BO",
    "ASX": ".AX",
    "TSX": ".TO",
    "TSXV": ".V",
}
# Spellings accepted besides the upper-case keys (publishers write "Nasdaq: NVDA").
_PREFIX_SPELLINGS = (
    "Nasdaq", "NasdaqGS", "NasdaqGM", "NasdaqCM", "NYSE American", "NYSE Arca", "OTC Markets",
    "Xetra",
)  # fmt: skip

# A code after an exchange prefix, inside a cashtag, or in parentheses.
_CODE = r"[A-Z0-9][A-Z0-9&]{0,9}(?:[.\-/][A-Z0-9]{1,4})?"
_TAG = r"[A-Z][A-Z0-9]{0,5}(?:[.\-/][A-Z]{1,2})?"

# A corporate suffix right after a name: "Apple Inc.", "Shell plc", "Oracle Corp".
CORPORATE_SUFFIX = re.compile(
    r",?[ \t]+(?:Inc\b\.?|Incorporated\b|Corp\b\.?|Corporation\b|Co\.|Ltd\b\.?|Limited\b"
    r"|plc\b|PLC\b|p\.l\.c\.|AG\b|N\.V\.)"
)


def exchange_key(written: str) -> str:
    """Normalise an exchange prefix as written ("Nasdaq", "NYSE  American") to a table key."""
    return " ".join(written.upper().split())


def prefixed_symbols(exchange: str, code: str) -> list[str]:
    """Candidate dictionary symbols for ``code`` listed on ``exchange`` (best first)."""
    key = exchange_key(exchange)
    suffix = EXCHANGE_SUFFIXES.get(key)
    if suffix is None:
        return []
    if suffix == "":
        return [code]
    if key == "TSE" and not code[:1].isdigit():
        suffix = ".TO"  # Toronto
    if suffix == ".HK" and code.isdigit():
        code = code.zfill(4)
    candidates = [code + suffix]
    if "." in code:  # already qualified, e.g. "HKEX: 9988.HK"
        candidates.append(code)
    return candidates


_BOUNDARY = r"(?![\w&])"
_SEPARATOR = r"[ \t]*:[ \t]*"
_TAILS = {"$": _TAG + _BOUNDARY, "(": _TAG + r"\)"}


def _insert(root: _Trie, literal: str, tail: str) -> None:
    node = root
    for ch in literal:
        node = node.setdefault(ch, {})
    node["\0" + tail] = {}  # keys longer than one character mark an end, with its tail


def _render(node: _Trie) -> str:
    alternatives = [re.escape(k) + _render(v) for k, v in sorted(node.items()) if len(k) == 1]
    alternatives += [k[1:] for k in node if len(k) > 1]  # after the longer literals
    return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"


def mention_pattern(literals: Iterable[str], *, ignore_case: bool = False) -> re.Pattern[str]:
    """One pattern for cashtags, ``(CODE)``, exchange prefixes and the dictionary's literals.

    It is a single character trie whose branches all start with a literal character, so the
    regex engine skips ahead to the next possible first character (about 5x faster than an
    alternation of sub-patterns). The kind of a match is read from its text: ``$`` starts a
    cashtag, ``(`` a parenthesised code, a ``:`` marks an exchange prefix, anything else is a
    literal. A literal is followed by no letter, digit or ``&``.
    """
    root: _Trie = {}
    for first, tail in _TAILS.items():
        _insert(root, first, tail)
    for spelling in {*EXCHANGE_SUFFIXES, *_PREFIX_SPELLINGS}:
        _insert(root, spelling, _SEPARATOR + _CODE + _BOUNDARY)
    for literal in literals:
        _insert(root, literal, _BOUNDARY)
    source = _render(root)
    if not source.startswith("(?:"):
        source = f"(?:{source})"
    return re.compile(source, re.IGNORECASE if ignore_case else 0)
