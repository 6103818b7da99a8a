"""Entities found in articles and queries: companies and their tickers, tags, keywords."""

from __future__ import annotations

from searchsvc.entities.dictionary import (
    CompanyDataError,
    CompanyDictionary,
    default_companies,
    load_companies,
)
from searchsvc.entities.model import Company, FormerName, TickerMention
from searchsvc.entities.tickers import extract_tickers, find_companies

__all__ = [
    "Company",
    "CompanyDataError",
    "CompanyDictionary",
    "FormerName",
    "TickerMention",
    "default_companies",
    "extract_tickers",
    "find_companies",
    "load_companies",
]
