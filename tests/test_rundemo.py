"""``manage.py rundemo`` (dashboard/management/commands/rundemo.py): what it says before starting anything."""

import socket
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command

from dashboard.management.commands.rundemo import app_environment, port_is_free


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port something else listens on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def test_port_is_free_tells_a_listened_port_from_a_free_one(busy_port):
    assert port_is_free(busy_port) is False
    assert port_is_free(free_port()) is True


def test_app_port_in_use_names_port(busy_port):
    with pytest.raises(CommandError) as caught:
        call_command("rundemo", port=busy_port, upstream_port=free_port())
    message = str(caught.value)
    assert f"Port {busy_port} is in use, so the dashboard cannot listen on it" in message
    assert "set PORT to a free port" in message
    assert "UPSTREAM_PORT" not in message


def test_upstream_port_in_use_names_upstream_port(busy_port):
    with pytest.raises(CommandError) as caught:
        call_command("rundemo", port=free_port(), upstream_port=busy_port)
    message = str(caught.value)
    assert f"Port {busy_port} is in use, so the demo upstream cannot listen on it" in message
    assert "set UPSTREAM_PORT to a free port" in message


def test_ports_default_to_the_port_and_upstream_port_settings(settings, busy_port):
    settings.PORT = free_port()
    settings.UPSTREAM_PORT = busy_port
    with pytest.raises(CommandError, match=f"Port {busy_port} is in use, so the demo upstream"):
        call_command("rundemo")
    settings.PORT, settings.UPSTREAM_PORT = busy_port, free_port()
    with pytest.raises(CommandError, match=f"Port {busy_port} is in use, so the dashboard"):
        call_command("rundemo")


def test_one_port_for_both_is_refused_before_either_starts():
    port = free_port()
    with pytest.raises(CommandError, match=f"PORT and UPSTREAM_PORT are both {port}"):
        call_command("rundemo", port=port, upstream_port=port)


def test_app_gets_the_port_it_serves_so_site_url_follows_it(monkeypatch):
    monkeypatch.setenv("PORT", "8000")
    monkeypatch.delenv("RATES_API_URL", raising=False)
    env = app_environment("http://127.0.0.1:9101", 9100)
    assert env["PORT"] == "9100"
    assert env["RATES_API_URL"] == "http://127.0.0.1:9101"
