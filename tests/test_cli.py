"""The `searchsvc` command line: index reports, search output, clear errors, help text."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from searchsvc import create_app
from searchsvc.__main__ import command_of
from searchsvc.cli import main
from tests.conftest import SEEDS, write_article

REPORT = re.compile(
    r"^(?P<kind>full build|incremental): (?P<added>\d+) added, (?P<updated>\d+) updated, "
    r"(?P<deleted>\d+) deleted, (?P<unchanged>\d+) unchanged, (?P<errors>\d+) errors; "
    r"(?P<documents>\d+) documents, generation (?P<generation>\d+), [\d.]+s$",
    re.MULTILINE,
)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def report(result: Result) -> dict[str, str]:
    assert result.exit_code == 0, result.output
    match = REPORT.search(result.stdout)
    assert match is not None, result.stdout
    return match.groupdict()


def assert_clear_error(result: Result, message: str) -> None:
    """Exit status 1, an `Error:` line on stderr, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("Error: "), result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.output


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of seeds/ plus one file of bad YAML and one that is not UTF-8."""
    content = tmp_path / "content"
    shutil.copytree(SEEDS, content)
    write_article(content, "broken/bad-yaml.md", "---\ntitle: [unclosed\n---\n\nBody.\n")
    (content / "latin1.md").write_bytes(b"---\ntitle: Caf\xe9\n---\n\nCaf\xe9 cr\xe8me.\n")
    return content


# --- index -----------------------------------------------------------------------------------


def test_index_reports_lists_bad_files_and_is_incremental(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    first = run("index", "--content", corpus, "--index", index)
    assert report(first) == {
        "kind": "full build",
        "added": "34",
        "updated": "0",
        "deleted": "0",
        "unchanged": "0",
        "errors": "2",
        "documents": "34",
        "generation": "1",
    }
    skipped = [line for line in first.stderr.splitlines() if "skipped" in line]
    assert len(skipped) == 2
    assert "skipped broken/bad-yaml.md: " in first.stderr
    assert "YAML" in next(line for line in skipped if "bad-yaml" in line)
    assert "skipped latin1.md: " in first.stderr
    assert "UTF-8" in next(line for line in skipped if "latin1" in line)
    assert (index / "manifest.json").is_file()

    second = report(run("index", "--content", corpus, "--index", index))
    assert second["kind"] == "incremental"
    assert (second["added"], second["updated"], second["deleted"]) == ("0", "0", "0")
    assert (second["unchanged"], second["documents"], second["errors"]) == ("34", "34", "2")

    full = report(run("index", "--content", corpus, "--index", index, "--full"))
    assert (full["kind"], full["added"], full["documents"]) == ("full build", "34", "34")
    assert int(full["generation"]) > int(second["generation"])


def test_incremental_run_counts_changes(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    report(run("index", "--content", corpus, "--index", index))
    (corpus / "byd-tesla-ev-price-war.md").unlink()
    changed = corpus / "sony-playstation-price-hike-tariffs.md"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nOne more line.\n", "utf-8")
    write_article(corpus, "new/fresh.md", "---\ntitle: A Fresh Article\n---\n\nFresh words.\n")
    after = report(run("index", "--content", corpus, "--index", index))
    assert after["kind"] == "incremental"
    assert (after["added"], after["updated"], after["deleted"]) == ("1", "1", "1")
    assert (after["unchanged"], after["documents"]) == ("32", "34")


def test_index_paths_checks_only_those_files(corpus: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    report(run("index", "--content", corpus, "--index", index))
    edited = corpus / "sony-playstation-price-hike-tariffs.md"
    edited.write_text(edited.read_text("utf-8") + "\nEdited.\n", "utf-8")
    other = corpus / "byd-tesla-ev-price-war.md"
    other.write_text(other.read_text("utf-8") + "\nNot named, so not seen yet.\n", "utf-8")
    (corpus / "nvidia-h20-export-controls-china-chip-sales.md").unlink()
    named = report(
        run(
            "index",
            "--content",
            corpus,
            "--index",
            index,
            "--paths",
            edited,
            corpus / "nvidia-h20-export-controls-china-chip-sales.md",
        )  # fmt: skip
    )
    assert (named["updated"], named["deleted"], named["unchanged"]) == ("1", "1", "0")
    rest = report(run("index", "--content", corpus, "--index", index))
    assert (rest["updated"], rest["deleted"]) == ("1", "0")  # the file --paths left alone


def test_index_paths_outside_the_content_folder_is_a_usage_error(
    corpus: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere.md"
    outside.write_text("---\ntitle: x\n---\n", "utf-8")
    result = run("index", "--content", corpus, "--index", tmp_path / "ix", "--paths", outside)
    assert result.exit_code == 2
    assert "not inside the content folder" in result.stderr


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@example.invalid",
         *args],
        check=True, capture_output=True,
    )  # fmt: skip


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_index_since_takes_the_paths_from_git(corpus: Path, tmp_path: Path) -> None:
    git(corpus, "init", "-q")
    git(corpus, "add", "-A")
    git(corpus, "commit", "-q", "-m", "start")
    index = tmp_path / "index"
    report(run("index", "--content", corpus, "--index", index))
    (corpus / "moved").mkdir()
    git(corpus, "mv", "byd-tesla-ev-price-war.md", "moved/byd.md")  # a rename keeps its slug
    edited = corpus / "sony-playstation-price-hike-tariffs.md"
    edited.write_text(edited.read_text("utf-8") + "\nCommitted edit.\n", "utf-8")
    git(corpus, "commit", "-q", "-am", "edit and move")
    write_article(corpus, "untracked.md", "---\ntitle: Not Yet Committed\n---\n\nWords.\n")
    since = report(run("index", "--content", corpus, "--index", index, "--since", "HEAD~1"))
    assert (since["added"], since["updated"], since["deleted"]) == ("2", "1", "1")
    assert since["unchanged"] == "0"


def test_index_since_a_bad_revision_is_a_clear_error(corpus: Path, tmp_path: Path) -> None:
    result = run("index", "--content", corpus, "--index", tmp_path / "ix", "--since", "nope~3")
    assert result.exit_code == 1
    assert "Error: --since:" in result.stderr


def test_index_json_report(corpus: Path, tmp_path: Path) -> None:
    result = run("index", "--content", corpus, "--index", tmp_path / "index", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["full"], data["added"], data["documents"]) == (True, 34, 34)
    errors = {e["path"]: e["reason"] for e in data["errors"]}
    assert set(errors) == {"broken/bad-yaml.md", "latin1.md"}
    assert all(reason for reason in errors.values())


def test_index_of_a_missing_content_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = run("index", "--content", tmp_path / "nowhere", "--index", tmp_path / "index")
    assert_clear_error(result, "nowhere")


# --- search ----------------------------------------------------------------------------------


def test_search_prints_ranked_results(seed_index: Path) -> None:
    result = run("search", "nvidia earnings", "--index", seed_index)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert re.match(r"^4 results in [\d.]+ ms$", lines[0])
    assert "nvidia-record-earnings-data-center-demand" in lines[1]
    assert lines[1].lstrip().startswith("1. Nvidia Posts Record Quarter")
    assert len(lines) == 5


@pytest.mark.parametrize(
    ("args", "first_lines"),
    [
        (["nvdia"], ["Searched nvdia as nvidia, nvdia as nvda"]),
        (["nvdia", "--typos", "0"], ["Did you mean: nvidia"]),
        (["nvid", "--prefix", "none", "--typos", "0"], []),
    ],
)
def test_search_takes_the_typos_and_prefix_options(
    seed_index: Path, args: list[str], first_lines: list[str]
) -> None:
    result = run("search", *args, "--index", seed_index)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1 : 1 + len(first_lines)] == first_lines
    assert lines[0].startswith("0 results") == ("--typos" in args)


def test_search_takes_its_typos_default_from_the_setting(
    seed_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEARCHSVC_TYPOS", "0")
    assert run("search", "nvdia", "--index", seed_index).stdout.startswith("0 results")
    monkeypatch.setenv("SEARCHSVC_TYPOS", "auto")
    assert not run("search", "nvdia", "--index", seed_index).stdout.startswith("0 results")


def test_search_says_relaxed_and_did_you_mean(seed_index: Path) -> None:
    relaxed = run("search", "nvidia xqzvbnm", "--index", seed_index)
    assert "(relaxed: dropped xqzvbnm)" in relaxed.stdout.splitlines()[0]
    typo = run("search", "nvidai", "--index", seed_index, "--typos", "0")
    assert typo.stdout.startswith("0 results")
    assert typo.stdout.splitlines()[1] == "Did you mean: nvidia"


@pytest.mark.parametrize(
    ("cli", "api"),
    [
        (["nvidia earnings"], {"q": "nvidia earnings"}),
        (["", "--ticker", "TSM", "--sort", "oldest"], {"ticker": "TSM", "sort": "oldest"}),
        (
            ["earnings", "--tag", "Earnings", "--tag", "Tariffs", "--match", "any"],
            {"q": "earnings", "tag": ["Earnings", "Tariffs"], "match": "any"},
        ),
        (
            ["", "--category", "Markets", "--from", "2025-06-01", "--to", "2025-12-31"],
            {"category": "Markets", "from": "2025-06-01", "to": "2025-12-31"},
        ),
        (
            ["", "--page", "2", "--per-page", "5", "--author", "Marco Grima"],
            {"page": 2, "per_page": 5, "author": "Marco Grima"},
        ),
        (["nvidai"], {"q": "nvidai"}),
        (["", "--year", "2025", "--year", "2026"], {"year": ["2025", "2026"]}),
    ],
)
def test_search_json_is_the_api_response(
    seed_index: Path, cli: list[str], api: dict[str, object]
) -> None:
    result = run("search", *cli, "--index", seed_index, "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    app = create_app({"INDEX_DIR": seed_index, "CONTENT_DIR": SEEDS})
    served = app.test_client().get("/api/search", query_string=api).get_json()
    printed.pop("took_ms")
    served.pop("took_ms")
    assert printed == served


def test_search_without_an_index_is_a_clear_error(tmp_path: Path) -> None:
    result = run("search", "nvidia", "--index", tmp_path / "no-index")
    assert_clear_error(result, "no index")
    assert "Hint: " in result.stderr
    assert not (tmp_path / "no-index").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (['"unclosed', "--strict"], "position 0"),
        (["nvidia", "--page", "0"], "page"),
        (["nvidia", "--per-page", "51"], "per_page"),
        (["nvidia", "--from", "2025-13-01"], "from"),
        (["nvidia", "--year", "25"], "year"),
        (["x" * 513], "512"),
    ],
)
def test_search_rejects_bad_input_clearly(seed_index: Path, args: list[str], message: str) -> None:
    assert_clear_error(run("search", *args, "--index", seed_index), message)


def test_search_usage_errors_exit_2(seed_index: Path) -> None:
    result = run("search", "x", "--sort", "random", "--index", seed_index)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# --- help --------------------------------------------------------------------------------------


def test_top_level_help_lists_every_command() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for name in ("index", "search", "serve"):
        assert re.search(rf"^\s+{name}\s+\S", result.stdout, re.MULTILINE), name
    assert run("--version").exit_code == 0


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_and_option_has_help(name: str) -> None:
    command = main.commands[name]
    assert command.help, f"{name} has no help text"
    result = run(name, "--help")
    assert result.exit_code == 0
    assert command.help.splitlines()[0] in result.stdout
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts} has no help text"
            assert param.opts[0] in result.stdout


def test_module_entry_point_runs_outside_the_test_process(tmp_path: Path) -> None:
    """`python -m searchsvc.cli` works, and a real process prints no traceback either."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    command = [sys.executable, "-m", "searchsvc.cli", "search", "x", "--index", tmp_path]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: no index in ")
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("command", ["search", "index", "serve"])
def test_a_bad_companies_file_is_a_message_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed_index: Path, command: str
) -> None:
    bad = tmp_path / "companies.json"
    bad.write_text('{"companies": [{"symbol": 5}]}')
    monkeypatch.setenv("SEARCHSVC_COMPANIES_FILE", str(bad))
    args = {
        "search": ("search", "nvidia", "--index", seed_index),
        "index": ("index", "--content", SEEDS, "--index", tmp_path / "index"),
        "serve": ("serve", "--content", SEEDS, "--index", seed_index),  # an index exists
    }[command]
    result = run(*args)
    assert result.exit_code == 1
    assert "Error: bad companies file (SEARCHSVC_COMPANIES_FILE):" in result.output
    assert "entry 0: 'symbol' is required" in result.output
    assert "Traceback" not in result.output and result.exception is not None


