"""``{% locale_menu %}``: the viewer's language and time zone in the top bar (``locale.js``)."""

from typing import Any

from django import template
from django.conf import settings

from widgets.i18n import TIME_ZONE_COOKIE

register = template.Library()


@register.inclusion_tag("widgets/locale_menu.html")
def locale_menu() -> dict[str, Any]:
    """The languages of ``LANGUAGES`` and the two time zone choices: the site's, or the viewer's own.

    Which ones are chosen is read from the cookies in the browser, so the
    menu is the same for every viewer and a page that holds it can be reused.
    """
    return {
        "languages": settings.LANGUAGES,
        "language_cookie": settings.LANGUAGE_COOKIE_NAME,
        "time_zone_cookie": TIME_ZONE_COOKIE,
        "site_time_zone": settings.TIME_ZONE,
    }
