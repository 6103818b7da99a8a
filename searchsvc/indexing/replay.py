"""What each field's analyzer does to a text, token by token (GET /admin/analyze, and the
query side of /admin/explain).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from searchsvc.errors import BadParameter
from searchsvc.indexing.analysis import (
    POSSESSIVE,
    VALUE_SEPARATOR,
    WORD_PATTERN,
    PlainWordAnalyzer,
    TextAnalyzer,
    ValuesAnalyzer,
    fold,
    normalize_word,
    plain_word_of,
    term_of,
)
from searchsvc.indexing.schema import build_schema

# explain_analysis() replays a field's analyzer step by step with the very functions the
# analyzer calls (term_of, plain_word_of, the value split), so the terms it reports are the
# terms the indexer writes: tests/admin/test_inspection.py checks them against the schema's
# analyzers, including with Hypothesis.

# The filters each analyzer applies, in order (as /admin/analyze shows them).
ANALYZER_FILTERS: dict[str, tuple[str, ...]] = {
    "TextAnalyzer": ("words", "lowercase", "fold", "possessive", "apostrophe", "stop", "stem"),
    "PlainWordAnalyzer": (
        "words",
        "lowercase",
        "fold",
        "possessive",
        "apostrophe",
        "stop",
        "min_length_3",
        "no_numbers",
        "unique",
    ),
    "ValuesAnalyzer": ("split_values", "strip"),
    "IDTokenizer": ("whole_value",),
}


@dataclass(frozen=True)
class TokenStep:
    """One word (or value) through a field's analyzer: as written -> normalized -> term."""

    text: str  # as written in the input
    start: int  # text == input[start:end]
    end: int
    position: int | None  # the position the analyzer gives the term; None when dropped/none
    normalized: str  # folded (lowercase, accents), possessive dropped: the form before stemming
    stopword: bool
    term: str | None  # the indexed term; None when the analyzer drops the token
    dropped: str | None  # why there is no term: "stop word", "too short", "number", "repeat",
    # "empty"; None when there is one
    filters: tuple[str, ...]  # the filters that changed this token, in order


@dataclass(frozen=True)
class AnalyzerInfo:
    """Which analyzer a field runs, and its filters in order."""

    field: str
    name: str
    filters: tuple[str, ...]
    positions: bool  # whether the index records positions (phrase search) for the field


@lru_cache(maxsize=1)
def _index_schema() -> Any:
    return build_schema()


def analyzable_fields() -> tuple[str, ...]:
    """The indexed fields of the schema, sorted (the stored-only `doc` and `body_marks`
    are not)."""
    schema = _index_schema()
    return tuple(sorted(name for name in schema.names() if schema[name].indexed))


def _analyzer_of(field: str) -> Any:
    fields = analyzable_fields()
    if field not in fields:
        raise BadParameter(f"unknown field {field!r}; fields with an analyzer: {', '.join(fields)}")
    return _index_schema()[field].analyzer


def describe_analyzer(field: str) -> AnalyzerInfo:
    """The analyzer of an indexed field (BadParameter for any other name)."""
    analyzer = _analyzer_of(field)
    name = type(analyzer).__name__
    fmt = _index_schema()[field].format
    return AnalyzerInfo(
        field, name, ANALYZER_FILTERS.get(name, ()), bool(fmt and fmt.supports("positions"))
    )


def explain_analysis(field: str, text: str) -> list[TokenStep]:
    """Every token of ``text`` as ``field``'s analyzer sees it, in text order, dropped ones
    included. The ``term``s that are not None are exactly what the schema's analyzer yields
    for ``text`` (and in its order, except for `spelling`, whose analyzer yields each
    distinct word once, sorted). Raises BadParameter for a field that is not indexed."""
    analyzer = _analyzer_of(field)
    if isinstance(analyzer, TextAnalyzer):
        return _explain_words(text, plain=False)
    if isinstance(analyzer, PlainWordAnalyzer):
        return _explain_words(text, plain=True)
    if isinstance(analyzer, ValuesAnalyzer):
        return _explain_values(text)
    return _explain_tokens(analyzer, text)


def _explain_words(text: str, plain: bool) -> list[TokenStep]:
    steps: list[TokenStep] = []
    pos = 0
    seen: set[str] = set()
    for match in WORD_PATTERN.finditer(text):
        raw = match.group()
        lowered = raw.lower()
        folded = fold(raw)
        unpossessed = POSSESSIVE.sub("", folded)
        normalized = unpossessed.replace("’", "'")
        changed = [
            name
            for name, did in (
                ("lowercase", lowered != raw),
                ("fold", folded != lowered),
                ("possessive", unpossessed != folded),
                ("apostrophe", normalized != unpossessed),
            )
            if did
        ]
        stopword = bool(normalized) and normalize_word(raw) is None
        dropped: str | None = None
        position: int | None = None
        if plain:
            term = plain_word_of(raw)
            if term is None:
                dropped = (
                    "empty"
                    if not normalized
                    else "stop word"
                    if stopword
                    else "number"
                    if normalized.isdigit()
                    else "too short"
                )
            elif term in seen:
                term, dropped = None, "repeat"
            else:
                seen.add(term)
        else:
            term = term_of(raw)
            if term is None:
                dropped = "stop word" if stopword else "empty"
            else:
                position = pos
                pos += 1
                if term != normalized:
                    changed.append("stem")
        if dropped is not None and dropped != "repeat":
            changed.append(
                {"stop word": "stop", "too short": "min_length_3", "number": "no_numbers"}.get(
                    dropped, dropped
                )
            )
        steps.append(
            TokenStep(
                raw,
                match.start(),
                match.end(),
                position,
                normalized,
                stopword,
                term,
                dropped,
                tuple(changed),
            )
        )
    return steps


def _explain_values(text: str) -> list[TokenStep]:
    steps: list[TokenStep] = []
    offset = 0
    for pos, part in enumerate(text.split(VALUE_SEPARATOR)):
        value = part.strip()
        if value:
            start = offset + len(part) - len(part.lstrip())
            steps.append(
                TokenStep(
                    value,
                    start,
                    start + len(value),
                    pos,
                    value,
                    False,
                    value,
                    None,
                    ("strip",) if value != part else (),
                )
            )
        offset += len(part) + len(VALUE_SEPARATOR)
    return steps


def _explain_tokens(analyzer: Any, text: str) -> list[TokenStep]:
    """Any other analyzer (the ID fields' IDTokenizer): its tokens as they come."""
    steps: list[TokenStep] = []
    tokens = analyzer(text, positions=True, chars=True, mode="index")
    for position, token in enumerate(tokens):  # (IDTokenizer numbers its one token 1)
        start = getattr(token, "startchar", None)
        end = getattr(token, "endchar", None)
        if not isinstance(start, int) or not isinstance(end, int):
            start, end = 0, len(text)
        steps.append(
            TokenStep(
                text[start:end],
                start,
                end,
                position,
                token.text,
                False,
                token.text,
                None,
                (),
            )
        )
    return steps
