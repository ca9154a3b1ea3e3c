"""Settings for the demo dashboard project.

Every environment variable the project reads is read here, once (12-factor).
The README's configuration table lists them all; ``tests/test_docs.py`` keeps
it honest.
"""

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {value!r}") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    try:
        return float(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number of seconds, got {value!r}") from None


def env_labelled_urls(name: str) -> dict[str, str]:
    """Comma-separated ``label=url`` pairs (``api=http://127.0.0.1:8001/health/api``), by label."""
    urls: dict[str, str] = {}
    for entry in env_list(name):
        label, _, url = (part.strip() for part in entry.partition("="))
        parts = urlsplit(url)
        # A label has no URL characters: a URL with "=" in its query, given alone, has no label.
        is_label = bool(label) and not any(char in label for char in ":/?#")
        if not is_label or parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ImproperlyConfigured(f"{name} entries must be label=url, got {entry!r}")
        if label in urls:
            raise ImproperlyConfigured(f"{name} uses the label {label!r} twice, again in {entry!r}")
        urls[label] = url
    return urls


DEBUG = env_bool("DEBUG", False)
# No default key with DEBUG off: anyone who knows it can sign embed links and forge sessions.
# Left empty, the server refuses to start (widgets.asgi.get_asgi_application says how to set one).
SECRET_KEY = os.environ.get("SECRET_KEY", "") or ("insecure-key-for-DEBUG-only" if DEBUG else "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "widgets",
    "dashboard",
]

# Every middleware here is async-capable, so a widget request never hops to a
# thread for middleware (tests/test_middleware.py proves it). Static files are
# served by whitenoise in dashboard/asgi.py, before Django, for the same reason.
MIDDLEWARE = [
    "widgets.asgi.inline_middleware.SecurityMiddleware",
    "widgets.asgi.inline_middleware.CommonMiddleware",
    "widgets.asgi.inline_middleware.XFrameOptionsMiddleware",
    "widgets.asgi.inline_middleware.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "widgets.middleware.WidgetsMiddleware",
    # The viewer's language (their choice, else Accept-Language) and time zone (their choice, else TIME_ZONE).
    "widgets.middleware.LocaleMiddleware",
    # Sessions and users in the event loop; Django's own session, auth and message middleware for /admin/.
    "widgets.auth.middleware.AuthMiddleware",
]
SILENCED_SYSTEM_CHECKS = [
    # The admin's checks look for those three middleware in MIDDLEWARE; AuthMiddleware runs them for the
    # admin's requests, and does their work in the event loop for the rest of the site.
    "admin.E408",
    "admin.E409",
    "admin.E410",
    # "SecurityMiddleware / XFrameOptionsMiddleware is not in MIDDLEWARE": they are, run inline by
    # widgets.asgi.inline_middleware under other paths; widgets.asgi.checks runs Django's checks of them.
    "security.W001",
    "security.W002",
    # "CsrfViewMiddleware is not in MIDDLEWARE": only the admin and the login and logout pages take
    # unsafe requests, and their views apply csrf_protect themselves; every widget, dashboard and embed
    # endpoint answers GET/HEAD only (tests/test_access.py checks both).
    "security.W003",
]
# Sessions live in a signed cookie: reading one is checking a signature, no I/O, so a logged-in widget
# request starts no thread (widgets.auth.middleware). Its lifetime is SESSION_COOKIE_AGE (2 weeks).
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "widgets:dashboards"

ROOT_URLCONF = "dashboard.urls"
ASGI_APPLICATION = "dashboard.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                # For the admin; both are lazy, so widget renders do not touch sessions.
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Connections are borrowed per ORM source and returned right after the query. Waiting for one,
    # or for a connect, gives up before a source's deadline (3 s): a database that is down then
    # reads "database unavailable" on the widget, not "timed out".
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env_int("DATABASE_POOL_SIZE", 10),
        "timeout": 2,
    }
    DATABASES["default"]["OPTIONS"]["connect_timeout"] = 2
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the demo's order simulator write while widgets read.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 20}
    )
    # A file, not Django's in-memory default, whose connections never close; one per test run.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"dashboard-test-{os.getpid()}.sqlite3")
    }

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "dashboard",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The demo's own catalog, dashboard/locale, named here so that `makemessages` run from the project root
# puts the strings of templates/ (project templates, in no app) there too. It wins over the apps' catalogs.
LOCALE_PATHS = [BASE_DIR / "dashboard" / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
# No page of the site is framed but the embed pages, which opt out (CSP frame-ancestors instead).
X_FRAME_OPTIONS = "DENY"
# HTTPS, for a site served over TLS (directly or behind a proxy that terminates it).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", False)
# The header a TLS-terminating proxy sets to "https", e.g. X-Forwarded-Proto; trust it only behind one.
_PROXY_SSL_HEADER = os.environ.get("SECURE_PROXY_SSL_HEADER", "")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https") if _PROXY_SSL_HEADER else None
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # httpx logs every upstream request at INFO: one line per source per load.
    "loggers": {"httpx": {"level": "WARNING"}},
}

