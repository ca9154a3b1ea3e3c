"""``python -m bench.run [--only S1,S3] [--quick] [--label NAME] [--s3-seconds N]``.

Prepares what the chosen scenarios need (the seeded SQLite file, the seeded
PostgreSQL ``bench`` database, the bench's Redis db), runs each scenario
under a time limit, prints the markdown report and writes it with its JSON
to bench/results/. Exits 0 when every scenario ran, whether or not its goals
were met; 1 when a scenario could not run.
"""

import argparse
import resource
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType, ModuleType

from bench import databases, report
from bench.scenario import Context, ScenarioError, ScenarioResult
from bench.scenarios import (
    s1_time_to_visible,
    s2_throughput,
    s3_fan_in,
    s4_concurrency,
    s5_parallel_orm,
    s6_logged_in,
    s7_overload,
)
from bench.servers import DATA_DIR

SCENARIOS: dict[str, ModuleType] = {
    module.KEY: module
    for module in (
        s1_time_to_visible,
        s2_throughput,
        s3_fan_in,
        s4_concurrency,
        s5_parallel_orm,
        s6_logged_in,
        s7_overload,
    )
}
S3_SECONDS = 30.0
QUICK_S3_SECONDS = 10.0
# A safety net only: each scenario bounds its own waits far below this.
TIME_LIMIT_SECONDS = 150.0


class ScenarioTimeout(ScenarioError):
    pass


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[1])
    parser.add_argument(
        "--only", default="", help="Comma-separated scenarios to run, e.g. S1,S3 (default: all)."
    )
    parser.add_argument("--quick", action="store_true", help="Fewer rounds and shorter loads: a smoke run.")
    parser.add_argument(
        "--source-commit",
        default=None,
        help="The commit whose code is measured, when the tree is a snapshot without .git (recorded as is).",
    )
    parser.add_argument(
        "--label", default="latest", help="Results file name in bench/results/ (default: latest)."
    )
    parser.add_argument(
        "--memos-off",
        default="",
        help="Comma-separated memo names (or 'all') the app servers keep nothing in: what each is worth.",
    )
    parser.add_argument(
        "--s3-seconds",
        type=float,
        default=None,
        help=f"S3's duration (default {S3_SECONDS:g}, quick {QUICK_S3_SECONDS:g}).",
    )
    arguments = parser.parse_args(argv)
    keys = [key.strip().upper() for key in arguments.only.split(",") if key.strip()] or list(SCENARIOS)
    if unknown := [key for key in keys if key not in SCENARIOS]:
        parser.error(f"unknown scenarios {unknown}; choose from {list(SCENARIOS)}")
    arguments.keys = keys
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    s3_seconds = arguments.s3_seconds or (QUICK_S3_SECONDS if arguments.quick else S3_SECONDS)
    raise_open_files_limit()
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    postgres_url = databases.postgres_url()
    ctx = Context(
        quick=arguments.quick,
        s3_seconds=s3_seconds,
        sqlite_url=databases.sqlite_url(),
        postgres_url=postgres_url,
        postgres_admin_url=databases.postgres_admin_url(postgres_url),
        redis_url=databases.redis_url(),
        log_dir=DATA_DIR / "logs",
        memos_off=arguments.memos_off,
    )
    options = {"scenarios": ",".join(arguments.keys), "quick": arguments.quick, "s3_seconds": s3_seconds}
    if arguments.memos_off:
        options["memos_off"] = arguments.memos_off
    run_report = report.Report(arguments.label, options, source_commit=arguments.source_commit)
    modules = [SCENARIOS[key] for key in arguments.keys]
    unprepared = prepare({need for module in modules for need in module.NEEDS})
    for module in modules:
        missing = [f"{need}: {unprepared[need]}" for need in module.NEEDS if need in unprepared]
        if missing:
            result = ScenarioResult(module.KEY, module.TITLE, error="Not prepared:\n" + "\n".join(missing))
        else:
            result = run_scenario(module, ctx)
        run_report.scenarios.append(result)
        mark = "could not run" if result.error else f"done in {result.seconds:.0f} s"
        print(f"{module.KEY}: {mark}", file=sys.stderr, flush=True)
    json_path, markdown_path = report.write(run_report)
    print(report.to_markdown(run_report))
    root = json_path.parents[2]
    print(f"Written: {json_path.relative_to(root)}, {markdown_path.relative_to(root)}")
    return 1 if run_report.failed else 0


def prepare(needs: set[str]) -> dict[str, str]:
    """Make the databases ready; return what could not be prepared, with why."""
    steps: dict[str, Callable[[], None]] = {
        "sqlite": databases.prepare_sqlite,
        "postgres": lambda: databases.prepare_postgres(databases.postgres_url()),
        "redis": lambda: databases.flush_redis(databases.redis_url()),
    }
    failures = {}
    for need in sorted(needs):
        print(f"Preparing {need} ...", file=sys.stderr, flush=True)
        try:
            steps[need]()
        except ScenarioError as error:
            failures[need] = str(error)
    return failures


def run_scenario(module: ModuleType, ctx: Context) -> ScenarioResult:
    print(f"{module.KEY}: {module.TITLE} ...", file=sys.stderr, flush=True)
    started = time.monotonic()
    limit = TIME_LIMIT_SECONDS + (ctx.s3_seconds if module.KEY == "S3" else 0)
    try:
        with time_limit(limit):
            result: ScenarioResult = module.run(ctx)
    except ScenarioError as error:
        result = ScenarioResult(module.KEY, module.TITLE, error=str(error))
    except Exception:
        result = ScenarioResult(module.KEY, module.TITLE, error=traceback.format_exc())
    result.seconds = time.monotonic() - started
    return result


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: FrameType | None) -> None:
        raise ScenarioTimeout(f"stopped after the {seconds:g} s time limit")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # As Ctrl-C: every Servers block on the way out stops its processes.
    raise KeyboardInterrupt


def raise_open_files_limit() -> None:
    """S4 holds 1,000 client connections and the server as many: lift the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


if __name__ == "__main__":
    sys.exit(main())
