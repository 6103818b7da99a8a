"""Turn timings into results (a JSON-able dict), print them, and check the targets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks.engines import Engine, Timing
from benchmarks.querymix import MIXES, BenchQuery

LATENCY_TARGET = 2.0  # searchsvc p50 and p99 at most 2x FTS5's
TANTIVY_TARGET = 2.0  # issue 11: searchsvc p50 at most 2x tantivy's, in process
BUILD_TARGET = 500.0  # searchsvc full build (parse + extract + index), articles per second
TARGET_CORPUS = (4500, 5500)  # the targets are stated for about 5k articles
MIX_TARGET = 1.0  # typos and typing mixes: searchsvc p50 and p99 at most FTS5's (issue 12)


def summarize(samples_ms: Sequence[float] | np.ndarray) -> dict[str, float]:
    """p50/p95/p99/mean/max of latency samples in milliseconds."""
    values = np.asarray(samples_ms, dtype=float)
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return {
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
        "mean": float(values.mean()),
        "max": float(values.max()),
    }


def mix_summary(queries: Sequence[BenchQuery]) -> dict[str, Any]:
    """How many queries of each kind, with a filter, and sorted newest."""
    return {
        "kinds": dict(sorted(Counter(q.kind for q in queries).items())),
        "filtered": sum(bool(q.tags or q.categories or q.date_from or q.date_to) for q in queries),
        "newest": sum(q.sort == "newest" for q in queries),
    }


def mix_name(result: dict[str, Any]) -> str:
    """The run's --mix (results written before there was one: the default)."""
    mix = result.get("mix") or result.get("setup") or {}
    return str(mix.get("name") or mix.get("mix") or "default")


def mix_header(name: str, queries: int, source: int) -> str:
    """What a typos or typing mix is, for a report's header ("" for the default mix)."""
    if name == "default":
        return ""
    return f"{name} mix: {queries} plain queries of the {source} default ones, {MIXES[name]}"


def within_fts5(ratio: dict[str, float] | None) -> bool:
    """Whether searchsvc's p50 and p99 are at most FTS5's (ratios searchsvc / fts5)."""
    return ratio is not None and max(ratio["p50"], ratio["p99"]) <= MIX_TARGET


def mix_target_line(ratio: dict[str, float]) -> str:
    """A typos or typing mix's verdict, ✓/✗ per percentile: at most FTS5's."""
    marks = [
        f"{k} {'✓' if ratio[k] <= MIX_TARGET else '✗'} {ratio[k]:.2f}x" for k in ("p50", "p99")
    ]
    return f"target: searchsvc p50 and p99 <= fts5's: {', '.join(marks)}"


def analyse(
    engines: Sequence[Engine], queries: Sequence[BenchQuery], timings: dict[str, Timing]
) -> dict[str, Any]:
    """Latency summaries, ratios, build figures, per-query medians and the slowest queries."""
    out: dict[str, Any] = {"engines": {}, "notes": []}
    for e in engines:
        t = timings[e.name]
        out["engines"][e.name] = {
            "latency": summarize(t.ms.ravel()),
            "cold_latency": summarize(t.cold_ms),
            "zero_hit_queries": sum(total == 0 for total in t.totals),
            "build": e.build,
        }
    medians = {name: np.median(t.ms, axis=0) for name, t in timings.items()}
    out["queries"] = [
        {"query": q.describe(), "kind": q.kind}
        | {f"{name}_total": t.totals[i] for name, t in timings.items()}
        | {f"{name}_ms": float(medians[name][i]) for name in timings}
        for i, q in enumerate(queries)
    ]
    if {"searchsvc", "fts5"} <= timings.keys():
        s, f = out["engines"]["searchsvc"]["latency"], out["engines"]["fts5"]["latency"]
        out["ratio"] = {k: s[k] / f[k] for k in ("p50", "p95", "p99", "mean")}
        pairs = zip(timings["searchsvc"].totals, timings["fts5"].totals, strict=True)
        agree = sum(a == b for a, b in pairs)
        out["notes"].append(
            f"totals agree on {agree}/{len(queries)} queries (a sanity check, not a"
            " target:\n  the analyzers differ, searchsvc adds company aliases and relaxes)"
        )
    if {"searchsvc", "tantivy"} <= timings.keys():
        s, t = out["engines"]["searchsvc"]["latency"], out["engines"]["tantivy"]["latency"]
        out["ratio_tantivy"] = {k: s[k] / t[k] for k in ("p50", "p95", "p99", "mean")}
    if {"tantivy", "fts5"} <= timings.keys():
        pairs = zip(timings["tantivy"].totals, timings["fts5"].totals, strict=True)
        agree = sum(a == b for a, b in pairs)
        out["notes"].append(
            f"tantivy and fts5 totals agree on {agree}/{len(queries)} queries (their stemmers"
            " differ:\n  Snowball English vs FTS5's Porter)"
        )
    if "searchsvc" in timings:
        slowest = np.argsort(-medians["searchsvc"], kind="stable")[:5]
        out["slowest"] = [out["queries"][i] for i in slowest]
    return out


def targets_met(result: dict[str, Any]) -> bool:
    """Whether every target this run could check was met."""
    ok = True
    default = mix_name(result) == "default"
    if "ratio" in result:
        ratio = result["ratio"]
        ok = ratio["p50"] <= LATENCY_TARGET and ratio["p99"] <= LATENCY_TARGET
        ok = ok if default else within_fts5(ratio)
    if "ratio_tantivy" in result and default:
        ok = ok and result["ratio_tantivy"]["p50"] <= TANTIVY_TARGET
    if "searchsvc" in result["engines"]:
        ok = ok and result["engines"]["searchsvc"]["build"]["articles_per_s"] >= BUILD_TARGET
    return ok