# External data sources of the demo widgets.
RATES_API_URL = os.environ.get("RATES_API_URL", "https://api.frankfurter.dev/v1")
STATUS_API_URL = os.environ.get("STATUS_API_URL", "https://www.githubstatus.com")

# The uptime widget's checks; none unless set (`make demo` sets local ones).
HEALTHCHECK_URLS = env_labelled_urls("HEALTHCHECK_URLS")

# The widget framework's settings (defaults in widgets/conf.py).
WIDGETS_SOURCE_TIMEOUT = env_float("WIDGETS_SOURCE_TIMEOUT", 3.0)
WIDGETS_ORM_THREADS = env_int("WIDGETS_ORM_THREADS", 8)
WIDGETS_ORM_SEND_FIRST_WAIT = env_float("WIDGETS_ORM_SEND_FIRST_WAIT", 0.1)
# A dashboard page answers once its widgets' upstream requests are out, at most this late.
WIDGETS_PAGE_SEND_FIRST_WAIT = env_float("DASHBOARD_SEND_FIRST_WAIT", 0.05)
# Skip the thread Django's ASGI handler starts per request when a request ran no sync code.
WIDGETS_ASGI_LEAN_HANDLER = env_bool("ASGI_LEAN_HANDLER", True)
# Garbage collector of each worker, applied at ASGI start-up (widgets/asgi/gc.py).
WIDGETS_GC_FREEZE = env_bool("GC_FREEZE", True)
WIDGETS_GC_THRESHOLD = os.environ.get("GC_THRESHOLD", "10000,20,100")
WIDGETS_HTTP_USER_AGENT = "htmx-dashboard/0.1"
# Cached widget values and single-flight locks are shared through Redis when there is one.
WIDGETS_REDIS_URL = REDIS_URL or None
WIDGETS_CACHE_ENABLED = env_bool("WIDGETS_CACHE_ENABLED", True)
# Off: anyone may see widgets and dashboards that name no permissions (a public wall screen, say).
WIDGETS_LOGIN_REQUIRED = env_bool("LOGIN_REQUIRED", True)
WIDGETS_AUTH_CACHE_SECONDS = env_float("AUTH_CACHE_SECONDS", 30.0)

# The ports `make demo` (rundemo) serves the app and the local demo upstream on; `make serve` uses PORT too.
PORT = env_int("PORT", 8000)
UPSTREAM_PORT = env_int("UPSTREAM_PORT", 8001)

# Embedding (widgets/embed/signing.py): absolute embed URLs made outside a request (embed_url command,
# admin) start with SITE_URL, by default 127.0.0.1 on PORT; these origins may frame embed pages and
# fetch them (CORS).
SITE_URL = os.environ.get("SITE_URL") or f"http://127.0.0.1:{PORT}"
WIDGETS_EMBED_ALLOWED_ORIGINS = env_list("EMBED_ALLOWED_ORIGINS")
WIDGETS_EMBED_PROVIDER_NAME = "HTMX dashboard demo"
