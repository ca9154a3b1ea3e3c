"""Who may see a widget or a dashboard: its declared rules, checked for one request.

Widgets and dashboards declare the same three rules (``AccessRules``)::

    @register
    class RevenueWidget(KpiWidget):
        name = "revenue"
        permissions = ("shop.view_revenue",)      # Django permissions, all required

        async def can_view(self, user, request):  # a rule of its own: staff only, own team…
            return user.is_staff

A declaration that is ``public`` may be seen by anyone. Any other needs a
logged-in user while ``WIDGETS_LOGIN_REQUIRED`` is on (the default), then
every permission it names, then its ``can_view``. The answer is a ``Verdict``:
the caller decides what a refusal looks like (a login redirect, a 403
fragment, a tile left out of the page).
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django_htmx.http import HttpResponseClientRedirect

from widgets.auth.rules import AccessRules, Verdict
from widgets.auth.users import known_permissions
from widgets.conf import widget_settings
from widgets.memo import MAX_KEY_TEXT

if TYPE_CHECKING:
    from widgets.auth.users import User


async def request_user(request: HttpRequest) -> "User":
    """The request's user: ``request.auser()`` when a middleware provides it, else anonymous."""
    from django.contrib.auth.models import AnonymousUser  # the auth app's models: loaded by then

    known = getattr(request, "_widgets_user", None)  # cached_user ran: no await down the chain
    if known is not None:
        return known  # type: ignore[no-any-return]
    auser = getattr(request, "auser", None)
    return AnonymousUser() if auser is None else await auser()


async def check_access(rules: AccessRules, request: HttpRequest) -> Verdict:
    """Whether this request's user may see ``rules``' widget or dashboard."""
    if rules.public:
        return Verdict.ALLOWED
    user = await request_user(request)
    refused = Verdict.FORBIDDEN if user.is_authenticated else Verdict.LOGIN_REQUIRED
    if not user.is_authenticated and widget_settings.LOGIN_REQUIRED:
        return refused
    if rules.permissions and not await has_permissions(user, request, rules.permissions):
        return refused
    # A page checks each of its tiles: skip awaiting the default rule, which allows.
    if type(rules).can_view is not AccessRules.can_view and not await rules.can_view(user, request):
        return refused
    return Verdict.ALLOWED


async def has_permissions(user: "User", request: HttpRequest, wanted: Sequence[str]) -> bool:
    """Whether ``user`` has every permission in ``wanted``.

    An active superuser has them all. Otherwise, when ``AuthMiddleware`` loaded
    the user, their permissions as the backends list them (``get_all_permissions``),
    kept with the user; else Django's ``ahas_perms``. A custom user model without
    ``PermissionsMixin`` has none.
    """
    if user.is_active and getattr(user, "is_superuser", False):
        return True
    known = known_permissions(request)
    if known is not None:
        return known.issuperset(wanted)
    ahas_perms = getattr(user, "ahas_perms", None)
    return ahas_perms is not None and bool(await ahas_perms(wanted))


async def may_see(rules: AccessRules, request: HttpRequest) -> bool:
    known = known_verdict(rules, request)
    if known is not None:
        return known is Verdict.ALLOWED
    return await check_access(rules, request) is Verdict.ALLOWED


def known_verdict(rules: AccessRules, request: HttpRequest) -> Verdict | None:
    """``check_access``'s answer when it needs no await (the user and permissions known); else None.

    A page asks it for each of its tiles.
    """
    if rules.public:
        return Verdict.ALLOWED
    user = getattr(request, "_widgets_user", None)
    permissions = known_permissions(request)
    if user is None or permissions is None or type(rules).can_view is not AccessRules.can_view:
        return None
    if not user.is_authenticated:
        needs_login = widget_settings.LOGIN_REQUIRED or rules.permissions
        return Verdict.LOGIN_REQUIRED if needs_login else Verdict.ALLOWED
    is_superuser = user.is_active and getattr(user, "is_superuser", False)
    if rules.permissions and not (is_superuser or permissions.issuperset(rules.permissions)):
        return Verdict.FORBIDDEN
    return Verdict.ALLOWED


def login_redirect(request: HttpRequest) -> HttpResponse:
    """Off to the login page, and back here afterwards.

    An htmx request (a widget polling after its session expired) gets
    ``HX-Redirect``, so the whole page goes to the login page and comes back to
    the page it was on, instead of a login form swapped into a tile.
    """
    from django.contrib.auth.views import redirect_to_login  # imports the auth app's models

    htmx = getattr(request, "htmx", None)
    if htmx:
        back = htmx.current_url_abs_path
        if not back or len(back) > MAX_KEY_TEXT:
            back = "/"
        login = redirect_to_login(back)
        return HttpResponseClientRedirect(login["Location"])
    back = request.get_full_path()
    return redirect_to_login(back if len(back) <= MAX_KEY_TEXT else request.path)
