"""The processes a scenario runs: uvicorn, gunicorn and the counting upstream, on free ports.

``Servers`` is a context manager: every process started through it is stopped
when the block ends, on success, failure or Ctrl-C. Each process runs in a
session of its own, so stopping it (SIGTERM, then SIGKILL after a grace
period) also stops the workers a ``--workers`` server forked.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx

from bench.scenario import ScenarioError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "bench" / ".data"
STARTUP_SECONDS = 30.0
STOP_SECONDS = 10.0
LOG_TAIL_LINES = 30
# Variables of the caller's shell that would change what a bench server does.
INHERITED_VARIABLES_TO_DROP = (
    "DATABASE_URL",
    "REDIS_URL",
    "WEB_CONCURRENCY",
    "DJANGO_SETTINGS_MODULE",
    "RATES_API_URL",
    "STATUS_API_URL",
    "HEALTHCHECK_URLS",
    "DEBUG",
    "LOGIN_REQUIRED",
    "AUTH_CACHE_SECONDS",
)
INHERITED_PREFIXES_TO_DROP = ("BENCH_", "WIDGETS_", "DEMO_UPSTREAM_")


def base_env() -> dict[str, str]:
    """The caller's environment without what would change a bench server's behaviour."""
    env = {key: value for key, value in os.environ.items() if key not in INHERITED_VARIABLES_TO_DROP}
    env = {key: value for key, value in env.items() if not key.startswith(INHERITED_PREFIXES_TO_DROP)}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def child_pids(pid: int) -> list[int]:
    """Every descendant of ``pid``, read from /proc."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return children + [grandchild for child in children for grandchild in child_pids(child)]


def memory_kib(pid: int) -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` (peak RSS) of ``pid`` in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(value.split()[0])
    return values


@dataclass
class Server:
    """A process serving HTTP at ``url``, with its output in ``log_path``."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the forked workers, or the process itself."""
        return child_pids(self.process.pid) or [self.process.pid]

    def wait_for_workers(self, count: int, boot_seconds: float = 2.0) -> None:
        """Wait until ``count`` workers are forked, then ``boot_seconds`` for them to load Django."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while len(child_pids(self.process.pid)) < count:
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise ScenarioError(f"{self.name} did not start {count} workers:\n{self.log_tail()}")
            time.sleep(0.1)
        time.sleep(boot_seconds)

    def wait_until_answering(self, path: str) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}{path}", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        exit_code = self.process.poll()
        state = "never answered" if exit_code is None else f"exited with code {exit_code}"
        raise ScenarioError(f"{self.name} {state} on {path} within {STARTUP_SECONDS:g} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM to the process group; SIGKILL after a grace period, and to any worker left behind."""
        if self.process.poll() is not None:
            return
        workers = child_pids(self.process.pid)
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait(timeout=STOP_SECONDS)
        for pid in workers:
            if process_group(pid) == self.process.pid:
                os.kill(pid, signal.SIGKILL)

    def _signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)


def process_group(pid: int) -> int | None:
    """The process group of a live ``pid``, or None once it is gone."""
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


class Servers:
    """Starts servers for one scenario and stops every one of them when the block ends."""

    def __init__(self, log_dir: Path, scenario: str) -> None:
        self.log_dir = log_dir
        self.scenario = scenario
        self.started: list[Server] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop_all()

    def stop_all(self) -> None:
        while self.started:
            self.started.pop().stop()

    def start(
        self, name: str, arguments: list[str], env: dict[str, str], port: int, ready_path: str
    ) -> Server:
        """Run ``python <arguments>`` from the project root and wait until ``ready_path`` answers 200."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_dir / f"{self.scenario}-{name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, *arguments],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(name, process, f"http://127.0.0.1:{port}", log_path)
        self.started.append(server)
        server.wait_until_answering(ready_path)
        return server

    def upstream(self, delay_ms: int) -> Server:
        """The counting upstream (bench/upstream.py), answering after ``delay_ms``."""
        port = free_port()
        env = base_env() | {"BENCH_UPSTREAM_DELAY_MS": str(delay_ms)}
        arguments = uvicorn_arguments("bench.upstream:app", port, lifespan="off")
        return self.start("upstream", arguments, env, port, "/_counts")

    def uvicorn(self, env: dict[str, str], *, workers: int = 1, name: str = "uvicorn") -> Server:
        """The dashboard's ASGI app under uvicorn, as ``make serve`` runs it."""
        port = free_port()
        arguments = uvicorn_arguments("dashboard.asgi:application", port, lifespan="on", workers=workers)
        return self.start(name, arguments, env, port, "/healthz")

    def gunicorn(self, env: dict[str, str], *, name: str = "gunicorn") -> Server:
        """S1's reference (c): bench/wsgi.py under one synchronous gunicorn worker."""
        port = free_port()
        arguments = [
            "-m",
            "gunicorn",
            "bench.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--worker-class",
            "sync",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ]
        sync_env = env | {"DJANGO_SETTINGS_MODULE": "bench.sync_settings"}
        return self.start(name, arguments, sync_env, port, "/healthz")


def uvicorn_arguments(app: str, port: int, *, lifespan: str, workers: int = 1) -> list[str]:
    arguments = ["-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    arguments += ["--lifespan", lifespan, "--log-level", "warning", "--no-access-log"]
    return arguments + (["--workers", str(workers)] if workers > 1 else [])
