"""The README's "Use it in your project" section, followed by a reader in a folder of their own.

The section's code blocks are the steps, in order. A ``sh`` block is commands
typed into one terminal: each block starts in the folder, and with the virtual
environment, that the previous one left. A ``python`` block opens with the
file it is, ``# mysite/urls.py`` (the whole file) or
``# mysite/settings.py: add at the end``. The block that starts ``uvicorn``
serves the project until the test stops it. The reader logs in as the user
the ``createsuperuser`` block makes (``reader_account``).
"""

import functools
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from e2e.pages import Account
from e2e.servers import PROJECT_ROOT, STOP_SECONDS, Server

README = PROJECT_ROOT / "README.md"
SECTION_TITLE = "Use it in your project"
APPEND_MARK = ": add at the end"
SERVER_COMMAND = "uvicorn "
# A cold uv cache or a slow build backend download on a busy machine, not a passing run.
STEP_TIMEOUT_SECONDS = 300

CODE_BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.DOTALL | re.MULTILINE)
# DJANGO_SUPERUSER_PASSWORD=<password> python manage.py createsuperuser --noinput --username <name> …
CREATE_SUPERUSER = re.compile(
    r"DJANGO_SUPERUSER_PASSWORD=(?P<password>\S+) .*manage\.py createsuperuser "
    r".*--username[ =](?P<username>\S+)"
)
# Variables of the project's own environment that would point the reader's commands back at it.
PROJECT_VARIABLES = {
    "VIRTUAL_ENV",
    "DJANGO_SETTINGS_MODULE",
    "PYTHONPATH",
    "PYTHONHOME",
    "UV",
    "UV_PROJECT",
    "UV_PROJECT_ENVIRONMENT",
    "UV_RUN_RECURSION_DEPTH",
}


@dataclass(frozen=True)
class CodeBlock:
    language: str
    code: str

    @property
    def file_name(self) -> str:
        """The file a ``python`` block is, from its first line."""
        return self.code.split("\n", 1)[0].removeprefix("# ").removesuffix(APPEND_MARK)

    @property
    def is_addition(self) -> bool:
        return self.code.split("\n", 1)[0].endswith(APPEND_MARK)

    @property
    def is_server(self) -> bool:
        return self.language == "sh" and self.code.startswith(SERVER_COMMAND)


def readme_section(readme: str, title: str = SECTION_TITLE) -> str:
    """The text under ``## <title>``, up to the next second-level heading."""
    start = readme.index(f"\n## {title}\n")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end != -1 else None]


def code_blocks(section: str) -> list[CodeBlock]:
    return [CodeBlock(language, code) for language, code in CODE_BLOCK.findall(section)]