def test_serve_gives_the_server_its_settings_and_leaves_the_environment_alone(
    monkeypatch: pytest.MonkeyPatch, seed_index: Path
) -> None:
    import searchsvc.server

    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(
        searchsvc.server, "run_gunicorn", lambda *args, **kwargs: calls.append((args, kwargs))
    )
    before = dict(os.environ)
    result = run("serve", "--content", SEEDS, "--index", seed_index, "--workers", "3")
    assert result.exit_code == 0, result.output
    assert dict(os.environ) == before
    [(args, kwargs)] = calls
    assert args == ("127.0.0.1", 8000, 3, 2)
    assert kwargs == {"app_config": {"CONTENT_DIR": SEEDS, "INDEX_DIR": seed_index}}


@pytest.mark.parametrize(("cpus", "workers"), [({0}, 1), ({0, 1}, 2), (set(range(8)), 8)])
def test_serve_runs_one_worker_per_cpu_by_default(
    monkeypatch: pytest.MonkeyPatch, seed_index: Path, cpus: set[int], workers: int
) -> None:
    import searchsvc.server

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(searchsvc.server, "run_gunicorn", lambda *args, **_: calls.append(args))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: cpus)
    result = run("serve", "--content", SEEDS, "--index", seed_index)
    assert result.exit_code == 0, result.output
    assert calls[0][2] == workers
    assert f"with {workers} workers" in result.output


