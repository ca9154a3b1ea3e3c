"""The processes a browser test talks to: uvicorn servers and management commands.

Each runs from the project root with its output in a log file, so a failing
test can show what the server said (see ``pytest_runtest_makereport`` in
conftest.py). ``UpstreamFaults`` drives the demo upstream's control API.
"""

import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 20.0
STOP_SECONDS = 10.0
LOG_TAIL_LINES = 80


@dataclass
class BackgroundProcess:
    """A subprocess writing to ``log_path``, stopped with ``stop()``."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Server(BackgroundProcess):
    """A background process serving HTTP at ``url``."""

    url: str

    def wait_until_answering(self, path: str) -> None:
        """Poll ``path`` until it answers 200; fail with the server's log if it never does."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}{path}", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        exit_code = self.process.poll()
        self.stop()
        state = f"exited with code {exit_code}" if exit_code is not None else "never answered"
        pytest.fail(
            f"{self.name} {state} on {path} within {STARTUP_SECONDS:g} s. Its log:\n{self.log()}",
            pytrace=False,
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_process(
    name: str, arguments: Sequence[str], env: Mapping[str, str], log_dir: Path
) -> BackgroundProcess:
    """Start ``python <arguments>`` in the project root, its output going to a log file."""
    log_path = log_dir / f"{name}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, *arguments],
            cwd=PROJECT_ROOT,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return BackgroundProcess(name, process, log_path)


def start_uvicorn(name: str, app: str, env: Mapping[str, str], log_dir: Path, ready_path: str) -> Server:
    """Serve the ASGI ``app`` on a free port and wait until ``ready_path`` answers."""
    port = free_port()
    arguments = ["-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--lifespan", "on"]
    started = start_process(name, arguments, env, log_dir)
    server = Server(started.name, started.process, started.log_path, f"http://127.0.0.1:{port}")
    server.wait_until_answering(ready_path)
    return server


def run_manage_py(arguments: Sequence[str], env: Mapping[str, str]) -> None:
    """Run a management command to completion; fail with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT_ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"manage.py {' '.join(arguments)} failed ({result.returncode}):\n{result.stdout}{result.stderr}",
            pytrace=False,
        )


class UpstreamFaults:
    """The demo upstream's control API: make an endpoint group misbehave, or heal them all."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def set(self, **modes: str) -> None:
        self.client.post("/_control/faults", json=modes).raise_for_status()

    def reset(self) -> None:
        self.client.delete("/_control/faults").raise_for_status()
