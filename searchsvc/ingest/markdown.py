"""Markdown -> plain text for indexing; pure functions.

markdown-it-py parses the body; its tokens are walked directly (rendering to HTML and
re-parsing it all with BeautifulSoup costs more than the parse itself), and BeautifulSoup
reduces only the raw HTML the Markdown contains. Headings, paragraphs, list items, table
rows, quotes, link text, image alt text and code are kept; URLs, tags, comments and
shortcode markup are dropped. Blocks are separated by exactly "\\n\\n".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag
from markdown_it import MarkdownIt
from markdown_it.token import Token

BLOCK_SEPARATOR = "\n\n"

_TEXT_TOKENS = frozenset({"text", "text_special", "code_inline"})
_SKIPPED_TAGS = frozenset({"script", "style", "template", "head", "title"})
_CELL_TAGS = frozenset({"td", "th"})
_BLOCK_TAGS = frozenset(
    "address article aside blockquote caption center dd details dialog div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main nav ol p pre "
    "section summary table tbody tfoot thead tr ul".split()
)
# Private separators: markdown-it turns NULs in the input into U+FFFD, and render_body
# replaces any U+E000 (private use) in the input by a space.
_CELL_BREAK = "\x00"  # between table cells
_LINE_BREAK = "\ue000"  # a hard line break: lines ending in two spaces are blocks of their own

# Any "scheme://..." or "mailto:..." run: link targets and bare URLs alike.
# (A bounded scheme length keeps the scan linear on long dotted runs.)
_URL_RE = re.compile(r"\b(?:[a-z][a-z0-9+.-]{0,31}://|mailto:)[^\s<>\"'\])]*", re.IGNORECASE)
_HTML_TAG_NAME_RE = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)")
# Comments, processing instructions and declarations never carry visible text.
_HTML_NON_TEXT_RE = re.compile(r"<!--.*?(?:-->|$)|<\?.*?(?:\?>|$)|<![A-Za-z][^>]*>?", re.DOTALL)

# A shortcode: {{image: URL, alt: "x"}}, {{< figure src="..." >}}, {{% note %}}, {{0|Name}}.
# It may span lines but not a blank line, and contains no braces.
_SHORTCODE_RE = re.compile(r"\{\{((?:[^{}\n]|\n(?![ \t]*\n))*)\}\}")
# Leftover template syntax such as "{{if x}" ... "{/if}}" from e-mail newsletters.
_TEMPLATE_JUNK_RE = re.compile(r"\{\{[^{}\n]*\}?|\{/[\w-]*\}\}?")
_HUMAN_ATTR_RE = re.compile(
    r"""(?<![^\s,{|<%])(alt|caption|title)\s*([:=])\s*("[^"\n]*"|'[^'\n]*'|“[^”\n]*”|[^\s,"'][^,]*)""",
    re.IGNORECASE,
)
_MARKDOWN_PUNCTUATION_RE = re.compile(r"([!-/:-@\[-`{-~])")


@dataclass(frozen=True)
class BodyText:
    """An article body as plain text, plus the parts that stand in for missing frontmatter."""

    text: str  # blocks separated by "\n\n"; whitespace inside a block collapsed
    first_heading: str | None  # text of the first level-1 heading
    first_paragraph: str | None  # first top-level paragraph that is more than images


class _TextMarkdownIt(MarkdownIt):
    """A parser for text extraction: link targets are dropped, so never encode or vet them."""

    def normalizeLink(self, url: str) -> str:
        return url

    def normalizeLinkText(self, link: str) -> str:
        return link

    def validateLink(self, url: str) -> bool:
        return True


@cache
def _parser() -> MarkdownIt:
    """One shared parser; parsing keeps no state on the instance."""
    return _TextMarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def render_body(markdown_source: str) -> BodyText:
    """Reduce a Markdown body to plain text blocks."""
    if _LINE_BREAK in markdown_source:
        markdown_source = markdown_source.replace(_LINE_BREAK, " ")
    tokens = _parser().parse(strip_shortcodes(markdown_source))
    blocks: list[str] = []
    first_heading: str | None = None
    first_paragraph: str | None = None
    row: list[str] = []
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "inline":
            text, images_only = _inline_text(token.children or ())
            opener = tokens[index - 1]
            if opener.type in ("td_open", "th_open"):
                row.append(text.replace(_LINE_BREAK, " "))
                continue
            lines = [line for line in map(str.strip, text.split(_LINE_BREAK)) if line]
            blocks.extend(lines)
            if not lines:
                continue
            if first_heading is None and opener.tag == "h1":
                first_heading = " ".join(lines)
            elif (
                first_paragraph is None
                and opener.type == "paragraph_open"
                and opener.level == 0
                and not images_only
            ):
                first_paragraph = lines[0]
        elif kind == "tr_close":
            _append_block(blocks, _CELL_BREAK.join(row))
            row = []
        elif kind in ("fence", "code_block"):
            _append_block(blocks, token.content)
        elif kind == "html_block":
            blocks.extend(html_to_blocks(token.content))
    return BodyText(BLOCK_SEPARATOR.join(blocks), first_heading, first_paragraph)


