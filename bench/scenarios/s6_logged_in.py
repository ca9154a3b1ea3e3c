"""S6: logged-in page views per second, with a session and permission checks, against hello-world.

S2's page, load and reference (bench/scenarios/throughput.py), but the viewer
is the demo user ``analyst``: not a superuser, so every permission the shop
dashboard and its widgets name (``dashboard.view_revenue``,
``dashboard.view_customer``) goes through Django's backends, answered from
the permissions the per-process user cache loaded with the user
(``widgets.auth.users``), and the uptime widget's ``can_view`` (staff only)
leaves that tile out: analyst's shop dashboard has every widget but uptime.

The viewer logs in once through the real login page (CSRF cookie and token,
then the form's POST); every page and widget request of every viewer carries
that session cookie, as a browser sends it. The 16 viewers share the one
session: the user cache keys on the user, so sessions of their own would find
the same entry. Hello-world stays anonymous, through the same middleware.

A page view counts only when every widget ended ready or stale, so a login
redirect (302, or ``HX-Redirect`` to a widget) or a 403 is a failed view; the
share of page-view requests redirected or refused is a goal of its own (0).
"""

import asyncio

from bench.databases import flush_redis
from bench.scenario import Context, Goal, ScenarioResult, ratio
from bench.scenarios.login import ANALYST, log_in
from bench.scenarios.throughput import QUICK_SECONDS, SECONDS, describe, measure, start_shop_server
from bench.servers import Servers

KEY = "S6"
TITLE = "Logged-in page views: page views/s ÷ hello-world requests/s (a non-superuser, 1 uvicorn worker)"
NEEDS = ("sqlite", "redis")

HIDDEN_FROM_VIEWER = "uptime"  # staff only; analyst is not staff


def run(ctx: Context) -> ScenarioResult:
    result = ScenarioResult(KEY, TITLE)
    flush_redis(ctx.redis_url)
    seconds = QUICK_SECONDS if ctx.quick else SECONDS
    with Servers(ctx.log_dir, "s6") as servers:
        upstream, app = start_shop_server(servers, ctx, "s6")
        cookie = log_in(app, ANALYST)
        measured = asyncio.run(measure(app, upstream, seconds, cookie=cookie))

    views, hello = measured.views, measured.hello
    result.goals = [
        Goal(
            "logged-in page views/s ÷ hello-world requests/s",
            ratio(views.per_second, hello.per_second),
            0.45,
            ">=",
        ),
        Goal("page-view requests refused or redirected", measured.refused_share * 100, 0.0, "<=", unit="%"),
    ]
    describe(result, measured, seconds)
    result.details["viewer"] = f"{ANALYST.username} (view_revenue, view_customer; not staff)"
    if HIDDEN_FROM_VIEWER in measured.widgets_shown:
        result.notes.append(
            f"{ANALYST.username} was shown {HIDDEN_FROM_VIEWER!r}, a staff-only widget: the page measured "
            "is not the one a non-staff user should see."
        )
    return result
