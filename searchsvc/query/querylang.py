"""The reader's query language: text in, a small immutable syntax tree out.

Grammar (see ../shared/API.md, "Query language"): plain words, "exact phrase", -exclude,
OR, (grouping), prefix*, field terms (title: tag: category: author: ticker:) and
published:YYYY-MM-DD..YYYY-MM-DD. Parsing is lenient by default; strict=True raises
QuerySyntaxError with the position where reading broke.

    query := conj                     conj  := disj ([AND] disj)*    (implicit AND)
    disj  := unary (OR unary)*        unary := -atom | -group | atom | group
    group := "(" conj ")"             atom  := word | word* | "phrase" | field:value

OR binds tighter than AND: ``a b OR c`` is ``And(a, Or(b, c))``. Nested Ands and nested
Ors are flattened; a one-child And/Or is returned unwrapped. A conjunction made only of
negations, at the top level or as an OR alternative, gets ``MatchAll()`` as its first
child so it means "everything except". A word right after ``-`` is taken as typed
(``--x`` excludes the word ``-x``, ``-OR`` excludes the word ``OR``).

Lenient parsing (the default) is the strict parser plus repair: on each error the
character(s) that broke reading are blanked out and the query is parsed again, so the
rest keeps its meaning and the result is always a tree the strict parser would give for
the repaired text. What gets blanked:

- an unclosed ``"``, an unclosed ``(`` or an unmatched ``)``: that character
  (``(tsmc OR samsung`` is ``Or(tsmc, samsung)``);
- an empty group ``()``: both parentheses;
- a dangling ``OR``/``AND`` (at either end, or doubled): that keyword;
- a stray ``-`` (followed by space, ``)`` or the end): the dash;
- a field with no value or an invalid date (``title:``, ``published:2025-13-01..x``):
  the colon, so the field name and the value become plain words;
- a ``(`` deeper than MAX_DEPTH: that parenthesis.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from searchsvc.query.dateranges import DateSyntaxError, date_range
from searchsvc.query.tree import (
    DATE_FIELD,
    And,
    DateRange,
    MatchAll,
    Node,
    Not,
    Or,
    Phrase,
    Word,
)

FIELDS = ("title", "tag", "category", "author", "ticker")


class QuerySyntaxError(ValueError):
    """Raised only with strict=True: the message says what broke and where."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.message = message
        self.position = position


MAX_DEPTH = 32  # parenthesis nesting; deeper is an error (strict) or plain text (lenient)
_KEYWORDS = ("OR", "AND")
_SYNTAX = '()"'  # characters that end a word


class _Broken(QuerySyntaxError):
    """A syntax error plus the span that lenient parsing blanks out before retrying."""

    def __init__(self, message: str, position: int, repair: tuple[int, int]) -> None:
        super().__init__(message, position)
        self.repair = repair


@dataclass(frozen=True)
class _Tok:
    kind: str  # "term", "(", ")", "-", "OR", "AND"
    pos: int
    end: int
    node: Node | None = None  # the leaf, for kind "term"


def parse(query: str, *, strict: bool = False) -> Node:
    """Parse a reader's query; lenient (never raises) unless strict=True."""
    text = query
    while True:
        try:
            return _Parser(text).parse()
        except _Broken as err:
            if strict:
                raise QuerySyntaxError(err.message, err.position) from None
            start, end = err.repair
            repaired = text[:start] + " " * (end - start) + text[end:]
            if repaired == text:  # cannot happen: every repair blanks a non-space
                return MatchAll()
            text = repaired


# --- tokenizer -----------------------------------------------------------------------


def _tokenize(text: str) -> Iterator[_Tok]:
    """Yield tokens lazily, so errors surface in reading order."""
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in "()":
            yield _Tok(char, i, i + 1)
            i += 1
        elif char == "-":
            after = text[i + 1] if i + 1 < n else ""
            if not after or after.isspace() or after == ")":
                raise _Broken("'-' needs something to exclude", i, (i, i + 1))
            if after == "(":
                yield _Tok("-", i, i + 1)
                i += 1
                continue
            term, i_end = _read_term(text, i + 1, keywords=False)
            if term is not None:  # "-" before nothing ("" or a lone *) is nothing
                yield _Tok("-", i, i + 1)
                yield term
            i = i_end
        else:
            term, i = _read_term(text, i, keywords=True)
            if term is not None:
                yield term


def _word_end(text: str, i: int) -> int:
    while i < len(text) and not text[i].isspace() and text[i] not in _SYNTAX:
        i += 1
    return i


def _read_phrase(text: str, i: int) -> tuple[tuple[str, ...], int]:
    close = text.find('"', i + 1)
    if close < 0:
        raise _Broken("unclosed quote", i, (i, i + 1))
    return tuple(text[i + 1 : close].split()), close + 1


def _word(raw: str, field: str | None) -> Word | None:
    """A word as typed; trailing stars make it a prefix, a lone star is nothing."""
    text = raw.rstrip("*")
    return Word(text, field, prefix=len(text) < len(raw)) if text else None


