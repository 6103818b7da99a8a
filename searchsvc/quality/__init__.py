"""Measuring the engine: relevance against judgments, and symbols the dictionary lacks."""

from searchsvc.quality.relevance import evaluate, read_judgments
from searchsvc.quality.unknowns import unknown_symbols

__all__ = ["evaluate", "read_judgments", "unknown_symbols"]