class ReaderShell:
    """The reader's terminal: blocks of commands run one after another, as in one session.

    Only the folder and the activated virtual environment (``VIRTUAL_ENV``,
    ``PATH``) carry over from one block to the next: that is all the README's
    commands change.
    """

    def __init__(self, folder: Path, env: Mapping[str, str]) -> None:
        self.folder = folder
        self.env = dict(env)
        self.state_file = folder.parent / f"{folder.name}-shell-state"

    def run(self, commands: str) -> str:
        """Run ``commands`` to the end; fail with their output if one fails."""
        script = (
            f"set -eo pipefail\n{commands}\n"
            f'printf "%s\\n" "$PWD" "${{VIRTUAL_ENV:-}}" "$PATH" > "{self.state_file}"\n'
        )
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=self.folder,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT_SECONDS,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(
                f"README commands failed ({result.returncode}):\n{commands}\n{result.stdout}{result.stderr}",
                pytrace=False,
            )
        folder, virtual_env, path = self.state_file.read_text().splitlines()
        self.folder = Path(folder)
        self.env["PATH"] = path
        if virtual_env:
            self.env["VIRTUAL_ENV"] = virtual_env
        return result.stdout

    def start(self, commands: str, env: Mapping[str, str], log_path: Path) -> subprocess.Popen[bytes]:
        """Start ``commands`` in the background, in a process group of their own (see ``stop_group``)."""
        with log_path.open("ab") as log:
            return subprocess.Popen(
                ["bash", "-c", commands],
                cwd=self.folder,
                env={**self.env, **env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def write(self, block: CodeBlock) -> None:
        """Write a ``python`` block to its file, or add it at the end of the file."""
        assert block.code.startswith("# "), f"a file block opens with the file's name:\n{block.code}"
        path = self.folder / block.file_name
        if block.is_addition:
            path.write_text(path.read_text() + "\n" + block.code)
        else:
            path.write_text(block.code)


def reader_environment(tools: Path) -> dict[str, str]:
    """This process's environment without the project's virtual environment, ``tools`` first on PATH."""
    own_bin = str(Path(sys.prefix) / "bin")
    path = [str(tools), *(part for part in os.environ["PATH"].split(os.pathsep) if part != own_bin)]
    env = {name: value for name, value in os.environ.items() if name not in PROJECT_VARIABLES}
    return {**env, "PATH": os.pathsep.join(path)}


def stop_group(server: Server) -> None:
    """Stop the server's whole process group: the shell that ran the block and what it started."""
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()


@dataclass(frozen=True)
class ChunkedResponse:
    """An HTTP/1.1 response as it came over the wire: its head, and its body chunk by chunk."""

    head: str
    chunks: list[bytes]

    @classmethod
    def get(cls, url: str, headers: Mapping[str, str] | None = None) -> "ChunkedResponse":
        """GET ``url`` over a plain socket: HTTP clients join chunks, this keeps them as they were sent."""
        parts = urlsplit(url)
        assert parts.hostname is not None
        assert parts.port is not None
        head = {"Host": parts.netloc, "Connection": "close", **(headers or {})}
        lines = "".join(f"{name}: {value}\r\n" for name, value in head.items())
        request = f"GET {parts.path} HTTP/1.1\r\n{lines}\r\n"
        with socket.create_connection((parts.hostname, parts.port), timeout=STOP_SECONDS) as connection:
            connection.sendall(request.encode("ascii"))
            raw = b"".join(iter(functools.partial(connection.recv, 65536), b""))
        return cls.parse(raw)

    @classmethod
    def parse(cls, raw: bytes) -> "ChunkedResponse":
        head, _, body = raw.partition(b"\r\n\r\n")
        chunks = []
        while body:
            size_line, _, rest = body.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            chunks.append(rest[:size])
            body = rest[size + 2 :]
        return cls(head.decode("latin-1"), chunks)

    def header(self, name: str) -> str | None:
        for line in self.head.split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


class WidgetStates(HTMLParser):
    """``(data-widget, data-state)`` of every widget root element in some HTML, in order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, str | None]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        name = attributes.get("data-widget")
        if name is not None:
            self.found.append((name, attributes.get("data-state")))


@dataclass(frozen=True)
class DeclaredDashboard:
    """The dashboard a README block declares: its slug and the widgets of its tiles, in layout order."""

    slug: str
    widgets: list[str]

    @classmethod
    def find(cls, blocks: list[CodeBlock]) -> "DeclaredDashboard":
        declaring = [block.code for block in blocks if "(Dashboard):" in block.code]
        assert len(declaring) == 1, "the section should declare one dashboard"
        slug = re.search(r'^\s+slug = "([\w-]+)"', declaring[0], re.MULTILINE)
        assert slug is not None
        return cls(slug.group(1), re.findall(r'Tile\("(\w+)"', declaring[0]))


def reader_account(blocks: list[CodeBlock]) -> Account:
    """The user the section's ``createsuperuser`` command makes, with the password it gives."""
    made = [match for block in blocks if (match := CREATE_SUPERUSER.search(block.code))]
    assert len(made) == 1, "the section should make one user to log in with"
    return Account(made[0]["username"], made[0]["password"])