def _read_term(text: str, i: int, *, keywords: bool) -> tuple[_Tok | None, int]:
    """Read a phrase, a keyword, a field term or a word at i; None for nothing."""
    if text[i] == '"':
        words, end = _read_phrase(text, i)
        return (_Tok("term", i, end, Phrase(words)) if words else None), end
    end = _word_end(text, i)
    raw = text[i:end]
    if keywords and raw in _KEYWORDS:
        return _Tok(raw, i, end), end
    name, colon, _ = raw.partition(":")
    field = name.lower()
    if colon and (field in FIELDS or field == DATE_FIELD):
        return _read_field(text, i, name, i + len(name) + 1)
    node = _word(raw, None)
    return (_Tok("term", i, end, node) if node else None), end


def _read_field(text: str, start: int, name: str, vpos: int) -> tuple[_Tok, int]:
    """Read the value of `name:` starting at vpos (a word, prefix*, "phrase" or dates)."""
    field = name.lower()
    repair = (vpos - 1, vpos)  # the colon: field name and value become plain words
    node: Node | None
    if vpos < len(text) and text[vpos] == '"':
        words, end = _read_phrase(text, vpos)
        if field == DATE_FIELD and words:
            raise _Broken(f"field '{name}:' needs dates, not a phrase", vpos, repair)
        node = Phrase(words, field) if words else None
    else:
        end = _word_end(text, vpos)
        raw = text[vpos:end]
        if field == DATE_FIELD:
            node = _dates(raw, vpos, repair) if raw else None
        else:
            node = _word(raw, field)
    if node is None:
        raise _Broken(f"field '{name}:' needs a value", vpos, repair)
    return _Tok("term", start, end, node), end


def _dates(raw: str, pos: int, repair: tuple[int, int]) -> DateRange:
    try:
        start, end = date_range(raw)
    except DateSyntaxError as err:
        raise _Broken(err.message, pos + err.offset, repair) from None
    return DateRange(start, end)


# --- parser --------------------------------------------------------------------------

_OPERAND_START = ("term", "(", "-")


class _Parser:
    """Recursive descent over the lazy token stream, one token of lookahead."""

    def __init__(self, text: str) -> None:
        self._tokens = _tokenize(text)
        self._peek: _Tok | None = next(self._tokens, None)

    def _advance(self) -> _Tok:
        tok = self._peek
        assert tok is not None
        self._peek = next(self._tokens, None)
        return tok

    def parse(self) -> Node:
        if self._peek is None:
            return MatchAll()
        node = self._conj(0)
        if self._peek is not None:  # _conj stops only at ")" or the end
            tok = self._peek
            raise _Broken("unmatched ')'", tok.pos, (tok.pos, tok.end))
        return _everything_except(node)

    def _conj(self, depth: int) -> Node:
        children: list[Node] = []
        while self._peek is not None and self._peek.kind != ")":
            if self._peek.kind == "AND":
                keyword = self._advance()
                if not children or not self._operand_next():
                    raise _dangling(self._keyword_or(keyword))
                continue
            children.append(self._disj(depth))
        return _join(And, children)

    def _disj(self, depth: int) -> Node:
        children = [self._unary(depth)]
        while self._peek is not None and self._peek.kind == "OR":
            keyword = self._advance()
            if not self._operand_next():
                raise _dangling(self._keyword_or(keyword))
            children.append(self._unary(depth))
        if len(children) == 1:
            return children[0]
        return _join(Or, [_everything_except(child) for child in children])

    def _unary(self, depth: int) -> Node:
        tok = self._advance()
        if tok.kind in _KEYWORDS:
            raise _dangling(tok)
        if tok.kind == "-":  # the tokenizer puts a term or "(" after every "-"
            return Not(self._unary(depth))
        if tok.kind == "term":
            assert tok.node is not None
            return tok.node
        if depth >= MAX_DEPTH:
            msg = f"too many nested parentheses (at most {MAX_DEPTH})"
            raise _Broken(msg, tok.pos, (tok.pos, tok.end))
        if self._peek is not None and self._peek.kind == ")":
            raise _Broken("empty group '()'", tok.pos, (tok.pos, self._peek.end))
        node = self._conj(depth + 1)
        if self._peek is None:
            raise _Broken("unclosed parenthesis", tok.pos, (tok.pos, tok.end))
        self._advance()
        return node

    def _operand_next(self) -> bool:
        return self._peek is not None and self._peek.kind in _OPERAND_START

    def _keyword_or(self, keyword: _Tok) -> _Tok:
        """Blame the next token when it is a keyword too (`a OR OR b`), else `keyword`."""
        if self._peek is not None and self._peek.kind in _KEYWORDS:
            return self._peek
        return keyword


def _dangling(tok: _Tok) -> _Broken:
    return _Broken(f"'{tok.kind}' needs a term on both sides", tok.pos, (tok.pos, tok.end))


def _join(kind: type[And] | type[Or], children: list[Node]) -> Node:
    """And/Or of children, flattening nested ones of the same kind; one child unwrapped."""
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else (child,))
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


def _everything_except(node: Node) -> Node:
    """Give a conjunction of only negations a MatchAll to subtract from."""
    if isinstance(node, Not):
        return And((MatchAll(), node))
    if isinstance(node, And) and all(isinstance(child, Not) for child in node.children):
        return And((MatchAll(), *node.children))
    return node
