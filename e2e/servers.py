"""The processes a browser test talks to: uvicorn servers and management commands.

Each runs from the project root with its output in a log file, so a failing
test can show what the server said (see ``pytest_runtest_makereport`` in
conftest.py). ``UpstreamFaults`` drives the demo upstream's control API.
``StaticSite`` is another website, at an origin of its own, whose pages embed
widgets through the ``EmbedLink`` URLs that ``EmbedLinks`` signs.
"""

import functools
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


def start_uvicorn(
    name: str, app: str, env: Mapping[str, str], log_dir: Path, ready_path: str, port: int | None = None
) -> Server:
    """Serve the ASGI ``app`` on ``port`` (default: a free one) and wait until ``ready_path`` answers."""
    port = port or free_port()
    arguments = ["-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--lifespan", "on"]
    started = start_process(name, arguments, env, log_dir)
    server = Server(started.name, started.process, started.log_path, f"http://127.0.0.1:{port}")
    server.wait_until_answering(ready_path)
    return server


def run_manage_py(arguments: Sequence[str], env: Mapping[str, str]) -> str:
    """Run a management command to completion and return its output; fail with it if it fails."""
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
    return result.stdout


class UpstreamFaults:
    """The demo upstream's control API: make an endpoint group misbehave, or heal them all."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def set(self, **modes: str) -> None:
        self.client.post("/_control/faults", json=modes).raise_for_status()

    def reset(self) -> None:
        self.client.delete("/_control/faults").raise_for_status()


class QuietFileHandler(SimpleHTTPRequestHandler):
    """Serves files without writing a line per request to the test's output."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


class StaticSite:
    """Another website on its own port, hence its own origin, serving the pages a test publishes.

    It runs in a thread of the test process: a test writes a page and opens it
    at once, with no process to start.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        handler = functools.partial(QuietFileHandler, directory=str(root))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def publish(self, name: str, html: str) -> str:
        """Put ``html`` on the site as ``name``; return its URL."""
        (self.root / name).write_text(html, encoding="utf-8")
        return f"{self.origin}/{name}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=STOP_SECONDS)


@dataclass(frozen=True)
class EmbedLink:
    """A signed embed URL as the dashboard hands it out: ``<SITE_URL>/embed/<token>/``."""

    url: str

    @property
    def origin(self) -> str:
        return "{0.scheme}://{0.netloc}".format(urlsplit(self.url))

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def token(self) -> str:
        return self.path.removeprefix("/embed/").removesuffix("/")

    def static_url(self, name: str) -> str:
        """A static file of the dashboard that served the link, under its plain name."""
        return f"{self.origin}/static/{name}"

    def tampered(self) -> "EmbedLink":
        """The same link with one character of its token's payload changed."""
        position = 10
        changed = "B" if self.token[position] == "A" else "A"
        token = self.token[:position] + changed + self.token[position + 1 :]
        return EmbedLink(f"{self.origin}/embed/{token}/")


class EmbedLinks:
    """Signs embed links the way an admin does, with the app server's settings (SITE_URL, SECRET_KEY)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def make(self, widget: str, *params: str, expires: str = "1d") -> EmbedLink:
        """``manage.py embed_url <widget> --param <name=value>… --expires <expires>``."""
        arguments = ["embed_url", widget, *(f"--param={param}" for param in params), f"--expires={expires}"]
        return EmbedLink(run_manage_py(arguments, self.env).strip())

    def expired(self, widget: str, expired_at: datetime) -> EmbedLink:
        """A link that expired at ``expired_at``: ``embed_url`` only signs links that expire in the future."""
        expires_at = f"datetime.fromisoformat({expired_at.isoformat()!r})"
        code = (
            "from datetime import datetime; from widgets.embed.signing import embed_url, sign_embed; "
            f"print(embed_url(sign_embed({widget!r}, expires_at={expires_at})))"
        )
        output = run_manage_py(["shell", "--no-imports", "-c", code], self.env)
        return EmbedLink(output.strip().splitlines()[-1])
