"""Who may do what: the login throttle (more access control is to come here)."""

from widgets.auth.throttle import LoginThrottleMiddleware, login_throttle

__all__ = ["LoginThrottleMiddleware", "login_throttle"]
