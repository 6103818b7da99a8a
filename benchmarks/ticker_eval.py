"""Precision and recall of ticker extraction, labelled by SeekingAlpha's symbol links.

Run from the repository root:  python -m benchmarks.ticker_eval [--corpus DIR] [--json OUT]
See benchmarks/README.md ("Ticker extraction") for what is measured and the targets.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from searchsvc.entities import (
    CompanyDictionary,
    default_companies,
    extract_tickers,
    load_companies,
)
from searchsvc.entities.finder import MentionFinder
from searchsvc.ingest.articles import Article, ArticleError, parse_article
from searchsvc.ingest.scan import iter_article_paths

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "news"
DEFAULT_JUDGMENTS = Path(__file__).resolve().parent / "ticker_judgments.tsv"

TARGET_PRECISION = 0.95
TARGET_RECALL = 0.85
TARGET_COVERAGE = 0.80

# A Markdown link to a SeekingAlpha symbol page, with an exchange prefix written before it:
#   NVIDIA (NASDAQ:[NVDA](https://seekingalpha.com/symbol/NVDA "NVIDIA Corporation"))
#   [Hold rating](https://seekingalpha.com/symbol/MCD/ratings/quant-ratings#source=...)
# The optional title may hold parentheses and single quotes ("Banco Santander (Brasil)").
SYMBOL_LINK = re.compile(
    r"(?P<prefix>\b[A-Z][A-Za-z]{1,11}:[ \t]*)?"
    r"\[(?P<text>[^\]\n]*)\]"
    r"\([ \t]*<?(?:https?://)?(?:www\.)?seekingalpha\.com/symbol/(?P<symbol>[^\s/?#\"'<>)]+)"
    r"[^\s)>]*>?(?:[ \t]+\"(?P<title>[^\"\n]*)\")?[ \t]*\)"
)
# Parentheses, or a list's separators, left empty once the links inside are gone.
_EMPTY_PARENS = re.compile(r"[ \t]*\((?:[\s,;/&]|\band\b|\bor\b)*\)")
_FRONTMATTER = re.compile(r"\A(?:---|\+\+\+)[ \t]*\n.*?\n(?:---|\+\+\+)[ \t]*(?:\n|\Z)", re.DOTALL)
_SYMBOLISH_TEXT = re.compile(r"[$A-Z0-9.:\- ]{1,20}")
# SeekingAlpha symbols that are not companies: indices, futures, currencies, rates, coins.
_NOT_COMPANY_SYMBOL = re.compile(r".*:(?:IND|COM|[A-Z]{3})|US\d+[YM]|.*-USD|SP500|SPX|DJI")
_NOT_COMPANY_TITLE = re.compile(
    r"\b(?:ETFs?|ETNs?|Funds?|Index|Futures|Yield|iShares|SPDR|ProShares|Bitcoin|Ethereum)\b",
    re.IGNORECASE,
)
_CORPORATE_WORDS = re.compile(
    r"(?:[,.]?\s+(?:Inc|Incorporated|Corp|Corporation|Company|Co|Ltd|Limited|plc|PLC|p\.l\.c"
    r"|N\.V|NV|S\.A|SA|SE|AG|ASA|AB|LP|L\.P|LLC|Holdings?|Group|Class [A-C]|Common Stock"
    r"|Common Units|Ordinary Shares|ADR|American Depositary Shares)\.?)+\s*$"
)


@dataclass(frozen=True)
class Link:
    """One SeekingAlpha symbol link as written."""

    symbol: str  # as in the URL, e.g. "NVDA", "KEY:CA"
    text: str  # the link text, e.g. "NVDA", "Hold rating"
    title: str  # the link title, e.g. "NVIDIA Corporation"; "" when absent


def _shows_symbol(text: str, symbol: str) -> bool:
    """Whether a link's text shows a symbol (so removing the link must remove the text)."""
    code = re.escape(symbol.split(":")[0])
    return bool(re.search(rf"(?<![\w$]){code}(?!\w)", text) or _SYMBOLISH_TEXT.fullmatch(text))


