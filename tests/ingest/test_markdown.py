"""Markdown -> plain text: what is kept, what is dropped, and how blocks are separated."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchsvc.ingest.markdown import BodyText, html_to_blocks, render_body, strip_shortcodes

TEXT_CASES = [
    # blocks: headings, paragraphs, list items, quotes; markup gone, whitespace collapsed
    ("# Title\n\nPara one.\n\n## Sub\n\nPara *two*.", "Title\n\nPara one.\n\nSub\n\nPara two."),
    ("Setext\n======\n\nBody", "Setext\n\nBody"),
    ("one   two\nthree\t four", "one two three four"),
    ("- one\n- two\n  - nested\n\n1. first\n2. second", "one\n\ntwo\n\nnested\n\nfirst\n\nsecond"),
    ("> quoted *text*\n> more", "quoted text more"),
    ("~~old~~ **new** _em_", "old new em"),
    ("a\n\n---\n\nb", "a\n\nb"),  # a thematic break is not text
    ("line one  \nline two", "line one\n\nline two"),  # hard breaks split lines into blocks
    ("AT&amp;T &copy; 2025 &#36;NVDA", "AT&T © 2025 $NVDA"),
    (r"\*not emphasis\* \[x\]", "*not emphasis* [x]"),
    # links: text kept, every URL dropped
    ('See [the report](https://x.com/r?a=1 "T") now.', "See the report now."),
    ("[text][ref] here\n\n[ref]: https://x.com/a", "text here"),
    ("Visit <https://x.com/a> or <me@x.com> today", "Visit or today"),  # autolinks
    ("Source: https://x.com/a?b=c, and ftp://h/f end", "Source: and end"),  # bare URLs
    ("[https://x.com/a](https://x.com/a) mailto:me@x.com", ""),
    ("visit www.example.com", "visit www.example.com"),  # no scheme: a name, kept
    # images: alt text kept, URL dropped
    ("![trading floor](https://img/x.png)", "trading floor"),
    ("[![chart *one*](a.png)](https://x)", "chart one"),  # image inside a link
    ("Before ![alt](x.png)after", "Before alt after"),
    # HTML: tags dropped, inner text kept, comments/scripts/styles dropped
    ("An <b>important</b> <span class='x'>note</span>", "An important note"),
    ("Before <!-- hidden --> after\n\n<!--\nblock comment\n-->\n\nEnd", "Before after\n\nEnd"),
    ('<div class="box">\n<p>First</p><p>Second <em>part</em></p>\n</div>', "First\n\nSecond part"),
    ("<script>var x = '<b>';</script>\n\nText", "Text"),
    ("a <script>alert(1)</script> b <style>p{}</style> c", "a b c"),
    ('<img src="x.png" alt="CEO on stage">', "CEO on stage"),
    ('Inline <img src="x.png" alt="logo"> here', "Inline logo here"),
    ("one<br>two", "one two"),
    (
        "<table><tr><th>Item</th><th>Q3</th></tr><tr><td>Revenue</td><td>$46m</td></tr></table>",
        "Item | Q3\n\nRevenue | $46m",
    ),
    ("<div>\n\n*markdown* inside\n\n</div>", "markdown inside"),  # blank lines end html blocks
    ("<?xml version='1.0'?>\n\n<!DOCTYPE html>\n\nText", "Text"),
    # code: content kept as text, fence markup and info string dropped
    ("```python\nprint('hi')\nx = 1\n```", "print('hi') x = 1"),
    ("    indented = True\n", "indented = True"),
    ("Use `pip install` now", "Use pip install now"),
    # tables: one block per row, cells joined by " | ", empty cells skipped
    ("| A | B |\n|---|---|\n| 1 | [two](https://x) |\n| | 3 |", "A | B\n\n1 | two\n\n3"),
    ("", ""),
    ("   \n\n  ", ""),
]


@pytest.mark.parametrize(("source", "expected"), TEXT_CASES)
def test_render_body_text(source: str, expected: str) -> None:
    assert render_body(source).text == expected


SHORTCODE_CASES = [
    # the site's own style: only the human text survives
    (
        '{{image: https://img/p.png?width=800&x=1, width: 800, height: 450, alt: "trading floor"}}',
        "trading floor",
    ),
    ("{{image: https://img/p.png, width: 800, height: 450}}", ""),  # no human text: nothing
    ('{{image: , width: 800, height: 450, alt: "Vision Fund"}}', "Vision Fund"),  # empty URL
    ('Before {{image: u.png, alt: "chart"}} after', "Before chart after"),
    ('{{image: u.png, caption: "Q3 revenue"}}', "Q3 revenue"),
    ('{{image: u.png, alt: "a", title: "b", caption: "a"}}', "a b"),  # duplicates once
    ("{{image: u.png, width: 800, alt: trading floor}}", "trading floor"),  # unquoted
    ("{{image: https://x/y.png?title=secret, width: 1}}", ""),  # "title" inside the URL
    ('{{image: u.png, alt: "*not* [a link] <b>"}}', "*not* [a link] <b>"),  # no Markdown in alt
    ("{{image: u.png,\n  alt: 'two lines'}}", "two lines"),
    ("{{video: https://v/1.mp4, autoplay: true}}", ""),  # other names lose their markup
    # Hugo
    (
        '{{< figure src="/x.png" alt="Fed chair" caption="Powell speaks" >}}',
        "Fed chair Powell speaks",
    ),
    ("{{< youtube dQw4w9WgXcQ >}}", ""),
    ("{{< figure src=/x.png title=Chart >}}", "Chart"),
    ("{{% notice info %}}\nMarkets closed early.\n{{% /notice %}}", "Markets closed early."),
    ('See {{< ref "other.md" >}} for more', "See for more"),
    # wiki-style names and leftover e-mail template syntax
    ("{{0|Piper Sandler}} sees upside", "Piper Sandler sees upside"),
    ('{{if !contains(profile.lists,"Evening Report")} Text {/if}}', "Text"),
    ("Braces {single} stay", "Braces {single} stay"),
    ("```\n{{< highlight go >}}\n```", ""),  # shortcodes go even inside code
]


@pytest.mark.parametrize(("source", "expected"), SHORTCODE_CASES)
def test_shortcodes_keep_only_human_text(source: str, expected: str) -> None:
    assert render_body(source).text == expected


def test_strip_shortcodes_leaves_plain_markdown_alone() -> None:
    source = "# Title\n\nNo shortcodes here, {just braces}."
    assert strip_shortcodes(source) is source


FIRST_PARTS_CASES = [
    ("# Big News\n\nFirst para.\n\nSecond.", "Big News", "First para."),
    ("## Sub only\n\nText", None, "Text"),  # only a level-1 heading is a title
    ("Title\n=====\n\nBody", "Title", "Body"),
    ("Intro.\n\n# Late Heading", "Late Heading", "Intro."),
    # images (and image shortcodes) are not a paragraph of text
    ('![img](x.png)\n\n{{image: u, alt: "x"}}\n\nReal intro.', None, "Real intro."),
    ("[![chart](a.png)](https://x)\n\nReal intro.", None, "Real intro."),
    # lists, quotes and code are not "the first paragraph"
    ("- list first\n\n> quote\n\n```\ncode\n```\n\n    more code\n\nPara", None, "Para"),
    ("line one  \nline two", None, "line one"),
    ("# \n\n#", None, None),  # empty headings
    ("", None, None),
]


@pytest.mark.parametrize(("source", "heading", "paragraph"), FIRST_PARTS_CASES)
def test_first_heading_and_paragraph(
    source: str, heading: str | None, paragraph: str | None
) -> None:
    body = render_body(source)
    assert (body.first_heading, body.first_paragraph) == (heading, paragraph)


@pytest.mark.parametrize(
    ("html", "blocks"),
    [
        ("<p>a <b>b</b></p><ul><li>c</li><li>d</li></ul>", ["a b", "c", "d"]),
        ("<div>outer <p>inner</p> tail</div>", ["outer", "inner", "tail"]),
        ("<!-- only a comment -->", []),
        ("no tags at all", ["no tags at all"]),
        ("<div>" * 3000 + "deep" + "</div>" * 3000, ["deep"]),  # no recursion limit
    ],
)
def test_html_to_blocks(html: str, blocks: list[str]) -> None:
    assert html_to_blocks(html) == blocks


MARKDOWN_PIECES = st.sampled_from(
    [*"*_`[]()<>|\\&#!:\n\r\x00\ufeff\ue000 "]
    + ["# ", "## ", "\n\n", "  \n", "- ", "1. ", "> ", "```", "    ", "|---|", "**", "~~", "!["]
    + ["</", "<div>", "</div>", "<b>", "<!--", "-->", "<script>", "<?", "&amp;", "&#", "word"]
    + ["{{", "}}", "{{<", ">}}", "{{%", "%}}", '{{image: u, alt: "x"}}', "alt: ", "title="]
    + ["https://x.com/a", "mailto:", "<https://x.com>"]
)


def _check_invariants(body: BodyText) -> None:
    assert "\n\n\n" not in body.text and "\x00" not in body.text and "\ue000" not in body.text
    for block in body.text.split("\n\n") if body.text else []:
        assert block and block == " ".join(block.split())
    for part in (body.first_heading, body.first_paragraph):
        assert part is None or (part and part == " ".join(part.split()))


@settings(max_examples=300, deadline=None, database=None)
@given(st.text())
def test_render_body_never_raises_on_any_text(source: str) -> None:
    _check_invariants(render_body(source))


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(MARKDOWN_PIECES | st.text(max_size=5), max_size=40).map("".join))
def test_render_body_never_raises_on_markdown_soup(source: str) -> None:
    _check_invariants(render_body(source))
