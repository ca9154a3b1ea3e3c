"""The framework's settings, with their defaults, read lazily from Django's settings."""

from django.conf import settings


class WidgetSettings:
    """Typed access to the ``WIDGETS_*`` settings; each is read when used."""

    @property
    def SOURCE_TIMEOUT(self) -> float:
        """Default deadline in seconds for one source of one widget."""
        return float(getattr(settings, "WIDGETS_SOURCE_TIMEOUT", 3.0))

    @property
    def HTTP_CONNECT_TIMEOUT(self) -> float:
        """Connect timeout of the shared HTTP client."""
        return float(getattr(settings, "WIDGETS_HTTP_CONNECT_TIMEOUT", 2.0))

    @property
    def HTTP_MAX_CONNECTIONS(self) -> int:
        """Size of the shared HTTP client's connection pool."""
        return int(getattr(settings, "WIDGETS_HTTP_MAX_CONNECTIONS", 100))

    @property
    def HTTP_USER_AGENT(self) -> str:
        return str(getattr(settings, "WIDGETS_HTTP_USER_AGENT", "django-widgets"))

    @property
    def AUTODISCOVER_MODULE(self) -> str:
        """The module looked for in each installed app, like the admin's ``admin``."""
        return str(getattr(settings, "WIDGETS_AUTODISCOVER_MODULE", "widgets"))

    @property
    def ORM_THREADS(self) -> int:
        """Threads per process for ORM sources: how many run in parallel (keep <= the DB pool size)."""
        return int(getattr(settings, "WIDGETS_ORM_THREADS", 8))

    @property
    def ORM_SEND_FIRST_WAIT(self) -> float:
        """Seconds an ORM source waits for upstream requests being prepared to be sent (0: no wait)."""
        return float(getattr(settings, "WIDGETS_ORM_SEND_FIRST_WAIT", 0.1))

    @property
    def PAGE_SEND_FIRST_WAIT(self) -> float:
        """Seconds a dashboard page waits, at most, for its widgets' upstream requests to go out (0: none)."""
        return float(getattr(settings, "WIDGETS_PAGE_SEND_FIRST_WAIT", 0.05))

    @property
    def ASGI_LEAN_HANDLER(self) -> bool:
        """``get_asgi_application`` skips Django's per-request thread when a request ran no sync code."""
        return bool(getattr(settings, "WIDGETS_ASGI_LEAN_HANDLER", True))

    @property
    def GC_FREEZE(self) -> bool:
        """Each worker freezes its start-up objects out of the garbage collector's sight."""
        return bool(getattr(settings, "WIDGETS_GC_FREEZE", True))

    @property
    def GC_THRESHOLD(self) -> str:
        """Each worker's ``gc.set_threshold()``, as ``"10000,20,100"``; empty: Python's defaults."""
        return str(getattr(settings, "WIDGETS_GC_THRESHOLD", "10000,20,100"))

    @property
    def CACHE_ENABLED(self) -> bool:
        """Cache what widgets load (``widgets.cache``); off, every request loads."""
        return bool(getattr(settings, "WIDGETS_CACHE_ENABLED", True))

    @property
    def REDIS_URL(self) -> str | None:
        """Redis shared by every worker for cached values and single-flight locks; None: in-process only."""
        url = getattr(settings, "WIDGETS_REDIS_URL", None)
        return str(url) if url else None

    @property
    def REDIS_TIMEOUT(self) -> float:
        """Connect and read timeout, in seconds, of the Redis client: short, so a dead Redis costs little."""
        return float(getattr(settings, "WIDGETS_REDIS_TIMEOUT", 0.5))

    @property
    def REDIS_MAX_CONNECTIONS(self) -> int:
        """Connections each process may open to Redis; a request waits for a free one (up to the timeout)."""
        return int(getattr(settings, "WIDGETS_REDIS_MAX_CONNECTIONS", 20))

    @property
    def CACHE_KEY_PREFIX(self) -> str:
        """Prefix of every cache key, to share one Redis database between projects."""
        return str(getattr(settings, "WIDGETS_CACHE_KEY_PREFIX", "widgets"))

    @property
    def CACHE_MAX_ENTRIES(self) -> int:
        """Size of each process's in-process cache (least recently used entries go first)."""
        return int(getattr(settings, "WIDGETS_CACHE_MAX_ENTRIES", 1000))

    @property
    def CACHE_LOCK_SECONDS(self) -> float:
        """Expiry of a single-flight lock in Redis: the longest a crashed loader can hold others up."""
        return float(getattr(settings, "WIDGETS_CACHE_LOCK_SECONDS", 10.0))

    @property
    def CACHE_REVALIDATE_WAIT(self) -> float:
        """How long a request that finds a stale value waits for its refresh before serving it stale."""
        return float(getattr(settings, "WIDGETS_CACHE_REVALIDATE_WAIT", 1.0))

    @property
    def CACHE_ERROR_SECONDS(self) -> float:
        """After a failed load, how long requests reuse the failure instead of loading again."""
        return float(getattr(settings, "WIDGETS_CACHE_ERROR_SECONDS", 5.0))

    @property
    def SITE_URL(self) -> str:
        """The site's own base URL (scheme and host), for absolute embed URLs made outside a request."""
        return str(getattr(settings, "SITE_URL", "http://127.0.0.1:8000")).rstrip("/")

    @property
    def EMBED_ALLOWED_ORIGINS(self) -> list[str]:
        """Origins (``https://blog.example``) that may frame embed pages and fetch them with CORS.

        The site's own origin always may; ``"*"`` allows every origin.
        """
        origins = getattr(settings, "WIDGETS_EMBED_ALLOWED_ORIGINS", [])
        return [str(origin).rstrip("/") for origin in origins]

    @property
    def EMBED_PROVIDER_NAME(self) -> str:
        """The ``provider_name`` of oEmbed answers."""
        return str(getattr(settings, "WIDGETS_EMBED_PROVIDER_NAME", "Dashboard"))

    @property
    def EMBED_REVOCATION_SECONDS(self) -> float:
        """How long each process trusts what the database said about an embed link (0 up to, not incl., 60).

        A disabled or deleted link's URL stops working within this many seconds, on every process.
        """
        return float(getattr(settings, "WIDGETS_EMBED_REVOCATION_SECONDS", 30))

    @property
    def PERIOD_MAX_DAYS(self) -> int:
        """The longest custom time range, in days, that a ``PeriodField`` accepts by default."""
        return int(getattr(settings, "WIDGETS_PERIOD_MAX_DAYS", 366))

    @property
    def HTTP_MAX_BYTES(self) -> int:
        """Largest upstream answer an HTTP source reads, in bytes (``http_json(max_bytes=...)`` for one)."""
        return int(getattr(settings, "WIDGETS_HTTP_MAX_BYTES", 2 * 1024 * 1024))

    @property
    def EMBED_DEFAULT_EXPIRY_DAYS(self) -> float:
        """How many days an embed link lives when its maker gives no expiry (never: ask for it)."""
        return float(getattr(settings, "WIDGETS_EMBED_DEFAULT_EXPIRY_DAYS", 30))

    @property
    def LOGIN_REQUIRED(self) -> bool:
        """Widgets and dashboards need a logged-in user unless declared ``public``; off: anyone may look."""
        return bool(getattr(settings, "WIDGETS_LOGIN_REQUIRED", True))

    @property
    def AUTH_CACHE_SECONDS(self) -> float:
        """How long each process keeps a logged-in user and their permissions (``widgets.auth.users``)."""
        return float(getattr(settings, "WIDGETS_AUTH_CACHE_SECONDS", 30))

    @property
    def LOGIN_MAX_FAILURES(self) -> int:
        """Failed logins from one address, or for one username, before its attempts are refused."""
        return int(getattr(settings, "WIDGETS_LOGIN_MAX_FAILURES", 5))

    @property
    def LOGIN_THROTTLE_SECONDS(self) -> int:
        """How long failed logins are counted, and a throttled login waits."""
        return int(getattr(settings, "WIDGETS_LOGIN_THROTTLE_SECONDS", 15 * 60))

    @property
    def MAX_LOADS_IN_FLIGHT(self) -> int:
        """Distinct widget loads each process runs at once; one more is refused with 503 (0: no bound)."""
        return int(getattr(settings, "WIDGETS_MAX_LOADS_IN_FLIGHT", 100))

    @property
    def CACHE_MAX_BYTES(self) -> int:
        """Estimated bytes of each process's in-process cache (least recently used entries go first)."""
        return int(getattr(settings, "WIDGETS_CACHE_MAX_BYTES", 64 * 1024 * 1024))


widget_settings = WidgetSettings()