def strip_symbol_links(markdown: str) -> tuple[str, list[Link]]:
    """The Markdown without SeekingAlpha's symbol links, and the links removed, in order.

    A link whose text shows a symbol (``[NVDA](…)``, ``[See AZN Dividend Scorecard](…)``)
    goes entirely, with an exchange prefix written before it (``NASDAQ:``) and the
    parentheses it leaves empty (``Coca-Cola ([KO](…))`` -> ``Coca-Cola``): neither the
    symbol nor the URL remains. A link whose text is ordinary words (``[Hold rating](…)``)
    keeps its words, as the rendered article shows them. In the frontmatter (a summary is
    the body's first paragraph with the links flattened) the linked symbols are removed
    where they stand as ticker markup: ``(KO)``, ``(NYSE:KO)``, ``$KO``.
    """
    links: list[Link] = []
    emptied = False

    def replace(m: re.Match[str]) -> str:
        nonlocal emptied
        link = Link(m["symbol"], m["text"], m["title"] or "")
        links.append(link)
        if _shows_symbol(link.text, link.symbol):
            emptied = True
            return ""
        return (m["prefix"] or "") + link.text

    stripped = SYMBOL_LINK.sub(replace, markdown)
    if emptied:
        stripped = _EMPTY_PARENS.sub("", stripped)
    head = _FRONTMATTER.match(stripped)
    if head and links:
        codes = sorted({link.symbol.split(":")[0] for link in links}, key=len, reverse=True)
        alternatives = "|".join(map(re.escape, codes))
        markup = re.compile(
            rf"[ \t]*\((?:[A-Za-z]{{2,12}}:[ \t]*)?(?:{alternatives})\)"
            rf"|\$(?:{alternatives})(?![\w.])"
        )
        stripped = markup.sub("", head.group()) + stripped[head.end() :]
    return stripped, links


def name_variants(title: str) -> set[str]:
    """Ways a company's SeekingAlpha link title may be written in prose.

    "The Coca-Cola Company" -> {"The Coca-Cola Company", "Coca-Cola"};
    "Palo Alto Networks, Inc." -> {"Palo Alto Networks, Inc.", "Palo Alto Networks"}.
    """
    title = re.sub(r"[®™]", "", title).strip()
    if not title:
        return set()
    short = _CORPORATE_WORDS.sub("", title.split(" - ")[-1])
    short = re.sub(r"^The\s+", "", short).strip(" ,.")
    return {title, short} if len(short) >= 2 else {title}


def names_present(text: str, names: Iterable[str]) -> bool:
    """Whether one of ``names`` is written in ``text`` as a whole word.

    Case-insensitively ("NVIDIA" is written "Nvidia"), except names of four characters or
    fewer, which must match exactly ("BP" is not "bp", basis points).
    """
    lowered = text.lower()
    for name in names:
        if len(name) < 2:
            continue
        exact = len(name) <= 4
        pattern = rf"(?<!\w){re.escape(name if exact else name.lower())}(?!\w)"
        if re.search(pattern, text if exact else lowered):
            return True
    return False


def label_is_company(symbol: str, title: str) -> bool:
    """Whether a linked symbol names a company (not an index, fund, rate, coin or currency)."""
    return not (_NOT_COMPANY_SYMBOL.fullmatch(symbol) or _NOT_COMPANY_TITLE.search(title))


def canonical(symbol: str, companies: CompanyDictionary) -> str | None:
    """The dictionary's canonical symbol for a SeekingAlpha symbol ("KEY:CA" is Toronto)."""
    code, _, market = symbol.partition(":")
    candidates = [code + ".TO", code + ".V"] if market == "CA" else [symbol]
    for candidate in candidates:
        company = companies.lookup(candidate)
        if company is not None:
            return company.symbol
    return None


def read_judgments(path: Path) -> dict[tuple[str, str], bool]:
    """``path<TAB>symbol<TAB>right|wrong[<TAB>note…]`` lines -> {(path, symbol): right}."""
    judged: dict[tuple[str, str], bool] = {}
    if not path.is_file():
        return judged
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 3 or fields[2] not in ("right", "wrong"):
            raise SystemExit(f"{path}:{number}: expected path, symbol, right|wrong")
        judged[(fields[0], fields[1])] = fields[2] == "right"
    return judged


