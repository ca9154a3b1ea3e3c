"""``manage.py rundemo``: the demo upstream, the order simulator and uvicorn, together.

``make demo`` calls it after migrating, seeding and collecting static files.
The external API settings point at the local demo upstream unless they are
already set in the environment, so pointing them at the real services works.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboard.demo_users import credentials_text


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def app_environment(upstream: str, port: int) -> dict[str, str]:
    """The environment of the app: external APIs on the demo upstream unless set, and ``PORT``
    the port it serves, which ``SITE_URL`` follows unless set."""
    env = dict(os.environ)
    env["PORT"] = str(port)
    env.setdefault("RATES_API_URL", upstream)
    env.setdefault("STATUS_API_URL", upstream)
    env.setdefault(
        "HEALTHCHECK_URLS",
        ",".join(f"{name}={upstream}/health/{name}" for name in ("api", "web", "payments", "search")),
    )
    return env


class Command(BaseCommand):
    help = "Run the demo: local upstream, new orders arriving, and the dashboard under uvicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--upstream-port", type=int, default=settings.UPSTREAM_PORT)
        parser.add_argument("--order-interval", type=float, default=2.0)

    def handle(
        self, *args: Any, host: str, port: int, upstream_port: int, order_interval: float, **options: Any
    ) -> None:
        if port == upstream_port:
            raise CommandError(f"PORT and UPSTREAM_PORT are both {port}: give one of them another port")
        for variable, what, wanted in (
            ("PORT", "the dashboard", port),
            ("UPSTREAM_PORT", "the demo upstream", upstream_port),
        ):
            if not port_is_free(wanted):
                raise CommandError(
                    f"Port {wanted} is in use, so {what} cannot listen on it: stop what runs there "
                    f"or set {variable} to a free port (e.g. {variable}={wanted + 10} make demo)"
                )
        upstream = f"http://127.0.0.1:{upstream_port}"
        python = sys.executable
        processes = [
            subprocess.Popen(
                [
                    python,
                    "-m",
                    "uvicorn",
                    "dashboard.demo_upstream:app",
                    "--port",
                    str(upstream_port),
                    "--lifespan",
                    "on",
                    "--log-level",
                    "warning",
                ]
            ),
            subprocess.Popen([python, "manage.py", "simulate_orders", "--interval", str(order_interval)]),
            subprocess.Popen(
                [
                    python,
                    "-m",
                    "uvicorn",
                    "dashboard.asgi:application",
                    "--host",
                    host,
                    "--port",
                    str(port),
                    "--lifespan",
                    "on",
                ],
                env=app_environment(upstream, port),
            ),
        ]
        self.stdout.write(self.style.SUCCESS(f"Demo dashboard: http://{host}:{port}/  (Ctrl-C stops it)"))
        self.stdout.write(f"Log in as one of the demo users:\n{credentials_text()}")
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(process.poll() is None for process in processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
        failed = [process for process in processes if process.returncode not in (0, -signal.SIGTERM, None)]
        if failed and not stopping:
            raise CommandError(f"A demo process stopped unexpectedly (exit code {failed[0].returncode})")
