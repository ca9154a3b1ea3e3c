"""Settings of S1's reference (c): plain synchronous Django under gunicorn.

Stock, sync middleware only (the project's middleware is async-only and would
be adapted with a thread hop per request under WSGI); static files through
whitenoise's WSGI wrapper in bench/wsgi.py.
"""

from bench.settings import *  # noqa: F403

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]
