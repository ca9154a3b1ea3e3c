"""What a widget or a dashboard declares about who may see it (``widgets.auth.access`` checks it)."""

import enum
from collections.abc import Sequence
from typing import Any, ClassVar

from django.http import HttpRequest


class Verdict(enum.Enum):
    """The answer to "may this request see it?"."""

    ALLOWED = "allowed"
    LOGIN_REQUIRED = "login required"  # no one is logged in, and someone might be allowed
    FORBIDDEN = "forbidden"  # the logged-in user is not allowed


class AccessRules:
    """Who may see it: ``public``, ``permissions`` and ``can_view``, declared on widgets and dashboards."""

    public: ClassVar[bool] = False
    permissions: ClassVar[Sequence[str]] = ()

    async def can_view(self, user: Any, request: HttpRequest) -> bool:
        """A rule of the declaration's own, checked after its permissions: override it (it may query)."""
        return True
