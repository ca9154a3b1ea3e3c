"""Settings of the benchmark's app servers: the demo project plus the bench-only app.

The bench's own knobs come from the environment that ``bench/servers.py`` gives
each server process; ``bench/benchapp/conf.py`` reads them with defaults.
"""

import os

from dashboard.settings import *  # noqa: F403
from dashboard.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.benchapp"]
ROOT_URLCONF = "bench.urls"

# The counting upstream (bench/upstream.py) every bench widget fetches from.
BENCH_UPSTREAM_URL = os.environ.get("BENCH_UPSTREAM_URL", "http://127.0.0.1:9")
# The PostgreSQL pause that makes each S5 aggregate take about this long.
BENCH_S5_PAUSE_SECONDS = float(os.environ.get("BENCH_S5_PAUSE_SECONDS", "0.1"))
# Memos to switch off (max_entries = 0) in the app servers, to measure what each is worth: memo names
# (widgets.memo.memos() lists them) separated by commas, or "all". bench/benchapp/apps.py applies it.
BENCH_MEMOS_OFF = [name.strip() for name in os.environ.get("BENCH_MEMOS_OFF", "").split(",") if name.strip()]
# S7 runs its worker with and without the bound on distinct loads in flight; unset: the framework's default.
if "BENCH_MAX_LOADS_IN_FLIGHT" in os.environ:
    WIDGETS_MAX_LOADS_IN_FLIGHT = int(os.environ["BENCH_MAX_LOADS_IN_FLIGHT"])
