"""A small asyncio HTTP/1.1 client for load: keep-alive connections, chunked bodies, page views.

Hand-written on asyncio streams rather than httpx so that the load generator,
sharing two cores with the servers it measures, costs as little CPU as it can:
a request is one write and a few reads. Only what the bench sends is
supported: GET, to 127.0.0.1, answers with Content-Length, chunked, or close.
"""

import asyncio
import contextlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import unescape

REQUEST_TIMEOUT_SECONDS = 30.0
MAX_HEADER_LINES = 100
BROWSER_CONNECTIONS_PER_HOST = 6
SETTLED_STATES = frozenset({"ready", "stale"})
# Answers that turn a viewer away: redirects (to the login page, say), and 401 and 403.
REFUSED_STATUSES = frozenset({301, 302, 303, 307, 308, 401, 403})
REDIRECTED = "HX-Redirect"  # the state of a widget whose answer sent the whole page elsewhere


class HttpError(Exception):
    """The request failed below HTTP: refused, reset, timed out, or a malformed answer."""


class RequestTimeout(HttpError):
    """No complete answer within the request's timeout."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    @property
    def is_refused(self) -> bool:
        """Redirected (to the login page, say; htmx's ``HX-Redirect`` too) or refused (401, 403)."""
        return self.status in REFUSED_STATUSES or "hx-redirect" in self.headers


class HttpConnection:
    """One keep-alive connection to ``host:port``, (re)opened on demand."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    @property
    def is_open(self) -> bool:
        return self._writer is not None

    async def open(self) -> None:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port, limit=2**20)

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def get(
        self,
        path: str,
        headers: Mapping[str, str] | None = None,
        *,
        deadline: float = REQUEST_TIMEOUT_SECONDS,
        retry_closed: bool = True,
    ) -> Response:
        """GET ``path``; retried once on a fresh connection if a kept-alive one had been closed."""
        was_open = self.is_open
        try:
            return await self._get(path, headers, deadline)
        except RequestTimeout:
            raise
        except HttpError:
            if not (was_open and retry_closed):
                raise
        return await self._get(path, headers, deadline)

    async def _get(self, path: str, headers: Mapping[str, str] | None, deadline: float) -> Response:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(deadline):
                await self.open()
                assert self._reader is not None
                assert self._writer is not None
                lines = [f"GET {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
                lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
                self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
                status, response_headers, body = await read_response(self._reader)
        except TimeoutError:
            await self.close()
            raise RequestTimeout(f"no answer within {deadline:g} s") from None
        except (OSError, asyncio.IncompleteReadError) as error:
            await self.close()
            raise HttpError(f"{type(error).__name__}: {error}") from error
        except HttpError:
            await self.close()
            raise
        if response_headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, response_headers, body, time.perf_counter() - started)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionResetError("connection closed before the status line")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise HttpError(f"malformed status line {status_line[:80]!r}")
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADER_LINES):
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await read_chunked(reader)
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    else:
        body = await reader.read()
        headers["connection"] = "close"
    return int(parts[1]), headers, body


async def read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


class ConnectionPool:
    """A browser's connections to one host: at most ``size`` requests in flight."""

    def __init__(self, host: str, port: int, size: int = BROWSER_CONNECTIONS_PER_HOST) -> None:
        self._idle: asyncio.Queue[HttpConnection] = asyncio.Queue()
        self._all = [HttpConnection(host, port) for _ in range(size)]
        for connection in self._all:
            self._idle.put_nowait(connection)

    async def get(self, path: str, headers: Mapping[str, str] | None = None) -> Response:
        connection = await self._idle.get()
        try:
            return await connection.get(path, headers)
        finally:
            self._idle.put_nowait(connection)

    async def close(self) -> None:
        for connection in self._all:
            await connection.close()


@dataclass(frozen=True)
class WidgetRoot:
    """A ``[data-widget]`` element as the HTML has it."""

    name: str
    state: str
    hx_get: str | None


ATTRIBUTE = re.compile(r"\s(data-widget|data-state|hx-get)=\"([^\"]*)\"")


def widget_roots(html: bytes) -> dict[str, WidgetRoot]:
    """Each widget's last root in the document: a streamed page may replace a placeholder later on.

    A string search for the start tags, not an HTML parser: the client shares
    two cores with the server it measures, and parsing a 20 kB page with
    ``html.parser`` costs more than the server spends serving it. Attribute
    values come escaped from the templates, so no ``<`` or ``>`` is inside one.
    """
    text = html.decode("utf-8", errors="replace")
    roots: dict[str, WidgetRoot] = {}
    position = text.find("data-widget=")
    while position != -1:
        start, end = text.rfind("<", 0, position), text.find(">", position)
        attributes = {name: unescape(value) for name, value in ATTRIBUTE.findall(text, start, end)}
        name = attributes.get("data-widget")
        if name:
            roots[name] = WidgetRoot(name, attributes.get("data-state", ""), attributes.get("hx-get"))
        position = text.find("data-widget=", end)
    return roots


@dataclass
class PageView:
    """One page view as a browser with htmx makes it: the page, then each lazy widget."""

    seconds: float
    requests: int
    states: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    # Requests of this view that were redirected or refused (``Response.is_refused``).
    refused: int = 0

    @property
    def is_complete(self) -> bool:
        """Every widget ended ready (or stale): the viewer saw the whole dashboard."""
        return self.error is None and bool(self.states) and set(self.states.values()) <= SETTLED_STATES


def htmx_headers(page_url: str) -> dict[str, str]:
    """The headers htmx sends with a widget's request."""
    return {"HX-Request": "true", "HX-Current-URL": page_url, "Accept": "*/*"}


async def view_page(pool: ConnectionPool, origin: str, path: str, *, cookie: str | None = None) -> PageView:
    """GET ``path``, then every widget still loading in it, concurrently, as htmx would.

    ``cookie`` (a ``Cookie`` header's value: a logged-in viewer's session) goes
    with the page's request and every widget's, as a browser sends it.
    """
    started = time.perf_counter()
    requests = 1
    cookies = {"Cookie": cookie} if cookie else {}
    try:
        page = await pool.get(path, {"Accept": "text/html"} | cookies)
        if page.status != 200:
            error = f"page answered HTTP {page.status}"
            return PageView(
                time.perf_counter() - started, requests, error=error, refused=int(page.is_refused)
            )
        roots = widget_roots(page.body)
        lazy = [root for root in roots.values() if root.state == "loading" and root.hx_get]
        requests += len(lazy)
        headers = htmx_headers(origin + path) | cookies
        fragments = await asyncio.gather(*(pool.get(str(root.hx_get), headers) for root in lazy))
    except HttpError as error:
        return PageView(time.perf_counter() - started, requests, error=str(error))
    states = {name: root.state for name, root in roots.items()}
    for root, fragment in zip(lazy, fragments, strict=True):
        states[root.name] = fragment_state(root.name, fragment)
    refused = sum(fragment.is_refused for fragment in fragments)
    return PageView(time.perf_counter() - started, requests, states, refused=refused)


def fragment_state(name: str, fragment: Response) -> str:
    """The state a widget's answer leaves it in; a redirect or another status is not a widget state."""
    if "hx-redirect" in fragment.headers:
        return REDIRECTED  # a 200 without the widget: htmx leaves the page
    loaded = widget_roots(fragment.body).get(name)
    return loaded.state if fragment.status == 200 and loaded else f"HTTP {fragment.status}"
