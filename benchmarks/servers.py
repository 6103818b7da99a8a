"""A real `searchsvc serve` (gunicorn) on a free port of 127.0.0.1, and JSON over HTTP to it.

The one way a server process is started, waited for and stopped, for benchmarks/
(reindex_bench, soak, idle_clients) and for tests/ (the e2e fixtures in tests/conftest.py).
It needs nothing but the standard library and searchsvc itself: no pytest.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# never through a proxy, whatever the environment says
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServerFailed(RuntimeError):
    """The server exited, or did not answer /healthz in time; the message ends with its log."""


@dataclass
class Reply:
    status: int
    headers: Message
    body: Any  # the JSON body; an error's body that is not JSON, as text


def fetch(
    url: str,
    method: str | None = None,
    data: Any = None,
    token: str | None = None,
    timeout: float = 10.0,
) -> Reply:
    """One request on a new connection; JSON in (``data``) and out."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = None
    if data is not None:
        body = json.dumps(data).encode("utf-8")
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return Reply(response.status, response.headers, json.loads(response.read()))
    except urllib.error.HTTPError as error:
        with error:
            raw = error.read()
        try:
            return Reply(error.code, error.headers, json.loads(raw))
        except ValueError:
            return Reply(error.code, error.headers, raw.decode("utf-8", "replace"))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def child_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment without any SEARCHSVC_* setting, plus ``extra``: this interpreter's
    scripts first on PATH, HOME in ``home`` (nothing lands in the real home), and this
    repository first on PYTHONPATH, whatever the current folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["HOME"] = env["XDG_RUNTIME_DIR"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update(extra or {})
    return env


class Process:
    """A subprocess in its own session (it and its children are one process group),
    writing stdout and stderr to a log file, in the log's folder."""

    def __init__(self, command: list[str], env: Mapping[str, str], log_path: Path) -> None:
        self.log_path = log_path
        with open(log_path, "wb") as out:
            self.popen = subprocess.Popen(
                command,
                env=dict(env),
                cwd=log_path.parent,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log_text(self) -> str:
        return self.log_path.read_text("utf-8", errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """``sig`` (gunicorn: SIGTERM is a graceful stop), then SIGKILL to the whole group
        after 15 s."""
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)


def wait_healthy(process: Process, base: str, timeout: float, answers: int = 1) -> float:
    """Until /healthz answers 200 ``answers`` times in a row; the seconds it took. Raises
    ServerFailed (with the log's end) if the process exits first or time runs out."""
    started = time.perf_counter()
    while True:
        if not process.alive():
            code = process.popen.returncode
            raise ServerFailed(f"the server exited with {code}:\n{process.log_text()[-4000:]}")
        try:
            if all(fetch(f"{base}/healthz", timeout=5).status == 200 for _ in range(answers)):
                return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.perf_counter() - started > timeout:
            raise ServerFailed(f"no /healthz within {timeout:g} s:\n{process.log_text()[-4000:]}")
        time.sleep(0.1)


def start_server(
    work: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    workers: int = 2,
    timeout: float = 30.0,
    answers: int = 1,
    log_name: str = "server.log",
) -> tuple[Process, str]:
    """`searchsvc serve ARGS --workers N` on a free port, in ``work`` (its HOME and the
    folder of its log), with no SEARCHSVC_* setting but ``env``; waits until it is healthy
    (``answers`` replies in a row: with several workers, a few suggest all are up) and
    returns it and its base URL. On failure the process is stopped and ServerFailed raised.
    """
    port = free_port()
    command = [sys.executable, "-m", "searchsvc.cli", "serve", *args]
    command += ["--port", str(port), "--workers", str(workers)]
    process = Process(command, child_env(work, env), work / log_name)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(process, base, timeout, answers)
    except BaseException:
        process.stop()
        raise
    return process, base
