"""benchmarks/README.md is kept honest: every benchmark with a command line is documented,
and every `python -m benchmarks.X` example uses options that X really has."""

from __future__ import annotations

import importlib
import re
import shlex

import pytest

from tests.conftest import ROOT

README = (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8")
# started by http_bench, documented as the FTS5 server it starts, not run by hand
NOT_RUN_BY_HAND = {"fts5_http"}


def readme_commands() -> list[str]:
    """The `python -m benchmarks.X ...` lines of the README's sh blocks, comments cut."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip().startswith("python -m benchmarks."):
                commands.append(re.sub(r"\s+#.*$", "", line.strip()))
    return commands


def test_every_benchmark_is_documented() -> None:
    modules = {p.stem for p in (ROOT / "benchmarks").glob("*.py") if "def main(" in p.read_text()}
    documented = {shlex.split(c)[2].removeprefix("benchmarks.") for c in readme_commands()}
    assert modules - NOT_RUN_BY_HAND <= documented


@pytest.mark.parametrize("command", readme_commands())
def test_every_example_uses_real_options(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    words = shlex.split(command)
    module = importlib.import_module(words[2])
    with pytest.raises(SystemExit):
        module.main(["--help"])
    options = set(re.findall(r"--[a-z][\w-]*", capsys.readouterr().out))
    used = {w.split("=")[0] for w in words[3:] if w.startswith("--")}
    assert used <= options, f"unknown option in {command}: {used - options}"
