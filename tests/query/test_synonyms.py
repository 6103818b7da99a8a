"""Synonyms as a specification: the file format, its errors, matching a query's words, the
built-in list, and a file that reloads itself. Then properties of the parser."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from searchsvc.errors import BadParameter
from searchsvc.indexing.analysis import term_of
from searchsvc.query.synonyms import (
    BUILT_IN_SOURCE,
    BadSynonyms,
    Entry,
    SynonymFile,
    Synonyms,
    analysed,
    load_synonyms,
    parse_synonyms,
)


def E(text: str) -> Entry:
    """An entry as written: "high bandwidth memory" -> ("high", "bandwidth", "memory")."""
    return tuple(text.split())


def Es(*texts: str) -> tuple[Entry, ...]:
    return tuple(E(text) for text in texts)


# text -> (line, sources, targets, equivalent) of each rule
FORMS: list[tuple[str, list[tuple[int, tuple[Entry, ...], tuple[Entry, ...], bool]]]] = [
    ("w, b", [(1, Es("w", "b"), Es("w", "b"), True)]),
    (
        "HBM, high bandwidth memory",
        [(1, Es("HBM", "high bandwidth memory"), Es("HBM", "high bandwidth memory"), True)],
    ),
    (
        "  fed ,\tFederal   Reserve  ",
        [(1, Es("fed", "Federal Reserve"), Es("fed", "Federal Reserve"), True)],
    ),
    ("w, b, c", [(1, Es("w", "b", "c"), Es("w", "b", "c"), True)]),
    ("BoE => Bank of England", [(1, Es("BoE"), Es("Bank of England"), False)]),
    ("w, b => c, d", [(1, Es("w", "b"), Es("c", "d"), False)]),
    ("w=>b", [(1, Es("w"), Es("b"), False)]),
    # blank lines and comments are skipped, and still counted in line numbers
    ("# a comment\n\n   # indented comment\nx, y\n", [(4, Es("x", "y"), Es("x", "y"), True)]),
    ("x, y   # after whitespace, a comment", [(1, Es("x", "y"), Es("x", "y"), True)]),
    ("x, y\t# a tab before it counts too", [(1, Es("x", "y"), Es("x", "y"), True)]),
    # "#" inside a word is not a comment
    ("C#, csharp", [(1, Es("C#", "csharp"), Es("C#", "csharp"), True)]),
    ("w, b\r\nc => d\r\n", [(1, Es("w", "b"), Es("w", "b"), True), (2, Es("c"), Es("d"), False)]),
    ("", []),
    ("\n# only comments\n\n", []),
    # entries are kept as written: stop words and case too
    (
        "Bank of America, BofA",
        [(1, Es("Bank of America", "BofA"), Es("Bank of America", "BofA"), True)],
    ),
]


@pytest.mark.parametrize(("text", "rules"), FORMS)
def test_forms(
    text: str, rules: list[tuple[int, tuple[Entry, ...], tuple[Entry, ...], bool]]
) -> None:
    parsed = parse_synonyms(text, "test.txt")
    assert parsed.source == "test.txt"
    assert [(r.line, r.sources, r.targets, r.equivalent) for r in parsed.rules] == rules


def test_rule_text_is_the_line_without_its_comment() -> None:
    (rule,) = parse_synonyms("\n  w, b => c   # why\n", "test.txt").rules
    assert rule.text == "w, b => c"


ERRORS = [
    ("w,, b", 'test.txt line 1: empty entry before ","'),
    (", w", 'test.txt line 1: empty entry before ","'),
    ("w, b,", 'test.txt line 1: empty entry after ","'),
    ("w, b,   # a comment does not count as an entry", 'test.txt line 1: empty entry after ","'),
    ("w, => b", 'test.txt line 1: empty entry after ","'),
    ("w => b, ,c", 'test.txt line 1: empty entry before ","'),
    ("w => b => c", 'test.txt line 1: "=>" more than once'),
    ("=> b", 'test.txt line 1: no entry before "=>"'),
    ("w =>", 'test.txt line 1: no entry after "=>"'),
    (
        "lonely",
        'test.txt line 1: only one entry, "lonely": an equivalence needs two, separated by ","',
    ),
    # only stop words: the entry would match nothing
    ("the, a", 'test.txt line 1: "the" has no searchable words (only stop words?)'),
    ("x => of the", 'test.txt line 1: "of the" has no searchable words (only stop words?)'),
    ("x, !!!", 'test.txt line 1: "!!!" has no searchable words (only stop words?)'),
    # the line number counts blank and comment lines
    ("w, b\n\n# c\nd, e\nf,, g", 'test.txt line 5: empty entry before ","'),
]


@pytest.mark.parametrize(("text", "message"), ERRORS)
def test_errors_name_the_source_and_line(text: str, message: str) -> None:
    with pytest.raises(BadSynonyms) as caught:
        parse_synonyms(text, "test.txt")
    assert caught.value.message == message


def test_bad_synonyms_is_a_bad_parameter_with_its_own_code() -> None:
    error = BadSynonyms("x")
    assert isinstance(error, BadParameter)
    assert (error.code, error.status) == ("bad_synonyms", 400)


# rules, query words -> (start, end, alternatives as text) of each match
MATCHES: list[tuple[str, list[str], list[tuple[int, int, list[str]]]]] = [
    ("centre, center", ["Data", "centres", "AI"], [(1, 2, ["center"])]),  # plural, stemmed
    ("centre, center", ["CENTER"], [(0, 1, ["centre"])]),  # case
    ("café, coffee shop", ["Cafes"], [(0, 1, ["coffee shop"])]),  # accents
    ("cafe, coffee shop", ["CAFÉ"], [(0, 1, ["coffee shop"])]),
    ("Fed, Federal Reserve", ["Fed's", "rate"], [(0, 1, ["Federal Reserve"])]),  # possessive
    ("Fed, Federal Reserve", ["the", "federal", "reserve"], [(1, 3, ["Fed"])]),
    ("Fed, Federal Reserve", ["federal"], []),  # half an entry is no match
    ("Fed, Federal Reserve", [], []),
    # a stop word inside an entry: both sides analyse to ("bank", "america")
    ("Bank of America, BofA", ["bank", "of", "america"], [(0, 3, ["BofA"])]),
    ("Bank of America, BofA", ["Bank", "America"], [(0, 2, ["BofA"])]),
    ("BofA, Bank of America", ["BofA"], [(0, 1, ["Bank of America"])]),
    # a word of two terms matches as a whole, never in part
    ("Q1, first quarter", ["first-quarter", "EPS"], [(0, 1, ["Q1"])]),
    ("first, 1st", ["first-quarter"], []),
    ("M&A, mergers and acquisitions", ["M&A"], [(0, 1, ["mergers and acquisitions"])]),
    # "&" alone analyses to nothing, like a stop word
    ("M&A, mergers and acquisitions", ["Mergers", "&", "Acquisitions"], [(0, 3, ["M&A"])]),
    # the longest match at a position wins
    (
        "bank, lender\nBank of America, BofA",
        ["Bank", "of", "America", "results"],
        [(0, 3, ["BofA"])],
    ),
    ("Bank of America, BofA\nbank, lender", ["bank", "loans"], [(0, 1, ["lender"])]),
    # leftmost first, and matches never overlap: "learning rate" is not matched
    ("machine learning, ML\nlearning rate, LR", ["machine", "learning", "rate"], [(0, 2, ["ML"])]),
    ("machine learning, ML\nlearning rate, LR", ["learning", "rate", "machine"], [(0, 2, ["LR"])]),
    (
        "Fed, Federal Reserve\nECB, European Central Bank",
        ["Fed", "and", "ECB"],
        [(0, 1, ["Federal Reserve"]), (2, 3, ["European Central Bank"])],
    ),
    # one-way: a source finds the targets, a target finds nothing
    ("BoE => Bank of England", ["BoE"], [(0, 1, ["Bank of England"])]),
    ("BoE => Bank of England", ["Bank", "of", "England"], []),
    ("w, b => c, d", ["b"], [(0, 1, ["c", "d"])]),
    ("w, b => c, d", ["w"], [(0, 1, ["c", "d"])]),  # the other source is not found
    # never the matched entry itself, compared as analysed
    ("colour => colour, color", ["colours"], [(0, 1, ["color"])]),
    ("centre, centres, center", ["centre"], [(0, 1, ["center"])]),
    # a match that would add nothing is left out, and still takes its words
    ("colour => colours\nred, crimson", ["colour", "red"], [(1, 2, ["crimson"])]),
    ("colour red => colours red\nred, crimson", ["colour", "red"], []),
    # rules matching the same words merge, in file order, without repeats
    (
        "Fed, Federal Reserve\nFed => central bank, federal reserve",
        ["fed"],
        [(0, 1, ["Federal Reserve", "central bank"])],
    ),
    (
        "Fed => central bank\nFed, Federal Reserve",
        ["FED"],
        [(0, 1, ["central bank", "Federal Reserve"])],
    ),
]


@pytest.mark.parametrize(("rules", "words", "matches"), MATCHES)
def test_find(rules: str, words: list[str], matches: list[tuple[int, int, list[str]]]) -> None:
    found = parse_synonyms(rules, "test.txt").find(words)
    assert [(m.start, m.end, [" ".join(a) for a in m.alternatives]) for m in found] == matches


def test_a_merged_match_names_the_first_rule() -> None:
    synonyms = parse_synonyms("Fed => central bank\nFed, Federal Reserve", "test.txt")
    (match,) = synonyms.find(["fed"])
    assert match.rule is synonyms.rules[0]


def test_to_json() -> None:
    synonyms = parse_synonyms("# why\nHBM, high bandwidth memory\nBoE => Bank of England", "s.txt")
    assert synonyms.to_json() == {
        "source": "s.txt",
        "rules": [
            {
                "line": 2,
                "text": "HBM, high bandwidth memory",
                "equivalent": True,
                "sources": ["HBM", "high bandwidth memory"],
                "targets": ["HBM", "high bandwidth memory"],
            },
            {
                "line": 3,
                "text": "BoE => Bank of England",
                "equivalent": False,
                "sources": ["BoE"],
                "targets": ["Bank of England"],
            },
        ],
        "count": 2,
    }


@pytest.fixture(scope="module")
def built_in() -> Synonyms:
    return load_synonyms(None)


# a query -> an alternative the built-in list must give it
REQUIRED = [
    ("HBM", "high bandwidth memory"),
    ("high bandwidth memory", "HBM"),
    ("EVs", "electric vehicle"),  # the plural by stemming
    ("electric vehicles", "EV"),
    ("AI", "artificial intelligence"),
    ("artificial intelligence", "AI"),
    ("IPOs", "initial public offering"),
    ("initial public offering", "IPO"),
    ("M&A", "mergers and acquisitions"),
    ("mergers and acquisitions", "M&A"),
    ("GPUs", "graphics processing unit"),
    ("graphics processing units", "GPU"),
    ("Fed", "Federal Reserve"),
    ("Federal Reserve", "Fed"),
    ("centres", "center"),
    ("center", "centre"),
    ("LLMs", "large language model"),
    ("earnings per share", "EPS"),
    ("chip makers", "chipmaker"),
    ("BoE", "Bank of England"),
]


@pytest.mark.parametrize(("query", "alternative"), REQUIRED)
def test_the_built_in_list_has_the_required_pairs(
    built_in: Synonyms, query: str, alternative: str
) -> None:
    words = query.split()
    found = built_in.find(words)
    assert [(m.start, m.end) for m in found] == [(0, len(words))]
    assert E(alternative) in found[0].alternatives


def test_the_built_in_list_is_short_and_says_why(built_in: Synonyms) -> None:
    assert built_in.source == BUILT_IN_SOURCE
    assert 20 <= len(built_in.rules) <= 40
    # every rule, or the group of rules it belongs to, follows a comment with its evidence
    lines = (
        resources.files("searchsvc.query").joinpath("synonyms.txt").read_text("utf-8").split("\n")
    )
    rule_lines = {rule.line for rule in built_in.rules}
    for rule in built_in.rules:
        above = rule.line - 1
        while above in rule_lines:
            above -= 1
        assert lines[above - 1].startswith("# "), rule.text


def test_the_bank_of_england_does_not_find_boeing(built_in: Synonyms) -> None:
    assert built_in.find(["Bank", "of", "England"]) == []


def test_load_a_file(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.txt"
    path.write_text("# mine\nAI, artificial intelligence\n", encoding="utf-8")
    synonyms = load_synonyms(path)
    assert synonyms.source == str(path)
    assert [rule.line for rule in synonyms.rules] == [2]


@pytest.mark.parametrize(
    "make",
    [
        lambda tmp: tmp / "absent.txt",
        lambda tmp: tmp,  # a directory
        lambda tmp: _written(tmp / "latin1.txt", "café, coffee".encode("latin-1")),
    ],
    ids=["missing", "directory", "not-utf8"],
)
def test_an_unreadable_file_names_its_path(tmp_path: Path, make: Callable[[Path], Path]) -> None:
    path = make(tmp_path)
    with pytest.raises(BadSynonyms, match="cannot read") as caught:
        load_synonyms(path)
    assert caught.value.message.startswith(f"{path}: ")


def test_a_bad_line_names_the_file(tmp_path: Path) -> None:
    path = _written(tmp_path / "synonyms.txt", b"w, b\nc,\n")
    with pytest.raises(BadSynonyms) as caught:
        load_synonyms(path)
    assert caught.value.message == f'{path} line 2: empty entry after ","'


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def rewrite(path: Path, text: str) -> None:
    """Write ``text`` and move the file's mtime a second on, so a change shows even where
    the filesystem's clock is coarse."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    after = max(path.stat().st_mtime_ns, before + 1_000_000_000)
    os.utime(path, ns=(after, after))