@dataclass
class Labelled:
    """One article that carries SeekingAlpha symbol links, parsed once its links are gone."""

    path: str
    article: Article
    labels: dict[str, str]  # linked symbol -> link title (the first non-empty one)
    company: set[str] = field(default_factory=set)  # linked symbols that name companies


def labelled_articles(files: Sequence[tuple[str, bytes]]) -> tuple[list[Labelled], int]:
    """The articles with symbol links, and how many of them could not be parsed."""
    labelled: list[Labelled] = []
    titles: dict[str, str] = {}
    unreadable = 0
    for path, data in files:
        raw = data.decode("utf-8", errors="replace")
        if "seekingalpha.com/symbol/" not in raw:
            continue
        stripped, links = strip_symbol_links(raw)
        if not links:
            continue
        try:
            parsed = parse_article(stripped.encode("utf-8"), path)
        except ArticleError:
            unreadable += 1
            continue
        labels: dict[str, str] = {}
        for link in links:
            if not labels.get(link.symbol):
                labels[link.symbol] = link.title
            if link.title:
                titles.setdefault(link.symbol, link.title)
        labelled.append(Labelled(path, parsed, labels))
    for item in labelled:  # a deep link has no title: borrow the symbol's title from elsewhere
        for symbol, title in item.labels.items():
            item.labels[symbol] = title = title or titles.get(symbol, "")
            if label_is_company(symbol, title):
                item.company.add(symbol)
    return labelled, unreadable


def _context(text: str, form: str, width: int = 60) -> str:
    at = text.find(form)
    if at < 0:
        return ""
    snippet = text[max(0, at - width) : at + len(form) + width]
    return " ".join(snippet.split())


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def evaluate(
    files: Sequence[tuple[str, bytes]],
    companies: CompanyDictionary,
    judgments: dict[tuple[str, str], bool] | None = None,
    top: int = 15,
) -> dict[str, Any]:
    """All figures of the report, as a JSON-able dict."""
    judgments = judgments or {}
    labelled, unreadable = labelled_articles(files)
    by_symbol = {c.symbol: c for c in companies}
    count: Counter[str] = Counter()  # labels, coverage, precision and recall tallies
    distinct: dict[str, set[str]] = {"company": set(), "covered": set()}
    uncovered: Counter[str] = Counter()
    titles: dict[str, str] = {}
    false_pos: Counter[str] = Counter()
    fp_example: dict[str, dict[str, Any]] = {}
    unjudged: list[dict[str, str]] = []
    misses: Counter[str] = Counter()
    misses_named: Counter[str] = Counter()
    for item in labelled:
        text = "\n".join(
            [item.article.title, item.article.excerpt, *item.article.tags, item.article.body_text]
        )
        predicted = {m.symbol: m for m in extract_tickers(item.article, companies)}
        expected = {s for s in (canonical(x, companies) for x in item.labels) if s}
        count["labels"] += len(item.labels)
        covered: dict[str, set[str]] = {}  # canonical symbol -> names (GOOG and GOOGL: one)
        for raw_symbol in item.company:
            titles.setdefault(raw_symbol, item.labels[raw_symbol])
            count["company_labels"] += 1
            distinct["company"].add(raw_symbol)
            symbol = canonical(raw_symbol, companies)
            if symbol is None:
                uncovered[raw_symbol] += 1
                continue
            count["covered_raw"] += 1
            distinct["covered"].add(raw_symbol)
            company = by_symbol[symbol]
            names = {company.name, *company.aliases, *name_variants(item.labels[raw_symbol])}
            covered.setdefault(symbol, set()).update(names)
        for symbol, names in covered.items():
            count["covered"] += 1
            named = names_present(text, names)
            count["named"] += named
            if symbol in predicted:
                count["found"] += 1
                count["found_named"] += named
            else:
                misses[symbol] += 1
                misses_named[symbol] += named
        for symbol, mention in predicted.items():
            count["predicted"] += 1
            if symbol in expected:
                count["tp"] += 1
                continue
            false_pos[symbol] += 1
            verdict = judgments.get((item.path, symbol))
            count[{True: "judged_right", False: "judged_wrong", None: "unjudged"}[verdict]] += 1
            context = _context(text, mention.matched[0])
            fp_example.setdefault(
                symbol, {"example": item.path, "matched": list(mention.matched), "context": context}
            )
            if verdict is None:
                unjudged.append(
                    {"path": item.path, "symbol": symbol, "matched": "|".join(mention.matched),
                     "context": context}
                )  # fmt: skip
    return {
        "articles_labelled": len(labelled),
        "articles_unreadable": unreadable,
        "labels": count["labels"],
        "company_labels": count["company_labels"],
        "coverage": _ratio(count["covered_raw"], count["company_labels"]),
        "coverage_all_labels": _ratio(count["covered_raw"], count["labels"]),
        "distinct_company_symbols": len(distinct["company"]),
        "coverage_distinct": _ratio(len(distinct["covered"]), len(distinct["company"])),
        "predicted": count["predicted"],
        "true_positives": count["tp"],
        "false_positives": count["predicted"] - count["tp"],
        "judged_right": count["judged_right"],
        "judged_wrong": count["judged_wrong"],
        "unjudged": count["unjudged"],
        "precision_labels": _ratio(count["tp"], count["predicted"]),
        "precision": _ratio(count["tp"] + count["judged_right"], count["predicted"]),
        "covered_labels": count["covered"],
        "recall": _ratio(count["found"], count["covered"]),
        "named_labels": count["named"],
        "recall_named": _ratio(count["found_named"], count["named"]),
        "top_false_positives": [
            {"symbol": s, "name": by_symbol[s].name, "count": n, **fp_example[s]}
            for s, n in false_pos.most_common(top)
        ],
        "unjudged_false_positives": unjudged,
        "top_misses": [
            {"symbol": s, "name": by_symbol[s].name, "count": n, "named_in_text": misses_named[s]}
            for s, n in sorted(misses.items(), key=lambda kv: (-misses_named[kv[0]], -kv[1]))
        ][:top],
        "top_uncovered": [
            {"symbol": s, "title": titles.get(s, ""), "count": n}
            for s, n in uncovered.most_common(top)
        ],
    }


