"""What the text around a match says about it: whether it is the inside of a longer word
or number, and whether a word or name right before it makes it part of another name
(``CEO Dennis Woodside``, ``People's Bank of China``, ``Hero MotoCorp (HMC)``). The evidence
rules of :mod:`searchsvc.entities.tickers` and :mod:`searchsvc.entities.unknown` ask these.
"""

from __future__ import annotations

import re

from searchsvc.entities.dictionary import CompanyDictionary
from searchsvc.entities.model import Company
from searchsvc.entities.patterns import (
    CAPITAL_WORD_BEFORE,
    DEMONYMS,
    GENERIC_FIRST_WORDS,
    NOT_A_NAME,
    PROPER_WORD_BEFORE,
    TITLE_WORD_AFTER,
)

BLOCKED_BEFORE = frozenset("_&$")  # a match right after one of these is inside a longer token
_NUMBER_BEFORE = frozenset(".,~+-\u2013/$\u20ac\u00a3\u00a5#")  # "$56.3M", "~3M", "2-3M"
# Up to four capitalised words right before "(CODE)": "Hero MotoCorp (HMC)", "Lixte’s (LIXT)".
NAME_BEFORE = re.compile(
    r"(?:[A-Z][\w&.'\u2019\-]*[ \t]+){0,3}[A-Z][\w&.'\u2019\-]*(?:['\u2019]s)?[ \t]*\Z"
)
_NAME_WORD = re.compile(r"[^\W\d_]{3,}")
_FORM_WORDS = frozenset(
    "inc corp corporation company ltd limited plc group holdings class the".split()
)


def joined(text: str, start: int) -> bool:
    """Whether a match at ``start`` would be the inside of a longer word or number."""
    if not start:
        return False
    prev = text[start - 1]
    if prev.isalnum() or prev in BLOCKED_BEFORE:
        return True
    if prev == "-" and start >= 2 and text[start - 2].isalpha():
        return True  # the second half of a hyphenated word: "Clark-Gartner"
    return text[start].isdigit() and prev in _NUMBER_BEFORE


def proper_word_before(text: str, start: int, end: int, companies: CompanyDictionary) -> bool:
    """Whether a lone capitalised word or an honorific before a name makes it another name.

    Not a nationality ("Chinese Alibaba"), a company ("Google DeepMind"), nor a word of a
    Title Case heading ("to Hold GameStop Stock"): the word after the name is capitalised.
    A name starting with a generic word ("Bank of China") is part of a longer name after
    any capitalised word ("People's Bank of China").
    """
    if text[start:end].split(" ", 1)[0] in GENERIC_FIRST_WORDS:
        generic = CAPITAL_WORD_BEFORE.search(text, max(0, start - 40), start)
        if generic and names_another(generic["word"], companies):
            return True  # "People's Bank of China", "Portland General Electric"
    m = PROPER_WORD_BEFORE.search(text, max(0, start - 40), start)
    if m is None or m["word"] is None:
        return m is not None
    return names_another(m["word"], companies) and TITLE_WORD_AFTER.match(text, end) is None


def names_another(word: str, companies: CompanyDictionary) -> bool:
    """Whether a capitalised word before a name can start another name."""
    return not (word in DEMONYMS or word in NOT_A_NAME or word in companies.surfaces)


def other_name_before(text: str, start: int, company: Company) -> bool:
    """Whether "(CODE)" follows a capitalised name sharing no word with ``company``'s names.

    "Hero MotoCorp (HMC)" is Hero's ticker, not Honda's; "Taiwan Semi (TSM)" shares
    "Taiwan" with Taiwan Semiconductor Manufacturing and counts.
    """
    m = NAME_BEFORE.search(text, max(0, start - 60), start)
    if m is None:
        return False
    written = {w.lower() for w in _NAME_WORD.findall(m.group())} - _FORM_WORDS
    if not written:
        return False
    names = " ".join((company.name, *company.aliases)).lower()
    return not any(word in names for word in written)
