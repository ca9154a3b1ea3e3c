"""S2: whole dashboard page views per second with a warm cache, against hello-world, one worker.

The demo's shop dashboard (``/dashboards/shop/``, every widget of it) under one
uvicorn worker, as bench/scenarios/throughput.py describes; ratio: page views/s
÷ hello-world requests/s, measured in the same run.

Since access control (commit b7d3c4f), the shop dashboard needs
``dashboard.view_revenue``, and several of its widgets carry rules of their own
(the revenue widgets a permission, recent_orders another, uptime staff only),
so no anonymous viewer sees the page S2 measured before. S2's
viewers therefore log in once, through the real login page, as the demo
superuser ``admin``: a superuser passes every permission check without a
query, the closest to what S2 measured before. Each request now also reads
the signed session cookie and finds the user in the per-process user cache.
S6 measures the same page for a user whose permissions are really checked.
"""

import asyncio

from bench.databases import flush_redis
from bench.scenario import Context, Goal, ScenarioResult, ratio
from bench.scenarios.login import SUPERUSER, log_in
from bench.scenarios.throughput import QUICK_SECONDS, SECONDS, describe, measure, start_shop_server
from bench.servers import Servers

KEY = "S2"
TITLE = "Throughput with a warm cache: page views/s ÷ hello-world requests/s (1 uvicorn worker)"
NEEDS = ("sqlite", "redis")


def run(ctx: Context) -> ScenarioResult:
    result = ScenarioResult(KEY, TITLE)
    flush_redis(ctx.redis_url)
    seconds = QUICK_SECONDS if ctx.quick else SECONDS
    with Servers(ctx.log_dir, "s2") as servers:
        upstream, app = start_shop_server(servers, ctx, "s2")
        cookie = log_in(app, SUPERUSER)
        measured = asyncio.run(measure(app, upstream, seconds, cookie=cookie))

    views, hello = measured.views, measured.hello
    result.goals = [
        Goal("page views/s ÷ hello-world requests/s", ratio(views.per_second, hello.per_second), 0.5, ">=")
    ]
    describe(result, measured, seconds)
    result.details["viewer"] = f"{SUPERUSER.username} (superuser)"
    return result
