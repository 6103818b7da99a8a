"""README's examples are checked: every curl works against the app over seeds/, and every
`searchsvc` command line names a real command with real options."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import click
import pytest
from flask.testing import FlaskClient

from searchsvc import create_app
from searchsvc.cli import main
from searchsvc.indexing.build import build_index
from tests.conftest import ROOT, SEEDS, TOKEN

README = (ROOT / "README.md").read_text(encoding="utf-8")


def shell_commands(prefix: str) -> list[str]:
    """Lines of README's sh blocks starting with ``prefix``, continuations joined."""
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.DOTALL):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            line = line.strip()
            if line.startswith(prefix):
                commands.append(re.sub(r"\s+#.*$", "", line))
    return commands


CURLS = shell_commands("curl ")


def test_readme_has_examples() -> None:
    assert len(CURLS) >= 15
    assert any("/admin/" in c for c in CURLS)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    root = tmp_path_factory.mktemp("readme")
    content = root / "content"
    shutil.copytree(SEEDS, content)
    build_index(content, root / "index", workers=1)
    app = create_app({"INDEX_DIR": root / "index", "CONTENT_DIR": content, "ADMIN_TOKEN": TOKEN})
    return app.test_client()


@pytest.mark.parametrize("command", CURLS)
def test_every_curl_example_works(client: FlaskClient, command: str) -> None:
    words = shlex.split(command.replace("$SEARCHSVC_ADMIN_TOKEN", TOKEN).replace('"$H"', "H"))
    url = next(w for w in words if w.startswith("http://127.0.0.1:8000/"))
    method = words[words.index("-X") + 1] if "-X" in words else "GET"
    headers: dict[str, str] = {}
    if "/admin/" in url:
        headers["Authorization"] = f"Bearer {TOKEN}"
    body = words[words.index("-d") + 1] if "-d" in words else None
    parts = urlsplit(url)
    response = client.open(
        parts.path,
        method=method,
        query_string=parts.query,
        headers=headers,
        data=body,
        content_type="application/json" if body else None,
    )
    assert response.status_code == 200, (command, response.get_json())


SEARCHSVC = shell_commands("searchsvc ")


@pytest.mark.parametrize("command", SEARCHSVC)
def test_every_command_line_is_real(command: str) -> None:
    words = shlex.split(command)[1:]
    name = words[0]
    assert name in main.commands, f"README runs an unknown command: {command}"
    options = {
        opt
        for param in main.commands[name].params
        if isinstance(param, click.Option)
        for opt in param.opts
    }
    used = [w for w in words[1:] if w.startswith("--")]
    assert set(used) <= options, f"unknown option in {command}: {set(used) - options}"


def test_readme_points_at_files_that_exist() -> None:
    for path in ("relevance/seeds.tsv", "relevance/seeds-baseline.json", "relevance/README.md"):
        assert path in README
        assert (Path(ROOT) / path).is_file(), path


def _layout_table() -> dict[str, set[str]]:
    """README's "How it is built": package folder ("" for searchsvc/ itself) -> modules."""
    section = README.split("## How it is built", 1)[1].split("\n## ", 1)[0]
    listed: dict[str, set[str]] = {}
    for row in re.findall(r"^\| (.+?) \| .+? \| (.+) \|$", section, re.MULTILINE):
        name, modules = row
        folder = name.strip("`/") if name.startswith("`") else ""
        listed.setdefault(folder, set()).update(re.findall(r"`(\w+\.py)`", modules))
    return listed


def test_how_it_is_built_names_every_package_and_module() -> None:
    package = ROOT / "searchsvc"
    actual = {
        p.parent.relative_to(package).as_posix().replace(".", ""): set()
        for p in package.rglob("__init__.py")
    }
    for path in package.rglob("*.py"):
        folder = path.parent.relative_to(package).as_posix().replace(".", "")
        if path.name != "__init__.py" or folder == "":
            actual[folder].add(path.name)
    assert _layout_table() == actual
