"""Embed links staff create in the admin: who shared which widget, its signed URL, and whether it still works.

The URL carries the widget, its parameters and its expiry (``widgets.embed.signing``),
and the link's id: untick *active* (``is_active``) or delete the link and its URL
answers 403 within ``WIDGETS_EMBED_REVOCATION_SECONDS``, on every process
(``widgets.embed.revocation``, which reads this table once per link and window).
"""

from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext, gettext_lazy

from widgets.embed.signing import default_expiry, embed_url, normalise_params, sign_embed
from widgets.registry import registry


def widget_choices() -> list[tuple[str, str]]:
    """The registered widgets, read when a form is built (widgets register at start-up)."""
    return [(widget.name, f"{widget.title} ({widget.name})") for widget in registry]


class EmbedLink(models.Model):
    widget_name = models.CharField(gettext_lazy("widget"), max_length=100, choices=widget_choices)
    params = models.JSONField(
        gettext_lazy("parameters"),
        default=dict,
        blank=True,
        help_text=gettext_lazy(
            'The widget\'s parameters as a JSON object, e.g. {"range": "30d"}. '
            "Missing ones get the widget's defaults."
        ),
    )
    expires_at = models.DateTimeField(
        gettext_lazy("expires"),
        null=True,
        blank=True,
        help_text=gettext_lazy("Empty: the default, WIDGETS_EMBED_DEFAULT_EXPIRY_DAYS after it is saved."),
    )
    never_expires = models.BooleanField(
        gettext_lazy("never expires"),
        default=False,
        help_text=gettext_lazy("The link works until it is disabled or deleted, or SECRET_KEY changes."),
    )
    is_active = models.BooleanField(
        gettext_lazy("active"),
        default=True,
        help_text=gettext_lazy(
            "Untick to revoke the link: its URL stops working within a minute, on every server. "
            "Tick again to bring it back."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = gettext_lazy("embed link")
        # Declared, so that the system checks need not connect to the database to ask.
        required_db_features = ["supports_json_field"]

    def __str__(self) -> str:
        return gettext("%(widget)s embed #%(id)s") % {"widget": self.widget_name, "id": self.pk}

    def clean(self) -> None:
        """Validate the parameters with the widget's form and keep them normalised."""
        if not isinstance(self.params, dict):
            message = gettext('Give the parameters as a JSON object, e.g. {"range": "30d"}.')
            raise ValidationError({"params": message})
        if self.widget_name:
            try:
                self.params = normalise_params(self.widget_name, self.params)
            except ValueError as error:
                raise ValidationError({"params": str(error)}) from None
        if self.never_expires:
            if self.expires_at is not None:
                message = gettext("A link that never expires has no expiry: clear one.")
                raise ValidationError({"expires_at": message})
        elif self.expires_at is None:
            self.expires_at = datetime.now(UTC) + default_expiry()
        elif self.expires_at <= datetime.now(UTC):
            raise ValidationError(
                {"expires_at": gettext("Choose a time in the future, or leave it empty for the default.")}
            )

    @property
    def token(self) -> str:
        """The signed token, which carries the link's id.

        ``ValueError`` if the widget or its parameters are no longer valid, or if the
        link is not saved yet (a token without its id could not be revoked).
        """
        if self.pk is None:
            raise ValueError("Save the embed link first: its token carries its id.")
        if self.never_expires:
            return sign_embed(self.widget_name, self.params, never_expires=True, link_id=self.pk)
        return sign_embed(self.widget_name, self.params, expires_at=self.expires_at, link_id=self.pk)

    @property
    def url(self) -> str:
        """The absolute embed URL, on ``SITE_URL``."""
        return embed_url(self.token)
