"""Split a file's text into frontmatter and body, and load the frontmatter: "---" YAML
(Jekyll, Hugo, the seed site) or "+++" TOML (Hugo). Raises FrontmatterError with a reason
for the reindex report; articles.py adds the path."""

from __future__ import annotations

import json
import re
import tomllib

import yaml
from frontmatter.default_handlers import YAMLHandler


class FrontmatterError(ValueError):
    """Frontmatter that cannot be read; ``reason`` says why and where."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Frontmatter fences: "---" YAML (Jekyll, Hugo, the seed site) and "+++" TOML (Hugo).
_YAML = YAMLHandler()
_TOML_FRONTMATTER_RE = re.compile(r"\A\+\+\+[ \t]*\n(.*?\n)?\+\+\+[ \t]*(?:\n|\Z)", re.DOTALL)
_OPENING_FENCE_RE = re.compile(r"\A\+\+\+[ \t]*\n")


class _FrontmatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML that leaves every scalar a string except null.

    Typed scalars cost more than they give here: `date: 2025-02-30` would fail the whole
    file, `title: No` would become False and `version: 1.10` would become 1.1. Dates and
    booleans are read from the strings below instead.
    """


_FrontmatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag.endswith((":null", ":merge"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def split_frontmatter(
    text: str,
) -> tuple[dict[str, object], str, tuple[str, ...]]:
    """(frontmatter with lower-cased keys, body, warnings); no frontmatter: all body."""
    warnings: tuple[str, ...] = ()
    if not text.startswith(("---", "+++")):
        return {}, text, warnings
    if _YAML.detect(text):
        # python-frontmatter finds the fences; we load the YAML ourselves (see _load_yaml)
        try:
            yaml_source, body = _YAML.split(text)
        except ValueError:
            raise FrontmatterError("frontmatter has no closing '---'") from None
        raw, warnings = _load_yaml(yaml_source.removeprefix("\n"))
    elif match := _TOML_FRONTMATTER_RE.match(text):
        raw = _load_toml(match.group(1) or "")
        body = text[match.end() :]
    elif _OPENING_FENCE_RE.match(text):
        raise FrontmatterError("frontmatter has no closing '+++'")
    else:
        return {}, text, warnings
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise FrontmatterError("frontmatter is not a mapping")
    meta: dict[str, object] = {}
    for key, value in raw.items():
        if isinstance(key, str):
            meta.setdefault(key.strip().lower(), value)
    return meta, body, warnings


# A top-level `key: value` line whose plain value holds ": " (or ends in ":"), which YAML
# reads as a second mapping: `title: AI Chatbots: €500 Savings`. Values that open with a
# quote, a flow collection, a block scalar, an anchor, alias or tag are YAML on purpose.
_UNQUOTED_COLON_RE = re.compile(
    r"^(?P<key>[A-Za-z_][\w-]*)[ \t]*:[ \t]+"
    r"(?P<value>[^\s\"'\[{|>&*!#%@`][^\n]*?(?::[ \t]|:$)[^\n]*)$",
    re.MULTILINE,
)


def _load_yaml(source: str) -> tuple[object, tuple[str, ...]]:
    """The frontmatter's YAML, and warnings for what had to be forgiven.

    Real sites write titles with an unquoted ": " (5% of one site's article versions).
    When strict YAML fails, those lines' values are read literally, as `key: value`; if
    the YAML then loads, the article is indexed with a warning. Anything else is an error."""
    try:
        return _strict_yaml(source), ()
    except FrontmatterError as strict_error:
        keys: list[str] = []

        def quoted(match: re.Match[str]) -> str:
            keys.append(match["key"])
            return f"{match['key']}: {json.dumps(match['value'].strip(), ensure_ascii=False)}"

        forgiven = _UNQUOTED_COLON_RE.sub(quoted, source)
        if not keys:
            raise strict_error from None
        try:
            raw = _strict_yaml(forgiven)
        except FrontmatterError:
            raise strict_error from None
        names = ", ".join(dict.fromkeys(keys))
        return raw, (f"frontmatter is not strict YAML: read {names} as plain text (unquoted ': ')",)


def _strict_yaml(source: str) -> object:
    """yaml.load with our loader; raises FrontmatterError."""
    try:
        return yaml.load(source, Loader=_FrontmatterLoader)
    except yaml.MarkedYAMLError as error:
        problem = error.problem or error.context or "invalid YAML"
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 2}: " if mark else ""  # +2: 0-based, after the "---" line
        reason = f"bad YAML frontmatter: {where}{problem}"
    except yaml.YAMLError as error:
        reason = f"bad YAML frontmatter: {error}"
    except Exception as error:
        # Explicit tags (!!int, !!timestamp, ...) still run PyYAML's constructors on
        # arbitrary text, and those fail in many ways (ValueError, IndexError, ...).
        reason = f"bad YAML frontmatter: {error.__class__.__name__}: {error}"[:200]
    raise FrontmatterError(reason)


def _load_toml(source: str) -> object:
    try:
        return tomllib.loads(source)
    except (tomllib.TOMLDecodeError, RecursionError) as error:
        line_fixed = re.sub(r"line (\d+)", lambda m: f"line {int(m[1]) + 1}", str(error))
        raise FrontmatterError(f"bad TOML frontmatter: {line_fixed}") from None
