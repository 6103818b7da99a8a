"""searchsvc.web.args: the request-argument helpers every blueprint reads its input with."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from searchsvc.errors import BadParameter
from searchsvc.web.args import (
    SEARCH_PARAMETERS,
    comma_arg,
    count_arg,
    int_arg,
    list_arg,
    search_args_from_json,
)


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
