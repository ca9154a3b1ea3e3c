"""Who may see what: access rules, the cached user, login redirects, and the login throttle.

``widgets.auth.middleware.AuthMiddleware`` (named in ``MIDDLEWARE``, not
imported here: it loads the auth app's models) gives requests their session
and user without a thread hop.
"""

from widgets.auth.access import check_access, known_verdict, login_redirect, may_see, request_user
from widgets.auth.rules import AccessRules, Verdict
from widgets.auth.throttle import LoginThrottleMiddleware, login_throttle
from widgets.auth.users import cached_user

__all__ = [
    "AccessRules",
    "LoginThrottleMiddleware",
    "Verdict",
    "cached_user",
    "check_access",
    "known_verdict",
    "login_redirect",
    "login_throttle",
    "may_see",
    "request_user",
]