def alternatives_of(synonyms: Synonyms, query: str) -> list[list[str]]:
    return [[" ".join(a) for a in m.alternatives] for m in synonyms.find(query.split())]


def test_a_file_reloads_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.txt"
    rewrite(path, "AI, artificial intelligence\n")
    synonyms = SynonymFile(path, check_interval=0)
    first = synonyms.current()
    assert alternatives_of(first, "AI") == [["artificial intelligence"]]
    assert synonyms.current() is first  # unchanged: not read again
    rewrite(path, "AI, artificial intelligence, machine intelligence\n")
    assert alternatives_of(synonyms.current(), "AI") == [
        ["artificial intelligence", "machine intelligence"]
    ]
    assert synonyms.last_error is None


def test_a_bad_reload_keeps_the_rules_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.txt"
    rewrite(path, "AI, artificial intelligence\n")
    synonyms = SynonymFile(path, check_interval=0)
    good = synonyms.current()
    rewrite(path, "AI, artificial intelligence\nhalf a line,\n")  # the editor's save
    assert synonyms.current() is good
    assert synonyms.last_error == f'{path} line 2: empty entry after ","'
    path.unlink()  # replaced by rename: gone for a moment
    assert synonyms.current() is good
    assert synonyms.last_error is not None and "cannot read" in synonyms.last_error
    rewrite(path, "")  # an editor saving in place: truncated, not yet written
    assert synonyms.current() is good
    assert synonyms.last_error == f"{path}: empty (being written?): kept the rules before"
    rewrite(path, "EV, electric vehicle\n")
    assert alternatives_of(synonyms.current(), "EV") == [["electric vehicle"]]
    assert synonyms.last_error is None
    rewrite(path, "# synonyms off for now\n")
    assert synonyms.current().rules == ()


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read"), ("AI\n", "line 1: only one entry")],
    ids=["missing", "bad-line"],
)
def test_a_bad_first_load_raises(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "synonyms.txt"
    if content is not None:
        rewrite(path, content)
    with pytest.raises(BadSynonyms, match=message) as caught:
        SynonymFile(path)
    assert str(path) in caught.value.message


def test_the_file_is_checked_at_most_every_check_interval(tmp_path: Path) -> None:
    now = [100.0]
    path = tmp_path / "synonyms.txt"
    rewrite(path, "AI, artificial intelligence\n")
    synonyms = SynonymFile(path, check_interval=5.0, clock=lambda: now[0])
    first = synonyms.current()
    rewrite(path, "EV, electric vehicle\n")
    now[0] += 4.9
    assert synonyms.current() is first
    now[0] += 0.1
    assert alternatives_of(synonyms.current(), "EV") == [["electric vehicle"]]


def test_no_path_is_the_built_in_list(built_in: Synonyms) -> None:
    synonyms = SynonymFile(None, check_interval=0)
    assert synonyms.current() == built_in
    assert synonyms.last_error is None


def test_readers_in_threads_always_get_a_whole_list(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.txt"
    versions = ["AI, artificial intelligence\n", "AI, artificial intelligence\nEV, electric car\n"]
    rewrite(path, versions[0])
    synonyms = SynonymFile(path, check_interval=0)
    seen: set[int] = set()
    failures: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                seen.add(len(synonyms.current().rules))
        except BaseException as exc:  # reported below: a thread's exception is lost
            failures.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    for i in range(20):
        rewrite(path, versions[i % 2])
    stop.set()
    for reader in readers:
        reader.join()
    assert failures == []
    # never the empty file that each rewrite leaves for a moment (truncated, not yet written)
    assert seen <= {1, 2}
    assert len(synonyms.current().rules) == 2
    assert synonyms.last_error is None


# --- properties ---

SYNTAX = st.text(st.one_of(st.sampled_from(list("ab ,=>#\n\t\r")), st.characters()), max_size=80)


@given(SYNTAX)
def test_any_text_parses_or_raises_bad_synonyms(text: str) -> None:
    try:
        parse_synonyms(text, "gen.txt")
    except BadSynonyms as exc:
        assert exc.message.startswith("gen.txt line ")


WORDS = st.from_regex(r"[a-z]{2,8}", fullmatch=True).filter(lambda w: term_of(w) is not None)
ENTRIES = st.lists(st.lists(WORDS, min_size=1, max_size=3).map(tuple), min_size=1, max_size=3)


@given(ENTRIES, ENTRIES, st.booleans())
def test_a_rule_finds_its_other_entries(
    sources: list[Entry], targets: list[Entry], equivalent: bool
) -> None:
    if equivalent:
        sources = targets = sources + targets
        text = ", ".join(" ".join(entry) for entry in sources)
    else:
        text = " => ".join(", ".join(" ".join(e) for e in side) for side in (sources, targets))
    synonyms = parse_synonyms(text, "gen.txt")
    (rule,) = synonyms.rules
    assert (rule.sources, rule.targets, rule.equivalent) == (
        tuple(sources),
        tuple(targets),
        equivalent,
    )
    for source in sources:
        expected: dict[tuple[str, ...], Entry] = {}
        for target in targets:
            if analysed(target) != analysed(source):
                expected.setdefault(analysed(target), target)
        found = synonyms.find(list(source))
        # entries that all analyse alike add nothing: then there is no match
        assert [(m.start, m.end, m.alternatives) for m in found] == (
            [(0, len(source), tuple(expected.values()))] if expected else []
        )
