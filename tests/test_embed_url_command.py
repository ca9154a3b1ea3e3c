"""``manage.py embed_url`` (widgets/management/commands/embed_url.py)."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.forms import FiltersForm
from widgets.base import Widget
from widgets.embed.signing import read_embed
from widgets.registry import registry


class CommandProbeWidget(Widget):
    name = "command_probe"
    title = "Command probe"
    template_name = "widgets/builtin/kpi.html"
    params_form = FiltersForm


@pytest.fixture(autouse=True)
def command_probe(settings):
    settings.SITE_URL = "https://dash.example"
    registry.register(CommandProbeWidget)
    yield
    registry.unregister(CommandProbeWidget.name)


def embed_url(*args):
    out = StringIO()
    call_command("embed_url", *args, stdout=out)
    return out.getvalue().strip()


def token_of(url):
    prefix = "https://dash.example/embed/"
    assert url.startswith(prefix)
    assert url.endswith("/")
    return url.removeprefix(prefix).removesuffix("/")


def test_prints_the_absolute_url_of_a_link_with_the_params():
    url = embed_url("command_probe", "--param", "range=30d", "--param", "currency=USD")
    embed = read_embed(token_of(url))
    assert embed.widget_name == "command_probe"
    assert embed.params == {"range": "30d", "currency": "USD"}


def test_a_link_expires_after_the_default_unless_never_is_asked_for(settings):
    settings.WIDGETS_EMBED_DEFAULT_EXPIRY_DAYS = 2
    default = read_embed(token_of(embed_url("command_probe"))).expires_at
    assert default is not None
    assert timedelta(days=2) - timedelta(minutes=1) < default - datetime.now(UTC) <= timedelta(days=2)
    assert read_embed(token_of(embed_url("command_probe", "--expires", "never"))).expires_at is None


def test_missing_params_get_the_widgets_defaults():
    assert read_embed(token_of(embed_url("command_probe"))).params == {"range": "7d", "currency": "EUR"}


@pytest.mark.parametrize(
    ("expires", "duration"),
    [("30m", timedelta(minutes=30)), ("1h", timedelta(hours=1)), ("7d", timedelta(days=7))],
)
def test_expires_sets_the_expiry(expires, duration):
    before = datetime.now(UTC).replace(microsecond=0)
    embed = read_embed(token_of(embed_url("command_probe", "--expires", expires)))
    assert embed.expires_at is not None
    assert before + duration <= embed.expires_at + timedelta(seconds=1)
    assert embed.expires_at <= datetime.now(UTC) + duration


def test_expires_never_gives_a_link_without_expiry():
    assert read_embed(token_of(embed_url("command_probe", "--expires", "never"))).expires_at is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "There is no widget named 'nope' (registered widgets: "),
        (
            ["command_probe", "--param", "colour=red"],
            "has no parameter 'colour' (its parameters: range, currency)",
        ),
        (
            ["command_probe", "--param", "range=1y"],
            "Invalid parameters for widget 'command_probe': range = '1y'",
        ),
        (["command_probe", "--param", "range"], "--param must be name=value, got 'range'."),
        (["command_probe", "--expires", "1y"], "--expires must be a number and a unit (30m, 1h, 7d"),
        (["command_probe", "--expires", "0h"], "--expires must be a number and a unit"),
    ],
)
def test_bad_input_is_a_command_error_saying_what_is_wrong(args, message):
    with pytest.raises(CommandError) as raised:
        embed_url(*args)
    assert message in str(raised.value)