def time_extraction(
    files: Sequence[tuple[str, bytes]], companies: CompanyDictionary, repeat: int = 3
) -> dict[str, Any]:
    """Mean extraction cost per article over the whole corpus (parsing not included)."""
    articles = []
    for path, data in files:
        try:
            articles.append(parse_article(data, path))
        except ArticleError:
            continue
    started = time.perf_counter()
    load_companies()  # reading and checking companies.json, as every process does once
    load_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    MentionFinder(companies.surfaces)  # what a dictionary's first extraction pays, once
    build_ms = (time.perf_counter() - started) * 1000
    passes = []
    for _ in range(repeat):
        started = time.perf_counter()
        for article in articles:
            extract_tickers(article, companies)
        passes.append(time.perf_counter() - started)
    return {
        "articles": len(articles),
        "ms_per_article": statistics.median(passes) / max(len(articles), 1) * 1000,
        "pattern_build_ms": build_ms,
        "dictionary_load_ms": load_ms,
        "passes_s": passes,
    }


def targets_met(figures: dict[str, Any]) -> dict[str, bool]:
    return {
        "precision": figures["precision"] >= TARGET_PRECISION,
        "recall_named": figures["recall_named"] >= TARGET_RECALL,
        "coverage": figures["coverage"] >= TARGET_COVERAGE,
    }