def latency_row(name: str, latency: dict[str, float]) -> str:
    cells = "".join(f"{latency[k]:9.2f}" for k in ("p50", "p95", "p99", "mean", "max"))
    return f"{name:<11}{cells}"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _seconds(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else "-"


def print_report(result: dict[str, Any]) -> None:
    """The human-readable report on stdout."""
    corpus, mix, engines = result["corpus"], result["mix"], result["engines"]
    print(f"corpus: {corpus['path']}")
    print(f"  {corpus['articles']} articles parsed, {corpus['unreadable']} unreadable files")
    kinds = ", ".join(f"{k} {v}" for k, v in mix["kinds"].items())
    print(f"query mix: {mix['queries']} queries (seed {mix['seed']}): {kinds};")
    print(f"  {mix['filtered']} with a filter, {mix['newest']} sorted newest")
    mix_kind = mix_name(result)
    if header := mix_header(mix_kind, mix["queries"], mix.get("from_queries", mix["queries"])):
        print(header)
    print(
        "timing: warm-up = 1 pass of the whole mix per engine (reported as the first"
        f" pass),\n  then {mix['repeat']} timed passes"
        f" ({mix['queries'] * mix['repeat']} samples per engine)"
    )

    print("\nQuery latency, ms: request -> top 10 with highlights + 5 disjunctive facets")
    print(f"{'engine':<11}{'p50':>9}{'p95':>9}{'p99':>9}{'mean':>9}{'max':>9}{'0 hits':>8}")
    for name, eng in engines.items():
        print(latency_row(name, eng["latency"]) + f"{eng['zero_hit_queries']:8d}")
    print("first pass (the warm-up, caches still empty):")
    for name, eng in engines.items():
        print(latency_row(name, eng["cold_latency"]))
    if "ratio" in result:
        ratio = result["ratio"]
        cells = "".join(f"{ratio[k]:8.2f}x" for k in ("p50", "p95", "p99", "mean"))
        print(f"{'ratio':<11}{cells}   (searchsvc / fts5)")
        if mix_kind != "default":
            print(mix_target_line(ratio))
        else:
            print(
                f"target: searchsvc p50 and p99 <= {LATENCY_TARGET:.1f}x fts5:"
                f" p50 {_verdict(ratio['p50'] <= LATENCY_TARGET)},"
                f" p99 {_verdict(ratio['p99'] <= LATENCY_TARGET)}"
            )
    if "ratio_tantivy" in result:
        ratio = result["ratio_tantivy"]
        cells = "".join(f"{ratio[k]:8.2f}x" for k in ("p50", "p95", "p99", "mean"))
        print(f"{'ratio':<11}{cells}   (searchsvc / tantivy)")
        if mix_kind == "default":
            print(
                f"target: searchsvc p50 <= {TANTIVY_TARGET:.1f}x tantivy:"
                f" {_verdict(ratio['p50'] <= TANTIVY_TARGET)}"
            )

    print("\nFull index build: parse + extract + index")
    print(
        f"{'engine':<11}{'articles':>9}{'parse s':>9}{'extract s':>10}{'index s':>9}"
        f"{'total s':>9}{'art/s':>9}  target"
    )
    for name, eng in engines.items():
        b = eng["build"]
        target = "-"
        if name == "searchsvc":
            target = f">= {BUILD_TARGET:.0f}: {_verdict(b['articles_per_s'] >= BUILD_TARGET)}"
        print(
            f"{name:<11}{b['articles']:>9}{_seconds(b['parse_s']):>9}"
            f"{_seconds(b['extract_s']):>10}{_seconds(b['index_s']):>9}"
            f"{_seconds(b['total_s']):>9}{b['articles_per_s']:9.0f}  {target}"
        )
    if "searchsvc" in engines:
        cpus = result["machine"]["cpus"]
        print(f"  searchsvc: total = build_index(full=True) wall time ({cpus} CPUs here);")
        print("  parse = load_corpus alone over the same files, timed separately;")
        print("  index = total - parse (extract + index). The FTS5 build uses one thread.")
    if "tantivy" in engines:
        segments = engines["tantivy"]["build"].get("segments")
        print(f"  tantivy: one writer thread, as FTS5; {segments} segment(s) after its merges.")
    if not TARGET_CORPUS[0] <= corpus["articles"] <= TARGET_CORPUS[1]:
        print("  note: the targets are stated for about 5k articles")
    for note in result["notes"]:
        print(f"note: {note}")

    if result.get("slowest"):
        print("\n5 slowest searchsvc queries (median ms over the timed passes)")
        print(f"{'ms':>8}{'fts5 ms':>9}{'tntv ms':>9}{'total':>7}{'fts5':>7}{'tntv':>7}  query")
        for q in result["slowest"]:
            fts5_ms = f"{q['fts5_ms']:.2f}" if "fts5_ms" in q else "-"
            tantivy_ms = f"{q['tantivy_ms']:.2f}" if "tantivy_ms" in q else "-"
            fts5_total = str(q.get("fts5_total", "-"))
            tantivy_total = str(q.get("tantivy_total", "-"))
            print(
                f"{q['searchsvc_ms']:8.2f}{fts5_ms:>9}{tantivy_ms:>9}{q['searchsvc_total']:>7}"
                f"{fts5_total:>7}{tantivy_total:>7}  {q['query']}"
            )
