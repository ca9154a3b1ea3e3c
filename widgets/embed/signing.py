"""Signed embed links: a token that fixes one widget, its parameters and, optionally, an expiry.

``sign_embed("revenue", {"range": "30d"}, timedelta(days=7))`` gives a token;
``/embed/<token>/`` (``embed_path``) shows that widget with exactly those
parameters. The token is signed with ``SECRET_KEY`` (``django.core.signing``,
salt ``widgets.embed``), so changing anything in it breaks the signature.

A token made for the admin's ``EmbedLink`` also carries the link's id
(``link_id``): disabling or deleting the link revokes its URL
(``widgets.embed.revocation``). A token signed without one (``sign_embed``
called in code, the ``embed_url`` command) is stored nowhere, so nothing can
revoke it: it stays valid until it expires or ``SECRET_KEY`` changes. Give
such links an expiry.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode, urljoin, urlsplit

from django.conf import settings
from django.core import signing
from django.http import QueryDict
from django.urls import Resolver404, resolve, reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext

from widgets.base import query_keys, query_values
from widgets.conf import widget_settings
from widgets.registry import registry
from widgets.render import param_errors

SALT = "widgets.embed"
URL_NAME = "widgets:embed"
# The one query parameter an embed URL accepts: the script embed asks for the bare fragment.
FRAGMENT_QUERY = ("fragment", "1")

type JSONValue = str | int | float | bool | list[JSONValue] | None


class EmbedError(Exception):
    """An embed link that cannot be shown; the message says why, in words for the viewer.

    ``reason`` names the case (``data-embed-error`` on the message); ``status`` is the embed page's answer.
    """

    reason: ClassVar[str]
    status: ClassVar[int] = 403


class EmbedExpired(EmbedError):
    """The link was valid until ``expired_at``."""

    reason = "expired"

    def __init__(self, expired_at: datetime) -> None:
        self.expired_at = expired_at
        # In the active time zone, with its abbreviation: 2026-12-01 14:00 UTC, or CET.
        when = dateformat.format(timezone.localtime(expired_at), "Y-m-d H:i T")
        super().__init__(gettext("This embed link expired on %(when)s.") % {"when": when})


class EmbedInvalid(EmbedError):
    """The token was changed, cut short, or is not an embed token at all."""

    reason = "invalid"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or gettext("This embed link is not valid: it was changed or is incomplete."))


@dataclass(frozen=True)
class Embed:
    """What a valid token fixes: the widget, its normalised parameters, when the link expires.

    ``link_id`` is the ``EmbedLink`` the token was made for, whose state can revoke it; None for a
    token signed without one.
    """

    widget_name: str
    params: dict[str, JSONValue]
    expires_at: datetime | None = None
    link_id: int | None = None


def normalise_params(widget_name: str, params: Mapping[str, Any]) -> dict[str, JSONValue]:
    """The widget's parameters as its form cleans them (defaults filled in), as JSON query values.

    Stored in a token, they bind back to the same cleaned values: a period is
    kept as its query keys (``{"range": "custom", "from": …, "to": …}``), and
    may be given that way or as a ``Period``. Raises ``ValueError`` naming an
    unknown widget, unknown parameters, or invalid values.
    """
    widget = registry.get(widget_name)
    if widget is None:
        known = ", ".join(sorted(registry.names())) or "none"
        raise ValueError(f"There is no widget named {widget_name!r} (registered widgets: {known}).")
    params = query_values(params)
    keys = query_keys(widget.params_form)
    unknown = [name for name in params if name not in keys]
    if unknown:
        accepted = ", ".join(keys) or "none"
        raise ValueError(
            f"Widget {widget_name!r} has no parameter {', '.join(map(repr, unknown))} "
            f"(its parameters: {accepted})."
        )
    form = widget.bind_params(params)
    if not form.is_valid():
        problems = "; ".join(
            f"{error.field} = {error.value!r}: {error.message}" if error.field in keys else error.message
            for error in param_errors(form, params)
        )
        raise ValueError(f"Invalid parameters for widget {widget_name!r}: {problems}")
    return {name: _json_value(value) for name, value in query_values(form.cleaned_data).items()}


def _json_value(value: Any) -> JSONValue:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_value(item) for item in value]
    # Dates, decimals, model instances: their text form binds back to the same value.
    return str(value)


def sign_embed(
    widget_name: str,
    params: Mapping[str, Any] | None = None,
    expires_in: timedelta | None = None,
    *,
    expires_at: datetime | None = None,
    never_expires: bool = False,
    now: datetime | None = None,
    link_id: int | None = None,
) -> str:
    """A token for ``widget_name`` and ``params``, valid for ``expires_in`` or until ``expires_at``.

    Without either it expires after ``WIDGETS_EMBED_DEFAULT_EXPIRY_DAYS``; a
    link that never expires must be asked for with ``never_expires=True``. The
    parameters are validated and normalised by the widget's form; an unknown
    widget or parameter, or an invalid value, raises ``ValueError``.

    ``link_id`` (``EmbedLink.token`` gives it) makes the token revocable: it is
    shown only while that link exists and is active. Without it, only the
    expiry or a new ``SECRET_KEY`` ends the token.
    """
    payload: dict[str, Any] = {"w": widget_name, "p": normalise_params(widget_name, params or {})}
    if link_id is not None:
        payload["l"] = link_id
    if expires_in is not None and expires_at is not None:
        raise ValueError("Give expires_in or expires_at, not both.")
    if never_expires:
        if expires_in is not None or expires_at is not None:
            raise ValueError("A link that never expires has no expiry: give never_expires or an expiry.")
        return signing.dumps(payload, salt=SALT, compress=True)
    if expires_in is None and expires_at is None:
        expires_in = default_expiry()
    if expires_in is not None:
        if expires_in <= timedelta(0):
            raise ValueError(f"An embed link must expire in the future, not in {expires_in}.")
        expires_at = (now or datetime.now(UTC)) + expires_in
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware.")
        payload["e"] = int(expires_at.timestamp())
    return signing.dumps(payload, salt=SALT, compress=True)


def default_expiry() -> timedelta:
    """How long an embed link lives when its maker says nothing: ``WIDGETS_EMBED_DEFAULT_EXPIRY_DAYS``."""
    return timedelta(days=widget_settings.EMBED_DEFAULT_EXPIRY_DAYS)


def read_embed(token: str, *, now: datetime | None = None) -> Embed:
    """The embed a token fixes; ``EmbedInvalid`` if it was tampered with, ``EmbedExpired`` once expired.

    It reads no database: whether the token's link was revoked is ``widgets.embed.revocation``'s question.
    """
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise EmbedInvalid from None
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("w"), str)
        and isinstance(payload.get("p"), dict)
        and isinstance(payload.get("e", 0), int)
        and isinstance(payload.get("l", 0), int)
    ):
        raise EmbedInvalid
    expires_at = datetime.fromtimestamp(payload["e"], UTC) if "e" in payload else None
    if expires_at is not None and (now or datetime.now(UTC)) >= expires_at:
        raise EmbedExpired(expires_at)
    return Embed(payload["w"], payload["p"], expires_at, payload.get("l"))


def embed_path(token: str) -> str:
    """The path of the embed page of ``token``: ``/embed/<token>/``."""
    return reverse(URL_NAME, kwargs={"token": token})


def embed_url(token: str) -> str:
    """The absolute URL of the embed page of ``token``, on ``SITE_URL``."""
    return f"{widget_settings.SITE_URL}{embed_path(token)}"


def static_file_url(name: str) -> str:
    """The absolute URL of a static file under its plain name (``/static/widgets/embed.js``).

    For snippets pasted on other sites: the hashed name changes with every deploy, the plain one stays.
    """
    return urljoin(f"{widget_settings.SITE_URL}/", f"{settings.STATIC_URL}{name}")


def changed_query(query: QueryDict) -> str:
    """The part of an embed URL's query that tries to change it (``range=30d``), or ``""``.

    An embed shows what its token fixes; the only query it accepts is
    ``fragment=1``. Everything else is refused rather than ignored, so nobody
    believes they changed a widget they did not.
    """
    changes = [
        (key, value) for key, values in query.lists() for value in values if (key, value) != FRAGMENT_QUERY
    ]
    return urlencode(changes)


def token_from_url(url: str, hosts: Collection[str]) -> str:
    """The token of an embed URL of this site (``hosts``: the host names it answers to).

    Raises ``EmbedInvalid`` saying what is wrong with the URL: not one, another
    site's, not an embed path, or changed with a query.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        message = gettext("%(url)s is not an embed URL: give the whole URL, https://<host>/embed/<token>/.")
        raise EmbedInvalid(message % {"url": repr(url)})
    if parts.netloc.lower() not in {host.lower() for host in hosts}:
        message = gettext("%(url)s belongs to another site (%(host)s), not to this one.")
        raise EmbedInvalid(message % {"url": repr(url), "host": parts.netloc})
    try:
        match = resolve(parts.path)
    except Resolver404:
        match = None
    if match is None or match.view_name != URL_NAME:
        message = gettext("%(url)s is not an embed URL: its path should be /embed/<token>/.")
        raise EmbedInvalid(message % {"url": repr(url)})
    if changed := changed_query(QueryDict(parts.query)):
        raise EmbedInvalid(gettext("Embed links cannot be changed: remove ?%(query)s.") % {"query": changed})
    return str(match.kwargs["token"])
