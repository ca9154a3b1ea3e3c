import pytest
from django.core.management import call_command

from tests.forms import FiltersForm
from widgets import Dashboard, Tile, checks, dashboards
from widgets.base import Widget
from widgets.builtin.kpi import KpiWidget
from widgets.checks import check_embed_origins, check_embed_revocation_seconds, check_widgets
from widgets.pages.checks import check_dashboards
from widgets.registry import registry


@pytest.fixture
def register_widget():
    """Register a throwaway widget named "temporary" (None leaves an attribute unset)."""

    def register(**attributes):
        defaults = {"name": "temporary", "title": "Temporary", "template_name": "widgets/builtin/kpi.html"}
        declared = {key: value for key, value in (defaults | attributes).items() if value is not None}
        registry.register(type("TemporaryWidget", (Widget,), declared))

    yield register
    registry.unregister("temporary")


def error_ids():
    return sorted(message.id for message in check_widgets())


def test_complete_widget_passes(register_widget):
    register_widget()
    assert error_ids() == []


@pytest.mark.parametrize("title", [None, ""])
def test_widget_without_title_is_an_error(register_widget, title):
    register_widget(title=title)
    assert error_ids() == ["widgets.E001"]


@pytest.mark.parametrize("template_name", [None, ""])
def test_widget_without_template_is_an_error(register_widget, template_name):
    register_widget(template_name=template_name)
    assert error_ids() == ["widgets.E001"]


def test_widget_with_a_missing_template_is_an_error(register_widget):
    register_widget(template_name="widgets/does-not-exist.html")
    [message] = check_widgets()
    assert message.id == "widgets.E002"
    assert "'temporary'" in message.msg
    assert "widgets/does-not-exist.html" in message.msg


def test_template_without_a_ready_partial_is_an_error(register_widget):
    register_widget(template_name="widgets/frame.html")
    assert error_ids() == ["widgets.E002"]


@pytest.mark.parametrize("refresh_seconds", [0, -5])
def test_refresh_under_one_second_is_an_error(register_widget, refresh_seconds):
    register_widget(refresh_seconds=refresh_seconds)
    assert error_ids() == ["widgets.E003"]


def test_project_passes_system_checks(capsys):
    call_command("check")
    assert "no issues" in capsys.readouterr().out


@pytest.mark.parametrize(
    "origin", ["https://blog.example", "http://127.0.0.1:8001", "https://blog.example/", "*"]
)
def test_embed_origins_that_are_origins_pass(settings, origin):
    settings.WIDGETS_EMBED_ALLOWED_ORIGINS = [origin]
    assert check_embed_origins() == []


@pytest.mark.parametrize("origin", ["blog.example", "https://blog.example/posts", "https://*.example x"])
def test_embed_origin_that_is_not_an_origin_is_an_error(settings, origin):
    settings.WIDGETS_EMBED_ALLOWED_ORIGINS = [origin]
    [error] = check_embed_origins()
    assert error.id == "widgets.E005"
    assert repr(origin) in error.msg


@pytest.mark.parametrize("seconds", [0, 2, 30, 59.5])
def test_embed_revocation_seconds_under_a_minute_pass(settings, seconds):
    settings.WIDGETS_EMBED_REVOCATION_SECONDS = seconds
    assert check_embed_revocation_seconds() == []


@pytest.mark.parametrize("seconds", [-1, 60, 300, "soon", None])
def test_embed_revocation_seconds_outside_0_to_60_is_an_error(settings, seconds):
    settings.WIDGETS_EMBED_REVOCATION_SECONDS = seconds
    [error] = check_embed_revocation_seconds()
    assert error.id == "widgets.E009"
    assert f"WIDGETS_EMBED_REVOCATION_SECONDS is {seconds!r}" in error.msg
    assert "from 0 up to, not including, 60" in error.msg


def test_a_dashboard_tile_naming_an_unregistered_widget_is_an_error():
    class Unplaced(Dashboard):
        slug = "test_unplaced"
        title = "Unplaced"
        layout = (Tile("no_such_widget"),)

    dashboards.register(Unplaced)
    try:
        messages = check_dashboards()
    finally:
        dashboards.unregister("test_unplaced")
    assert [message.id for message in messages] == ["widgets.E007"]
    assert "tile 1 names the widget 'no_such_widget'" in messages[0].msg


def test_a_dashboard_tile_fixing_parameters_its_widget_refuses_is_an_error():
    class PricedWidget(KpiWidget):
        name = "test_priced"
        title = "Priced"
        params_form = FiltersForm

    class Misfixed(Dashboard):
        slug = "test_misfixed"
        title = "Misfixed"
        layout = (
            Tile("test_priced", params={"currency": "XYZ"}),
            Tile("test_priced", params={"currency": "USD"}),
        )

    registry.register(PricedWidget)
    dashboards.register(Misfixed)
    try:
        messages = check_dashboards()
    finally:
        dashboards.unregister("test_misfixed")
        registry.unregister("test_priced")
    assert [message.id for message in messages] == ["widgets.E008"]
    assert "tile 1 fixes parameters {'currency': 'XYZ'} that 'test_priced'" in messages[0].msg


def test_the_demo_dashboards_pass_their_checks():
    assert check_dashboards() == []


def test_login_required_without_a_middleware_that_gives_requests_a_user_is_an_error(settings):
    settings.WIDGETS_LOGIN_REQUIRED = True
    settings.MIDDLEWARE = ["django_htmx.middleware.HtmxMiddleware", "widgets.middleware.WidgetsMiddleware"]
    errors = checks.check_auth_middleware()
    assert [error.id for error in errors] == ["widgets.E010"]
    assert "widgets.auth.middleware.AuthMiddleware" in errors[0].hint


@pytest.mark.parametrize(
    "middleware",
    ["widgets.auth.middleware.AuthMiddleware", "django.contrib.auth.middleware.AuthenticationMiddleware"],
)
def test_either_user_middleware_satisfies_the_login_check(settings, middleware):
    settings.WIDGETS_LOGIN_REQUIRED = True
    settings.MIDDLEWARE = ["django_htmx.middleware.HtmxMiddleware", middleware]
    assert checks.check_auth_middleware() == []


def test_without_login_required_no_user_middleware_is_needed(settings):
    settings.WIDGETS_LOGIN_REQUIRED = False
    settings.MIDDLEWARE = ["django_htmx.middleware.HtmxMiddleware"]
    assert checks.check_auth_middleware() == []
