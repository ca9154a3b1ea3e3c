"""The bench app's settings (set in bench/settings.py from the environment), with defaults."""

from django.conf import settings


class BenchSettings:
    """Typed access to the ``BENCH_*`` settings; each is read when used."""

    @property
    def UPSTREAM_URL(self) -> str:
        """The counting upstream (bench/upstream.py) the bench widgets fetch from."""
        return str(getattr(settings, "BENCH_UPSTREAM_URL", "http://127.0.0.1:9")).rstrip("/")

    @property
    def S5_PAUSE_SECONDS(self) -> float:
        return float(getattr(settings, "BENCH_S5_PAUSE_SECONDS", 0.1))


bench_settings = BenchSettings()