def print_report(figures: dict[str, Any], cost: dict[str, Any], size: int) -> None:
    met = targets_met(figures)

    def pct(x: float) -> str:
        return f"{x * 100:.1f}%"

    def mark(key: str) -> str:
        return "ok" if met[key] else "MISSED"

    f = figures
    print(f"dictionary: {size} companies")
    print(
        f"labelled articles: {f['articles_labelled']}; labels (article, symbol): {f['labels']}, "
        f"of companies: {f['company_labels']}"
    )
    print(
        f"coverage: {pct(f['coverage'])} of company labels (target {pct(TARGET_COVERAGE)}: "
        f"{mark('coverage')}); {pct(f['coverage_distinct'])} of "
        f"{f['distinct_company_symbols']} distinct symbols; {pct(f['coverage_all_labels'])} of "
        "all labels, funds and indices included"
    )
    print(
        f"precision: {f['precision']:.3f} (target {TARGET_PRECISION}: {mark('precision')}): "
        f"{f['true_positives']} linked + {f['judged_right']} judged right of {f['predicted']} "
        f"found in labelled articles; {f['judged_wrong']} judged wrong, {f['unjudged']} not "
        "judged (counted wrong)"
    )
    print(f"precision against the links alone: {f['precision_labels']:.3f}")
    print(
        f"recall, covered labels named in the text: {f['recall_named']:.3f} of "
        f"{f['named_labels']} (target {TARGET_RECALL}: {mark('recall_named')})"
    )
    print(f"recall, all covered labels: {f['recall']:.3f} of {f['covered_labels']}")
    print(
        f"extraction cost: {cost['ms_per_article']:.3f} ms/article over {cost['articles']} "
        f"articles (once per process: loading the built-in dictionary "
        f"{cost['dictionary_load_ms']:.0f} ms, building its pattern "
        f"{cost['pattern_build_ms']:.0f} ms)"
    )
    print("\ntop false positives (found, not linked: SeekingAlpha links only some companies)")
    for row in f["top_false_positives"]:
        forms = ", ".join(row["matched"])
        print(f"  {row['count']:4d}  {row['symbol']:<10} {row['name'][:28]:<28} {forms[:40]}")
        print(f"        {row['example']}: …{row['context'][:110]}…")
    print("\ntop misses (linked, in the dictionary, not found; 'named': a name is in the text)")
    for row in f["top_misses"]:
        print(
            f"  {row['count']:4d}  {row['symbol']:<10} {row['name'][:28]:<28} "
            f"named in {row['named_in_text']}"
        )
    print("\ntop linked companies the dictionary does not know")
    for row in f["top_uncovered"]:
        print(f"  {row['count']:4d}  {row['symbol']:<10} {row['title'][:60]}")


def load_files(corpus: Path) -> list[tuple[str, bytes]]:
    """(path relative to the corpus, bytes) of every article file."""
    files = []
    for path in iter_article_paths(corpus):
        try:
            files.append((path.relative_to(corpus).as_posix(), path.read_bytes()))
        except OSError:
            continue
    return files


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.ticker_eval", description=__doc__.split("\n")[0]
    )
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="default: %(default)s")
    p.add_argument("--companies", type=Path, metavar="FILE", help="a site company file to merge in")
    p.add_argument(
        "--judgments",
        type=Path,
        default=DEFAULT_JUDGMENTS,
        metavar="TSV",
        help="verdicts on unlinked companies found (default: %(default)s)",
    )
    p.add_argument(
        "--unjudged", type=Path, metavar="TSV", help="write the unjudged false positives here"
    )
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the figures as JSON")
    p.add_argument("--top", type=int, default=15, help="rows of each top list (default 15)")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.corpus.is_dir():
        print(f"error: no corpus at {args.corpus}", file=sys.stderr)
        return 2
    companies = load_companies(args.companies) if args.companies else default_companies()
    files = load_files(args.corpus)
    figures = evaluate(files, companies, read_judgments(args.judgments), args.top)
    cost = time_extraction(files, companies)
    print_report(figures, cost, len(companies))
    if args.unjudged:
        rows = figures["unjudged_false_positives"]
        lines = [f"{r['path']}\t{r['symbol']}\t?\t{r['matched']}\t{r['context']}" for r in rows]
        args.unjudged.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    if args.json:
        out = {**figures, "cost": cost, "dictionary_size": len(companies)}
        out["targets_met"] = targets_met(figures)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 1 if args.check and not all(targets_met(figures).values()) else 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["Link", "evaluate", "labelled_articles", "main", "name_variants", "strip_symbol_links"]
