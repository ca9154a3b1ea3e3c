"""``manage.py embed_url revenue --param range=30d --expires 7d``: print a signed embed URL.

It stores nothing, so nothing can revoke the URL: it ends at its expiry or when
``SECRET_KEY`` changes. A link made in the admin can be disabled instead.
"""

import re
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from widgets.embed import embed_url, sign_embed

DURATION = re.compile(r"(\d+)([smhd])")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
NEVER = "never"


def parse_expiry(text: str) -> timedelta | None:
    """``30m``, ``1h``, ``7d`` (or ``90s``) as a duration; ``never`` as None."""
    if text == NEVER:
        return None
    match = DURATION.fullmatch(text)
    if match is None or int(match[1]) == 0:
        raise CommandError(
            f"--expires must be a number and a unit (30m, 1h, 7d; s, m, h or d) or {NEVER!r}, got {text!r}."
        )
    return timedelta(**{UNITS[match[2]]: int(match[1])})


def parse_params(pairs: list[str]) -> dict[str, str | list[str]]:
    """``["range=30d", "currency=USD"]`` as a dict; a name given twice gets a list."""
    params: dict[str, str | list[str]] = {}
    for pair in pairs:
        name, is_pair, value = pair.partition("=")
        if not is_pair or not name:
            raise CommandError(f"--param must be name=value, got {pair!r}.")
        if name in params:
            previous = params[name]
            params[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            params[name] = value
    return params


class Command(BaseCommand):
    help = (
        "Print the absolute URL (on SITE_URL) of a signed embed link that shows one widget with fixed "
        "parameters, e.g. embed_url revenue --param range=30d --expires 7d. The URL is not stored, so it "
        "cannot be revoked: it works until it expires (or SECRET_KEY changes). For a link that can be "
        "disabled, use the admin's embed links."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("widget", help="The widget's name, e.g. revenue.")
        parser.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="A parameter of the widget; repeat for several.",
        )
        parser.add_argument(
            "--expires",
            default="",
            metavar="DURATION",
            help=(
                f"How long the link works: 30m, 1h, 7d, or {NEVER}; "
                "default: WIDGETS_EMBED_DEFAULT_EXPIRY_DAYS (30 days)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        params = parse_params(options["param"])
        never_expires = options["expires"] == NEVER
        expires_in = parse_expiry(options["expires"]) if options["expires"] else None
        try:
            token = sign_embed(options["widget"], params, expires_in, never_expires=never_expires)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(embed_url(token))
