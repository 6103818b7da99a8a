"""searchsvc.web.args: the request-argument helpers every blueprint reads its input with,
and the declarations (web/spec.py's Param) they read parameters by."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from searchsvc.errors import BadParameter
from searchsvc.query.request import SearchRequest
from searchsvc.web.args import (
    SEARCH,
    SEARCH_PARAMETERS,
    comma_arg,
    count_arg,
    int_arg,
    list_arg,
    read_arg,
    read_args,
    search_args_from_json,
)
from searchsvc.web.spec import Param


def args(query: dict[str, Any]) -> MultiDict[str, str]:
    return MultiDict(query)


# (query string, between, expected value or the error message)
INT_CASES = [
    pytest.param({}, None, 7, id="absent-default"),
    pytest.param({"n": ""}, None, 7, id="empty-default"),
    pytest.param({"n": "3"}, None, 3, id="plain"),
    pytest.param({"n": " 3 "}, None, 3, id="spaces-around"),  # int() strips them
    pytest.param({"n": "-2"}, None, -2, id="negative-without-bounds"),
    pytest.param({"n": "2.5"}, None, "n must be a whole number, not '2.5'", id="decimal"),
    pytest.param({"n": "ten"}, None, "n must be a whole number, not 'ten'", id="word"),
    pytest.param({"n": "0"}, (0, 50), 0, id="lower-bound-included"),
    pytest.param({"n": "50"}, (0, 50), 50, id="upper-bound-included"),
    pytest.param({"n": "51"}, (0, 50), "n must be between 0 and 50", id="over"),
    pytest.param({"n": "-1"}, (0, 50), "n must be between 0 and 50", id="under"),
    # the default is not range-checked: callers pick one inside it
    pytest.param({}, (0, 5), 7, id="default-as-given"),
]


@pytest.mark.parametrize(("query", "between", "expected"), INT_CASES)
def test_int_arg(query: dict[str, str], between: tuple[int, int] | None, expected: Any) -> None:
    if isinstance(expected, str):
        with pytest.raises(BadParameter) as caught:
            int_arg(args(query), "n", 7, between=between)
        assert caught.value.message == expected
    else:
        assert int_arg(args(query), "n", 7, between=between) == expected


COUNT_CASES = [
    pytest.param({}, 20, id="absent-default"),
    pytest.param({"limit": ""}, 20, id="empty-default"),
    pytest.param({"limit": "1"}, 1, id="one"),
    pytest.param({"limit": "200"}, 200, id="maximum"),
    pytest.param({"limit": "0"}, "'0'", id="zero"),
    pytest.param({"limit": "201"}, "'201'", id="over"),
    pytest.param({"limit": "-3"}, "'-3'", id="negative"),
    pytest.param({"limit": "ten"}, "'ten'", id="word"),
    # a long bad value is cut to 40 characters in the message
    pytest.param({"limit": "9" * 100}, repr("9" * 40), id="long-value-cut"),
]


@pytest.mark.parametrize(("query", "expected"), COUNT_CASES)
def test_count_arg(query: dict[str, str], expected: Any) -> None:
    if isinstance(expected, str):
        with pytest.raises(BadParameter) as caught:
            count_arg(args(query), "limit", 20, 200)
        assert caught.value.message == f"limit must be a whole number from 1 to 200, not {expected}"
    else:
        assert count_arg(args(query), "limit", 20, 200) == expected


LIST_CASES = [
    pytest.param([], (), id="absent"),
    pytest.param([("tag", "a")], ("a",), id="one"),
    pytest.param([("tag", "a"), ("tag", "b")], ("a", "b"), id="repeated-in-order"),
    pytest.param([("tag", " a "), ("tag", ""), ("tag", "  ")], ("a",), id="stripped-blank-dropped"),
    pytest.param([("tag", "a,b")], ("a,b",), id="no-comma-splitting"),
    pytest.param([("other", "x")], (), id="other-names-ignored"),
]


@pytest.mark.parametrize(("pairs", "expected"), LIST_CASES)
def test_list_arg(pairs: list[tuple[str, str]], expected: tuple[str, ...]) -> None:
    assert list_arg(MultiDict(pairs), "tag") == expected


COMMA_CASES = [
    pytest.param({}, ("x", "y"), id="absent-default"),
    pytest.param({"facets": ""}, (), id="empty-is-none"),
    pytest.param({"facets": "tags"}, ("tags",), id="one"),
    pytest.param({"facets": " tags , year ,,"}, ("tags", "year"), id="stripped-blank-dropped"),
]


@pytest.mark.parametrize(("query", "expected"), COMMA_CASES)
def test_comma_arg(query: dict[str, str], expected: tuple[str, ...]) -> None:
    assert comma_arg(args(query), "facets", ("x", "y")) == expected


JSON_CASES = [
    pytest.param({}, [], id="empty-object"),
    pytest.param({"q": "nvidia", "page": 2}, [("q", "nvidia"), ("page", "2")], id="scalars"),
    pytest.param({"strict": True}, [("strict", "true")], id="true"),
    pytest.param({"strict": False}, [("strict", "false")], id="false"),
    pytest.param({"per_page": 2.5}, [("per_page", "2.5")], id="float-kept-for-int-arg"),
    # a whole number written as a float is that number (found by schemathesis: 7312.0)
    pytest.param({"page": 3.0}, [("page", "3")], id="whole-float-is-an-integer"),
    pytest.param({"page": 1e300}, [("page", str(int(1e300)))], id="huge-whole-float"),
    pytest.param({"tag": ["a", "b"]}, [("tag", "a"), ("tag", "b")], id="list-repeats"),
    # a list of facets is one comma list, as in a URL
    pytest.param({"facets": ["tags", "year"]}, [("facets", "tags,year")], id="facets-list"),
    pytest.param({"facets": "tags"}, [("facets", "tags")], id="facets-string"),
]


@pytest.mark.parametrize(("body", "expected"), JSON_CASES)
def test_search_args_from_json(body: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert list(search_args_from_json(body).items(multi=True)) == expected


JSON_ERRORS = [
    pytest.param([], "the body must be a JSON object of search parameters", id="list"),
    pytest.param(None, "the body must be a JSON object of search parameters", id="null"),
    pytest.param({"size": 5}, "unknown parameter 'size'", id="unknown-name"),
    pytest.param(
        {"q": {"a": 1}}, "q must be a string, a number or a list of them", id="object-value"
    ),
    pytest.param(
        {"tag": [["a"]]}, "tag must be a string, a number or a list of them", id="nested-list"
    ),
    pytest.param({"q": None}, "q must be a string, a number or a list of them", id="null-value"),
]


@pytest.mark.parametrize(("body", "message"), JSON_ERRORS)
def test_search_args_from_json_errors(body: Any, message: str) -> None:
    with pytest.raises(BadParameter) as caught:
        search_args_from_json(body)
    assert caught.value.message == message


def test_every_search_parameter_is_accepted_in_a_body() -> None:
    body = {name: "1" for name in SEARCH_PARAMETERS}
    assert set(search_args_from_json(body)) == set(SEARCH_PARAMETERS)


# --- read_arg: a parameter as its declaration says --------------------------------------------

SEARCH_BY_NAME = {param.name: param for param in SEARCH}
COUNT = Param("limit", "", type="integer", default=8, minimum=1, maximum=20, count=True)
REQUIRED = Param("field", "", enum=("a", "b"), required=True)


@dataclass(frozen=True)
class Refused:
    """An expected BadParameter, with its message."""

    message: str


# (parameter, query string pairs, expected value or Refused(the error message))
READ_CASES = [
    pytest.param("q", [], "", id="q-absent"),
    pytest.param("q", [("q", "x" * 513)], Refused("q is 513 characters; at most 512"), id="q-long"),
    # an empty value is the default, for every scalar parameter
    pytest.param("match", [("match", "")], "all", id="match-empty-default"),
    pytest.param("sort", [("sort", "")], "relevance", id="sort-empty-default"),
    pytest.param("typos", [("typos", "")], None, id="typos-empty-server-default"),
    pytest.param(
        "sort",
        [("sort", "best")],
        Refused("sort must be one of relevance, newest, oldest, not 'best'"),
        id="sort-unknown",
    ),
    pytest.param("page", [("page", "3")], 3, id="page"),
    pytest.param(
        "page", [("page", "0")], Refused("page must be 1 or more"), id="page-below-minimum"
    ),
    pytest.param(
        "page", [("page", "x")], Refused("page must be a whole number, not 'x'"), id="page-word"
    ),
    pytest.param(
        "per_page",
        [("per_page", "51")],
        Refused("per_page must be between 1 and 50"),
        id="per-page-over",
    ),
    pytest.param("tag", [("tag", "a"), ("tag", " "), ("tag", "b")], ("a", "b"), id="repeated"),
    pytest.param("year", [("year", "2025")], ("2025",), id="year"),
    pytest.param(
        "year", [("year", "25")], Refused("year must be a year YYYY, not '25'"), id="year-short"
    ),
    pytest.param(
        "from",
        [("from", "2025-1-1")],
        Refused("from must be a date YYYY-MM-DD, not '2025-1-1'"),
        id="date",
    ),
    pytest.param("facets", [("facets", "year,tags")], ("year", "tags"), id="facets"),
    pytest.param("facets", [("facets", "")], (), id="facets-empty-is-none"),
    pytest.param(
        "facets",
        [("facets", "tags,color")],
        Refused("unknown facet 'color'; facets are tags, category, author, tickers, year"),
        id="facets-unknown",
    ),
    pytest.param("strict", [("strict", "YES")], True, id="strict-yes"),
    pytest.param("strict", [("strict", "no")], False, id="strict-other-words-off"),
    pytest.param(COUNT, [], 8, id="count-default"),
    pytest.param(
        COUNT,
        [("limit", "21")],
        Refused("limit must be a whole number from 1 to 20, not '21'"),
        id="count",
    ),
    pytest.param(REQUIRED, [("field", "a")], "a", id="required-given"),
    pytest.param(REQUIRED, [], Refused("field is required"), id="required-absent"),
    pytest.param(REQUIRED, [("field", "")], Refused("field is required"), id="required-empty"),
]


@pytest.mark.parametrize(("param", "pairs", "expected"), READ_CASES)
def test_read_arg(param: str | Param, pairs: list[tuple[str, str]], expected: Any) -> None:
    declared = SEARCH_BY_NAME[param] if isinstance(param, str) else param
    if isinstance(expected, Refused):
        with pytest.raises(BadParameter) as caught:
            read_arg(MultiDict(pairs), declared)
        assert caught.value.message == expected.message
    else:
        assert read_arg(MultiDict(pairs), declared) == expected


# a bad value of each search parameter: what /api/search refuses (read_arg, by the
# declaration) must be what SearchRequest, the library's own check, refuses, with one message
AGREEING = [
    ("q", "x" * 600, {"q": "x" * 600}),
    ("match", "every", {"match": "every"}),
    ("sort", "best", {"sort": "best"}),
    ("typos", "3", {"typos": "3"}),
    ("prefix", "first", {"prefix": "first"}),
    ("page", "0", {"page": 0}),
    ("per_page", "0", {"per_page": 0}),
    ("per_page", "51", {"per_page": 51}),
    ("year", "20x5", {"years": ("20x5",)}),
    ("from", "2025/01/01", {"date_from": "2025/01/01"}),
    ("to", "01-01-2025", {"date_to": "01-01-2025"}),
    ("facets", "colour", {"facets": ("colour",)}),
]


@pytest.mark.parametrize(("name", "value", "fields"), AGREEING)
def test_declarations_and_search_request_refuse_alike(
    name: str, value: str, fields: dict[str, Any]
) -> None:
    with pytest.raises(BadParameter) as by_declaration:
        read_args(MultiDict({name: value}), SEARCH)
    with pytest.raises(BadParameter) as by_request:
        SearchRequest(**fields)
    assert by_declaration.value.message == by_request.value.message


def test_declarations_are_checked_when_made() -> None:
    with pytest.raises(ValueError, match="pattern needs the message"):
        Param("year", "", pattern=r"^\d{4}$")
    with pytest.raises(ValueError, match="count runs from minimum=1"):
        Param("limit", "", type="integer", maximum=5, count=True)
