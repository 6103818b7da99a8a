"""Regular expressions and word lists for ticker markup and the evidence rules.

:func:`markup_pattern` finds the three kinds of markup that :mod:`searchsvc.entities.tickers`
understands: a cashtag (``$NVDA``, ``$BRK.B``); an exchange prefix and code (``NASDAQ:
NVDA``, ``(NYSE:BABA)``, ``HKEX: 700``); an upper-case code in parentheses (``Meta
(META)``). Names of the dictionary are found by :mod:`searchsvc.entities.finder`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TypeAlias

Trie: TypeAlias = "dict[str, Trie]"

# Exchange prefix as written -> suffix of the listing symbol ("" for US markets), in the
# spellings of publishers, Yahoo, Google and S&P Capital IQ ("ENXTPA:MC", "SEHK:700").
# Tokyo's "TSE" is special-cased in :func:`prefixed_symbols` (numeric codes are Tokyo,
# alphabetic ones Toronto).
EXCHANGE_SUFFIXES: dict[str, str] = {
    **dict.fromkeys(
        "NASDAQ|NASDAQGS|NASDAQGM|NASDAQCM|NYSE|NYSE AMERICAN|NYSE ARCA|NYSEARCA|NYSEAMERICAN|"
        "NYSEMKT|AMEX|OTC|OTCQX|OTCQB|OTCPK|OTC MARKETS|OTCMKTS|PINK|CBOE|BATS".split("|"),
        "",
    ),
    **dict.fromkeys(["HKEX", "HKSE", "SEHK", "HK"], ".HK"),
    **dict.fromkeys(["TYO", "JPX", "TSE"], ".T"),
    **dict.fromkeys(["TWSE", "TPE"], ".TW"),
    "TPEX": ".TWO",
    **dict.fromkeys(["KRX", "KOSPI", "KSE", "KOSE"], ".KS"),
    "KOSDAQ": ".KQ",
    **dict.fromkeys(["SSE", "SHA", "SHSE"], ".SS"),
    **dict.fromkeys(["SZSE", "SHE"], ".SZ"),
    **dict.fromkeys(["LSE", "LON", "AIM"], ".L"),
    **dict.fromkeys(["EPA", "ENXTPA"], ".PA"),
    **dict.fromkeys(["AMS", "ENXTAM"], ".AS"),
    "ENXTBR": ".BR",
    "ENXTLS": ".LS",
    **dict.fromkeys(["ETR", "XETRA", "XTRA", "FRA"], ".DE"),
    **dict.fromkeys(["SIX", "SWX", "VTX"], ".SW"),
    **dict.fromkeys(["BIT", "MIL"], ".MI"),
    "BME": ".MC",
    "STO": ".ST",
    **dict.fromkeys(["HEL", "HLSE"], ".HE"),
    **dict.fromkeys(["CPH", "CPSE"], ".CO"),
    **dict.fromkeys(["OSL", "OSE"], ".OL"),
    **dict.fromkeys(["NSE", "NSEI"], ".NS"),
    "BSE": ".BO",
    "ASX": ".AX",
    "NZSE": ".NZ",
    "SGX": ".SI",
    "TSX": ".TO",
    "TSXV": ".V",
    "CNSX": ".CN",
    **dict.fromkeys(["NEO", "NEOE"], ".NE"),
    "BOVESPA": ".SA",
    "BMV": ".MX",
    "JSE": ".JO",
    "WSE": ".WA",
    "TASE": ".TA",
    "SASE": ".SR",
    "KLSE": ".KL",
}
# Country codes that prefix a code only inside parentheses, without a space: "(AU:BHP)".
COUNTRY_SUFFIXES: dict[str, str] = {
    "US": "", "AU": ".AX", "GB": ".L", "UK": ".L", "IL": ".TA", "DE": ".DE", "FR": ".PA",
    "NL": ".AS", "BE": ".BR", "IT": ".MI", "ES": ".MC", "CH": ".SW", "SE": ".ST", "NO": ".OL",
    "DK": ".CO", "FI": ".HE", "JP": ".T", "CA": ".TO", "KR": ".KS", "IN": ".NS", "SG": ".SI",
    "TW": ".TW", "ZA": ".JO", "NZ": ".NZ", "BR": ".SA", "MX": ".MX", "PL": ".WA",
}  # fmt: skip
# Spellings accepted besides the upper-case keys (publishers write "Nasdaq: NVDA").
_PREFIX_SPELLINGS = (
    "Nasdaq", "NasdaqGS", "NasdaqGM", "NasdaqCM", "NYSE American", "NYSE Arca", "OTC Markets",
    "Xetra",
)  # fmt: skip

# All-caps words of finance and technology news that are not tickers written bare: job
# titles, accounting terms, currencies, agencies, indices, units, corporate forms. A bare
# symbol spelled like one counts only with evidence, and none is an unknown symbol.
COMMON_ACRONYMS = frozenset(
    """
    CEO CFO COO CTO CIO CMO CSO CRO CCO CHRO CISO EVP SVP VP MD GM PR IR HR PM AM ET EST EDT
    PST PDT PT CT CST GMT UTC CET BST IST JST HKT SGT AI AGI ML LLM LLMS GPU GPUS CPU CPUS TPU
    NPU API APIS SDK IT IP IPO IPOS ETF ETFS ETN ETP EPS PE PEG ROE ROA ROI ROIC ROCE EBIT
    EBITA EBITDA EBITDAR GAAP IFRS FFO AFFO NOI NAV NAVS AUM ARR MRR TAM SAM CAGR YOY QOQ YTD
    MTD FY FYE TTM NTM LTM DCF FCF OCF CAPEX OPEX COGS SGA R&D M&A LBO SPAC SPACS REIT REITS
    BDC MLP CLO CDO MBS RMBS CMBS ABS CDS ADR ADRS ADS GDR DR NYSE NASDAQ AMEX OTC LSE TSX TSXV
    ASX HKEX SEHK SSE SZSE KRX TWSE NSE BSE JPX SGX JSE CBOE CME ICE LME SPX NDX VIX DJIA DAX
    FTSE CAC IBEX SMI STOXX KOSPI NIFTY SENSEX TOPIX HSI CSI MSCI TAIEX NYMEX COMEX SHFE DCE
    USD EUR GBP JPY CNY CNH RMB HKD
    INR KRW TWD CHF CAD AUD NZD SEK NOK DKK SGD BRL MXN ZAR RUB TRY PLN IDR THB MYR PHP VND SAR
    AED ILS US USA UK EU UN UAE NYC DC SF GDP GNP CPI PPI PCE PMI ISM NFP JOLTS FOMC FED ECB BOE
    BOJ PBOC RBI RBA RBNZ SNB BOC IMF WTO OPEC NATO WHO CDC FDA FTC SEC DOJ DOE DOD DOT DHS EPA
    IRS USAID FCC FAA NHTSA CFPB CFTC FDIC FINRA OCC NIH CMS EIA IEA USDA SBA CBO GAO OMB ESG EV EVS
    BEV PHEV ICE HEV AR VR XR IOT PC PCS OS USB SSD HDD DRAM NAND HBM LED OLED LCD ASIC FPGA SOC
    RAM TV HD UHD APP APPS SMS GPS WIFI LTE URL PDF CEO TBD FAQ OK NA ID PS NB VS LLC LLP LP
    PLC AG SA SE NV BV AB ASA OYJ SPA SAS GMBH KK INC CORP CO LTD BTC ETH XRP SOL DOGE ADA BNB
    USDT USDC NFT NFTS DEFI DAO WTI LNG LPG OEM OEMS B2B B2C D2C DTC SAAS PAAS IAAS CRM ERP
    NDA ANDA BLA IND MAA ADC ABR NNN T&D TI ASM CASM RASM
    HPC AWS GCP KPI KPIS SKU SKUS SME SMES MSME VC PE LP GP PIPE PR Q1 Q2 Q3 Q4 H1 H2 THE AND
    FOR WITH FROM ALSO NEW NEWS OF TO IN ON AT BY OR AS IS UP BUY SELL HOLD ALERT UPDATE
    """.split()
)

# A code after an exchange prefix, inside a cashtag, or in parentheses.
_CODE = r"[A-Z0-9][A-Z0-9&]{0,9}(?:[.\-/][A-Z0-9]{1,4})?"
_TAG = r"[A-Z][A-Z0-9]{0,5}(?:[.\-/][A-Z]{1,2})?"

# A corporate suffix right after a name: "Apple Inc.", "Shell plc", "Oracle Corp".
CORPORATE_SUFFIX = re.compile(
    r",?[ \t]+(?:Inc\b\.?|Incorporated\b|Corp\b\.?|Corporation\b|Co\.|Ltd\b\.?|Limited\b"
    r"|plc\b|PLC\b|p\.l\.c\.|AG\b|N\.V\.|NV\b|S\.A\.|SA\b|SE\b|ASA\b|Oyj\b|S\.p\.A\.|SpA\b"
    r"|LLC\b|L\.P\.|LP\b)"
)
# Words around a name that only a company takes: "Apple CEO", "Target shares", "Shell said",
# "shares of Oracle". Used for names that are ordinary words.
CONTEXT_AFTER = re.compile(
    r"(?:['\u2019]s)?[ \t]+(?:CEO|CFO|COO|(?i:chief executive|chief financial|founder"
    r"|co-founder|shares|stock|stockholders|shareholders)|said|says|reported|reports|announced"
    r"|announces|unveiled|launched|posted|plans)\b"  # verbs in lower case: not a headline's
    r"|(?:[ \t]+[A-Z][\w&\-]*)?[ \t]+Holdings\b"  # "Hertz Global Holdings"
)
CONTEXT_BEFORE = re.compile(
    r"(?i:shares|stock|stake|stakes|position|rating|ratings|holdings|investment)[ \t]+"
    r"(?:of|in|on)[ \t]+\Z"
)
POSSESSIVE = re.compile(r"['\u2019]s(?!\w)")
# What may stand between two names of a list: "Apple, Microsoft and Meta", "Apple/Google".
LIST_GAP = re.compile(
    r"(?:['\u2019]s)?[ \t]*"
    r"(?:,[ \t]*(?:(?:and|or|&)[ \t]+)?|(?:and|or|&|vs\.?|versus)[ \t]+|/[ \t]*)"
)
# After a name, words that make it another entity: a fund or vehicle carrying the sponsor's
# name ("Ares Capital", "NextEra Energy Partners", "Invesco Dorsey Wright SmallCap Momentum
# ETF"), an index named after an exchange or publisher ("Nasdaq Composite", "Hang Seng
# Index"), or a trust with a word of its own between ("Blackstone Mortgage Trust"; but
# "Digital Realty Trust" is Digital Realty).
OTHER_ENTITY = re.compile(
    r"(?:[ \t]+[A-Z][\w&.\-]*){0,4}?[ \t]+(?:Funds?|ETFs?|ETNs?|BDC|Acquisition|Capital"
    r"|Partners|Composite|Index|Indices|Industrial Average)\b"
    r"|(?:[ \t]+[A-Z][\w&.\-]*){1,3}?[ \t]+(?:Trusts?|REIT)\b"
)
# A photo credit before a name: "jewhyte/iStock Editorial via Getty Images" credits a picture,
# it does not write about the agency.
PHOTO_CREDIT_BEFORE = re.compile(r"\S/\S+(?:[ \t]+[A-Z]\S*){0,3}[ \t]+via[ \t]+\Z")
# After a bare symbol, a word that makes it part of another company's name: "LPL Financial"
# is not LG Display (LPL), "GS Prime" is Goldman's; the dictionary lists names it knows.
NAME_CONTINUES = re.compile(
    r"[ \t]+(?:Financial|Group|Holdings?|Bank|Bancorp|Capital|Energy|Technolog(?:y|ies)|Systems"
    r"|Industries|Partners|Pharmaceuticals|Therapeutics|Resources|Motors?|Airlines|Insurance"
    r"|Securities|Asset|Global|International|Corp|Corporation|Inc|Ltd|Limited|Company)\b"
)
# Before a name, a capitalised word that makes it a person's or another company's name:
# "CEO Dennis Woodside", "from Portland General Electric", "Mr. Cooper". Only a lone
# capitalised word after a lower-case word, a comma or a title ("CEO", "Chief Executive
# Officer Leroy Ball") counts (in a Title
# Case heading every word is capitalised), and not a nationality ("Chinese Alibaba") or a
# company ("Google DeepMind"); see tickers._proper_word_before.
PROPER_WORD_BEFORE = re.compile(
    r"(?:(?:(?<![\w'\u2019\-])[a-z][\w'\u2019\-]*|[,;]|\b[A-Z]{2,}|\b(?:Officer|President"
    r"|Director|Chairman|Chairwoman|Chair|Founder|Analyst|Manager|Minister|Secretary|Governor"
    r"|Senator|Partner|Head|Chief|Economist|Strategist))[ \t]+(?P<word>[A-Z][a-z]+)"
    r"|\b(?:Mr|Mrs|Ms|Dr|Sir)\.?)[ \t]+\Z"
)
DEMONYMS = frozenset(
    """
    American Canadian Mexican Brazilian Chilean Argentine British English Irish Scottish
    French German Dutch Belgian Swiss Austrian Italian Spanish Portuguese Greek Danish Swedish
    Norwegian Finnish Polish Czech Hungarian Russian Ukrainian Turkish Israeli Saudi Emirati
    Qatari Indian Pakistani Chinese Japanese Korean Taiwanese Vietnamese Thai Malaysian
    Singaporean Indonesian Filipino Australian African Nigerian European Asian Nordic
    """.split()
)
# A name that starts with a generic word is part of a longer name after any capitalised
# word, sentence-initial or possessive included: "People's Bank of China" is not Bank of
# China, "Portland General Electric" not General Electric.
GENERIC_FIRST_WORDS = frozenset(
    """
    Bank General National United American First Royal Standard Federal Central International
    Western Southern Northern Eastern Pacific Continental Global Public Commonwealth
    """.split()
)
CAPITAL_WORD_BEFORE = re.compile(r"(?<![\w'\u2019\-])(?P<word>[A-Z][\w\-]*)(?:['\u2019]s)?[ \t]+\Z")
NOT_A_NAME = frozenset("The A An This That These Its Our Their His Her Your My Both".split())
# A capitalised word after a name: a Title Case heading ("Hold GameStop Stock Now").
TITLE_WORD_AFTER = re.compile(r"[ \t]+[A-Z][a-z]")
# A name shaped like an amount ("3M" is also three million): it needs evidence.
QUANTITY = re.compile(r"\d+(?:[.,]\d+)?[KMBTkmbt]")
# Listing codes of markets, as Yahoo spells them: "0700.HK", "2330.TW", "SHEL.L". Found from
# the market suffix (a fast search for "."), then the code before it is checked.
LISTING_SUFFIX = re.compile(
    r"\.(?:HK|TWO?|KS|KQ|SS|SZ|BO|T|L|PA|AS|DE|SW|MI|MC|TO|AX|ST|HE|OL|CO|NS|BR|LS)(?![\w.])"
)
LISTING_CODE = re.compile(
    r"(?:\d{4,5}\.HK|\d{4,6}\.TWO?|\d{6}\.(?:KS|KQ|SS|SZ|BO)|\d{4}\.T"
    r"|[A-Z]{2,5}\.(?:L|PA|AS|DE|SW|MI|MC|TO|AX|ST|HE|OL|CO|NS|BR|LS))"
)
LISTING_HEAD = re.compile(r"(?<![\w.$])[0-9A-Z]{2,6}\Z")


def exchange_key(written: str) -> str:
    """Normalise an exchange prefix as written ("Nasdaq", "NYSE  American") to a table key."""
    return " ".join(written.upper().split())


def prefixed_symbols(exchange: str, code: str) -> list[str]:
    """Candidate dictionary symbols for ``code`` listed on ``exchange`` (best first)."""
    key = exchange_key(exchange)
    suffix = EXCHANGE_SUFFIXES.get(key, COUNTRY_SUFFIXES.get(key))
    if suffix is None:
        return []
    if suffix == "":
        return [code]
    if key == "TSE" and not code[:1].isdigit():
        suffix = ".TO"  # Toronto
    if suffix == ".HK" and code.isdigit():
        code = code.zfill(4)
    if suffix in (".KS", ".KQ") and code[:1] == "A" and code[1:].isdigit():
        code = code[1:]  # Korean codes are also written "A005930"
    candidates = [code + suffix]
    if "." in code:  # already qualified, e.g. "HKEX: 9988.HK"
        candidates.append(code)
    return candidates


# Every markup form holds one of these (a cashtag, a bracket, an exchange's colon); a text
# without them has no markup. Keep in step with _TAILS, _SEPARATOR and markup_trie().
MARKUP_SIGNS = ("$", "(", ":")
BOUNDARY = r"(?![\w&])"  # after a name or code: no letter, digit or "&"
_SEPARATOR = r"[ \t]*:[ \t]*"
_TAILS = {"$": _TAG + BOUNDARY, "(": _TAG + r"\)"}


def insert(root: Trie, literal: str, tail: str) -> None:
    """Add ``literal`` to a character trie, ending with the regex ``tail``."""
    node = root
    for ch in literal:
        node = node.setdefault(ch, {})
    node["\0" + tail] = {}  # keys longer than one character mark an end, with its tail


def render(node: Trie) -> str:
    """A trie as one regex: deeper branches first, then the tails that end here in the order
    they were inserted. Every branch starts with a literal character, so the regex engine
    skips ahead to the next possible first character (about 5x faster than an alternation)."""
    alternatives = [re.escape(k) + render(v) for k, v in sorted(node.items()) if len(k) == 1]
    alternatives += [k[1:] for k in node if len(k) > 1]
    return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"


def markup_trie() -> Trie:
    """Cashtags, ``(CODE)``, ``(AU:BHP)`` and exchange prefixes: the country form is tried
    before a bare ``(CODE)``, a longer exchange name before a shorter one."""
    root: Trie = {}
    for first, tail in _TAILS.items():
        insert(root, first, tail)
    for spelling in {*EXCHANGE_SUFFIXES, *_PREFIX_SPELLINGS}:
        insert(root, spelling, _SEPARATOR + _CODE + BOUNDARY)
    for country in COUNTRY_SUFFIXES:
        insert(root, f"({country}:", _CODE + r"\)")
    return root


@lru_cache(maxsize=2)
def markup_pattern(ignore_case: bool = False) -> re.Pattern[str]:
    """Ticker markup, without any company's name (see :mod:`searchsvc.entities.finder`).
    Compiled on first use, once per process: ~70 ms, which a process that only searches
    pays for the case-insensitive form alone."""
    return re.compile(render(markup_trie()), re.IGNORECASE if ignore_case else 0)
