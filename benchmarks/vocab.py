"""Search-box vocabulary shared by the query mix and the synthetic corpus, plus a tokenizer."""

from __future__ import annotations

import re
import unicodedata

# (display name, symbol): what readers of a finance/technology site type into the search box.
COMPANIES: tuple[tuple[str, str], ...] = (
    ("Nvidia", "NVDA"), ("Tesla", "TSLA"), ("Apple", "AAPL"), ("Microsoft", "MSFT"),
    ("Amazon", "AMZN"), ("Alphabet", "GOOGL"), ("Google", "GOOGL"), ("Meta", "META"),
    ("Netflix", "NFLX"), ("Intel", "INTC"), ("AMD", "AMD"), ("Broadcom", "AVGO"),
    ("TSMC", "TSM"), ("Qualcomm", "QCOM"), ("Palantir", "PLTR"), ("Alibaba", "BABA"),
    ("Tencent", "TCEHY"), ("Baidu", "BIDU"), ("Samsung", "005930.KS"), ("Boeing", "BA"),
    ("Pfizer", "PFE"), ("Moderna", "MRNA"), ("Walmart", "WMT"), ("Costco", "COST"),
    ("JPMorgan", "JPM"), ("Goldman Sachs", "GS"), ("Citigroup", "C"), ("Berkshire", "BRK.B"),
    ("Visa", "V"), ("PayPal", "PYPL"), ("Coinbase", "COIN"), ("MicroStrategy", "MSTR"),
    ("Ford", "F"), ("Rivian", "RIVN"), ("Uber", "UBER"), ("Disney", "DIS"), ("Oracle", "ORCL"),
    ("Salesforce", "CRM"), ("Micron", "MU"), ("Super Micro", "SMCI"), ("Robinhood", "HOOD"),
    ("BlackRock", "BLK"), ("Exxon", "XOM"), ("Chevron", "CVX"), ("Eli Lilly", "LLY"),
    ("Novo Nordisk", "NVO"),
)  # fmt: skip

# Things that are not listed companies but are searched like them.
NAMES = ("bitcoin", "ethereum", "solana", "xrp", "dogecoin", "openai", "deepseek", "trump")

TOPICS = (
    "earnings", "tariffs", "tariff", "inflation", "rates", "guidance", "chips", "revenue",
    "dividend", "buyback", "ipo", "merger", "acquisition", "layoffs", "fed", "treasury",
    "yields", "oil", "gold", "crypto", "stablecoin", "etf", "outlook", "forecast", "downgrade",
    "upgrade", "profit", "quarterly", "sales", "semiconductor", "ai", "china", "regulation",
    "lawsuit", "sec", "stocks", "rally", "selloff", "recession", "jobs", "payrolls", "cpi",
    "bonds", "dollar", "bank", "insurance", "vaccine", "fda", "approval", "deal", "stake",
    "shares", "valuation", "analyst", "investors", "debt", "bankruptcy", "housing", "mortgage",
)  # fmt: skip

PHRASES = (
    "data center", "interest rates", "artificial intelligence", "federal reserve",
    "price target", "earnings call", "stock split", "supply chain", "electric vehicles",
    "rate cut", "share buyback", "wall street", "trade war", "market cap", "free cash flow",
    "fourth quarter", "annual report", "all time high", "net income", "private equity",
)  # fmt: skip

STOPWORDS = frozenset(
    "a an and are as at be been but by can could did do does for from had has have he her his"
    " how i if in into is it its may more most new no not of on or our over says said she so"
    " than that the their them then there these they this to up was we were what when which"
    " who will with would you your after about also all out just one two three per via vs amid"
    " here why".split()
)

_TOKEN = re.compile(r"[a-z0-9]+")

# Used by the synthetic corpus when no real corpus is around to lend its vocabulary.
BUILTIN_WORDS = (
    "market", "markets", "stock", "shares", "investors", "analysts", "quarter", "growth",
    "revenue", "earnings", "profit", "margin", "guidance", "outlook", "demand", "supply",
    "prices", "price", "rates", "inflation", "economy", "economic", "policy", "central",
    "bank", "banks", "federal", "reserve", "treasury", "yields", "bond", "bonds", "dollar",
    "currency", "trade", "tariffs", "exports", "imports", "china", "europe", "japan", "india",
    "technology", "software", "cloud", "computing", "chips", "semiconductor", "artificial",
    "intelligence", "model", "models", "data", "center", "centers", "servers", "capacity",
    "investment", "spending", "capital", "funding", "startup", "valuation", "deal", "merger",
    "acquisition", "regulators", "regulation", "approval", "lawsuit", "court", "ruling",
    "company", "companies", "executive", "chief", "officer", "board", "plan", "plans",
    "strategy", "results", "report", "reported", "expected", "estimates", "consensus",
    "forecast", "sales", "customers", "users", "subscribers", "platform", "product",
    "products", "launch", "launched", "vehicles", "electric", "battery", "energy", "oil",
    "gas", "gold", "crypto", "token", "tokens", "exchange", "trading", "traders", "volume",
    "rally", "selloff", "decline", "gain", "gains", "losses", "record", "high", "low",
    "week", "month", "year", "annual", "quarterly", "dividend", "buyback", "debt", "cash",
    "flow", "costs", "jobs", "layoffs", "workers", "hiring", "consumer", "retail", "housing",
    "mortgage", "health", "drug", "trial", "vaccine", "pharma", "insurance", "risk", "risks",
    "volatility", "index", "fund", "funds", "etf", "portfolio", "upgrade", "downgrade",
    "target", "rating", "buy", "sell", "hold", "strong", "weak", "slow", "rising", "falling",
)  # fmt: skip


def tokens(text: str) -> list[str]:
    """Lower-case, accent-free word tokens of ``text`` (a rough stand-in for both analyzers)."""
    folded = unicodedata.normalize("NFKD", text.lower())
    return _TOKEN.findall(folded.encode("ascii", "ignore").decode("ascii"))


def is_content_word(word: str) -> bool:
    """A word a reader might type: alphabetic, 3+ letters, not a stopword."""
    return len(word) >= 3 and word.isalpha() and word not in STOPWORDS