# What a search process must not load: parsers and libraries that only building the
# index or serving HTTP needs (each costs start-up time before the first answer).
NOT_FOR_A_SEARCH = ("bs4", "markdown_it", "yaml", "frontmatter", "flask", "limits", "gunicorn")


@pytest.mark.parametrize("module", NOT_FOR_A_SEARCH)
def test_a_search_does_not_load_what_only_building_or_serving_needs(
    module: str, tmp_path: Path
) -> None:
    index = tmp_path / "index"
    built = CliRunner().invoke(main, ["index", "--content", str(SEEDS), "--index", str(index)])
    assert built.exit_code == 0, built.output
    script = (
        "import sys\n"
        "from searchsvc.cli import main\n"
        "try:\n"
        f"    main(['search', 'nvidia', '--index', {str(index)!r}])\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        f"print({module!r} in sys.modules, file=sys.stderr)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    assert "10 results in" in run.stdout
    assert run.stderr.strip().splitlines()[-1] == "False"


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["search", "nvidia"], "search"),
        (["--version"], None),
        (["-h"], None),
        (["index", "--full"], "index"),
        (["relevance", "--match", "any"], "relevance"),
    ],
)
def test_command_of_names_the_subcommand(argv: list[str], command: str | None) -> None:
    assert command_of(argv) == command


def test_the_program_prints_all_and_keeps_the_exit_code_of_a_quick_exit(tmp_path: Path) -> None:
    """One-shot commands leave with os._exit: the output must be flushed first and the
    exit code kept, as a plain exit would."""
    index = tmp_path / "index"
    assert main_process(["index", "--content", str(SEEDS), "--index", str(index)]).returncode == 0
    found = main_process(["search", "nvidia", "--index", str(index), "--json"])
    assert found.returncode == 0
    assert json.loads(found.stdout)["total"] > 0
    missing = main_process(["search", "nvidia", "--index", str(tmp_path / "none")])
    assert missing.returncode == 1
    assert "no index" in missing.stderr


def main_process(argv: list[str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "searchsvc", *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
