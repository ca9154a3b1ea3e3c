"""Revoking an embed link, seen by two uvicorn processes (two hosts, say) that share one database.

Each process remembers a link's state for ``WIDGETS_EMBED_REVOCATION_SECONDS``
(here 2 s, so the test is quick) and nothing passes between them: disabling
the link in the database must turn its URL to 403 on both, within a minute,
and enabling it again must bring it back on both.
"""

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from e2e.servers import Server, run_manage_py, start_uvicorn

REVOCATION_SECONDS = 2
PROMISED_SECONDS = 60
WIDGET = "recent_orders"
REVOKED_MESSAGE = "This embed link was revoked."
IMPORT_MODEL = "from widgets.models import EmbedLink; "


@pytest.fixture(scope="module")
def environment(app_environment: dict[str, str]) -> dict[str, str]:
    return {
        **app_environment,
        "DJANGO_SETTINGS_MODULE": "e2e.revocation_settings",
        "WIDGETS_EMBED_REVOCATION_SECONDS": str(REVOCATION_SECONDS),
        "ALLOWED_HOSTS": "127.0.0.1",
    }


@pytest.fixture(scope="module")
def hosts(environment: dict[str, str], log_dir: Path) -> Iterator[list[Server]]:
    """Two servers, each its own process with its own memo of link states."""
    servers: list[Server] = []
    try:
        for name in ("revocation-host-a", "revocation-host-b"):
            server = start_uvicorn(name, "dashboard.asgi:application", environment, log_dir, "/healthz")
            servers.append(server)
        yield servers
    finally:
        for server in servers:
            server.stop()


class AdminLink:
    """An embed link as staff make it in the admin, changed in the database as the admin would."""

    def __init__(self, environment: dict[str, str]) -> None:
        self.environment = environment
        output = self.shell(
            f"{IMPORT_MODEL}link = EmbedLink(widget_name={WIDGET!r}, never_expires=True); "
            "link.full_clean(); link.save(); print(link.pk, link.token)"
        )
        pk, token = output.split()
        self.pk = int(pk)
        self.path = f"/embed/{token}/"

    def shell(self, code: str) -> str:
        output = run_manage_py(["shell", "--no-imports", "-c", code], self.environment)
        return output.strip().splitlines()[-1]

    def set_active(self, is_active: bool) -> None:
        self.shell(
            f"{IMPORT_MODEL}print(EmbedLink.objects.filter(pk={self.pk}).update(is_active={is_active}))"
        )

    def delete(self) -> None:
        self.shell(f"{IMPORT_MODEL}print(EmbedLink.objects.filter(pk={self.pk}).delete())")


def answer_once_it_is(server: Server, path: str, status: int, deadline: float) -> httpx.Response:
    """Poll ``path`` until it answers ``status``; fail past ``deadline`` (on ``time.monotonic``)."""
    with httpx.Client(base_url=server.url, timeout=5.0) as client:
        while True:
            response = client.get(path)
            if response.status_code == status:
                return response
            if time.monotonic() > deadline:
                answered = response.status_code
                pytest.fail(f"{server.name} still answered {answered}, not {status}, at the deadline")
            time.sleep(0.2)


def test_a_link_disabled_in_the_database_answers_403_on_every_host_within_a_minute(
    hosts: list[Server], environment: dict[str, str]
) -> None:
    link = AdminLink(environment)
    for host in hosts:
        # Each process now holds the link as active, and trusts that for its window.
        assert httpx.get(f"{host.url}{link.path}", timeout=5.0).status_code == 200

    disabled_at = time.monotonic()
    link.set_active(False)
    for host in hosts:
        revoked = answer_once_it_is(host, link.path, 403, disabled_at + PROMISED_SECONDS)
        assert REVOKED_MESSAGE in revoked.text
        assert 'data-embed-error="revoked"' in revoked.text
    assert time.monotonic() - disabled_at < PROMISED_SECONDS

    enabled_at = time.monotonic()
    link.set_active(True)
    for host in hosts:
        answer_once_it_is(host, link.path, 200, enabled_at + PROMISED_SECONDS)


def test_a_deleted_link_answers_403_on_every_host_within_a_minute(
    hosts: list[Server], environment: dict[str, str]
) -> None:
    link = AdminLink(environment)
    for host in hosts:
        assert httpx.get(f"{host.url}{link.path}", timeout=5.0).status_code == 200

    deleted_at = time.monotonic()
    link.delete()
    for host in hosts:
        answer_once_it_is(host, link.path, 403, deleted_at + PROMISED_SECONDS)