def strip_shortcodes(markdown_source: str) -> str:
    """Replace shortcodes by their human text: alt/caption/title as image alt, else nothing."""
    if "{{" not in markdown_source and "{/" not in markdown_source:
        return markdown_source
    text = _SHORTCODE_RE.sub(_shortcode_replacement, markdown_source)
    return _TEMPLATE_JUNK_RE.sub("", text)


def _shortcode_replacement(match: re.Match[str]) -> str:
    body = match.group(1).strip().strip("<>%").strip()
    human = [_attr_value(m) for m in _HUMAN_ATTR_RE.finditer(body)]
    human = list(dict.fromkeys(value for value in human if value))
    if human:
        # An image with no target: markdown-it keeps the alt text and knows it is decoration.
        return f"![{_escape_markdown(' '.join(human))}]()"
    if "|" in body and not match.group(1).lstrip().startswith(("<", "%")):
        # Wiki-style {{0|Piper Sandler}}: the text after the template name.
        parts = body.split("|")[1:]
        return _escape_markdown(" ".join(p for p in parts if "=" not in p and "://" not in p))
    return ""


def _attr_value(match: re.Match[str]) -> str:
    value = match.group(3).strip()
    if value[0] in "\"'“":
        return value[1:-1].strip()
    return value.split()[0] if match.group(2) == "=" else value


def _escape_markdown(text: str) -> str:
    return _MARKDOWN_PUNCTUATION_RE.sub(r"\\\1", text)


def _inline_text(children: Sequence[Token]) -> tuple[str, bool]:
    """The plain text of an inline run, and whether it held nothing but images."""
    parts: list[str] = []
    has_text = False
    skipping_until: str | None = None  # a closing token to skip to (autolink, <script>)
    for child in children:
        kind = child.type
        if skipping_until is not None:
            if kind == skipping_until or (
                kind == "html_inline" and child.content.lower().startswith(skipping_until)
            ):
                skipping_until = None
            continue
        if kind in _TEXT_TOKENS:
            parts.append(child.content)
            has_text = has_text or not child.content.isspace()
        elif kind == "softbreak":
            parts.append(" ")
        elif kind == "hardbreak":
            parts.append(_LINE_BREAK)
        elif kind == "image":
            parts.extend((" ", _inline_text(child.children or ())[0], " "))
        elif kind == "link_open" and child.markup in ("autolink", "linkify"):
            skipping_until = "link_close"
        elif kind == "html_inline":
            parts.append(_inline_html_text(child.content))
            name = _tag_name(child.content)
            if name in _SKIPPED_TAGS and not child.content.startswith("</"):
                skipping_until = f"</{name}"
    text = _clean("".join(parts))
    return text, bool(text) and not has_text


def _inline_html_text(tag: str) -> str:
    """What one inline tag contributes: an <img>'s alt text, a space for breaks, else nothing."""
    name = _tag_name(tag)
    if name == "img":
        return f" {' '.join(html_to_blocks(tag))} "
    return " " if name == "br" or name in _BLOCK_TAGS or name in _CELL_TAGS else ""


def _tag_name(tag: str) -> str:
    match = _HTML_TAG_NAME_RE.match(tag)
    return match.group(1).lower() if match else ""


def html_to_blocks(html: str) -> list[str]:
    """Visible text of an HTML fragment, one string per block element (BeautifulSoup)."""
    html = _HTML_NON_TEXT_RE.sub(" ", html)
    if "<" not in html:
        return [text] if (text := _clean(html)) else []
    blocks: list[str] = []
    buffer: list[str] = []
    flush = object()  # pushed after a block's children: the block ends there
    stack: list[object] = [BeautifulSoup(html, "html.parser")]
    while stack:  # an explicit stack: arbitrarily deep nesting must not hit recursion limits
        node = stack.pop()
        if node is flush:
            _append_block(blocks, "".join(buffer))
            buffer.clear()
        elif isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):  # comments, doctypes, CDATA
                buffer.append(str(node))
        elif isinstance(node, Tag) and node.name not in _SKIPPED_TAGS:
            name = node.name
            if name in _BLOCK_TAGS:
                _append_block(blocks, "".join(buffer))
                buffer.clear()
                stack.append(flush)
            elif name in _CELL_TAGS:
                buffer.append(_CELL_BREAK)
            elif name == "br":
                buffer.append(" ")
            elif name == "img" and isinstance(alt := node.get("alt"), str):
                buffer.append(f" {alt} ")
            stack.extend(reversed(node.contents))
    _append_block(blocks, "".join(buffer))
    return blocks


def _append_block(blocks: list[str], raw: str) -> None:
    """Append one block; table cells (split by _CELL_BREAK) become one "a | b" row."""
    if _CELL_BREAK in raw:
        text = " | ".join(cell for cell in map(_clean, raw.split(_CELL_BREAK)) if cell)
    else:
        text = _clean(raw)
    if text:
        blocks.append(text)


def _clean(text: str) -> str:
    """Drop URLs and collapse whitespace to single spaces."""
    if ":" in text:
        text = _URL_RE.sub(" ", text)
    return " ".join(text.split())
