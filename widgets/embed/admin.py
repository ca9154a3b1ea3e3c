"""The admin for embed links: staff pick a widget and parameters, copy the signed URL, and revoke it."""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext, gettext_lazy, gettext_noop, ngettext

from widgets.auth import may_see
from widgets.conf import widget_settings
from widgets.embed.models import EmbedLink
from widgets.embed.signing import static_file_url
from widgets.embed.views import DEFAULT_HEIGHT, DEFAULT_WIDTH, IFRAME_TEMPLATE
from widgets.registry import registry

SNIPPETS_TEMPLATE = "widgets/admin/embed_snippets.html"
NOT_VISIBLE = gettext_noop("Choose a widget from the list: you can share only the widgets you may see.")

if TYPE_CHECKING:
    EmbedLinkAdminBase = admin.ModelAdmin[EmbedLink]
else:
    EmbedLinkAdminBase = admin.ModelAdmin


@admin.register(EmbedLink)
class EmbedLinkAdmin(EmbedLinkAdminBase):
    list_display = ("__str__", "status", "widget_name", "params", "expires_at", "created_by", "created_at")
    list_filter = ("is_active", "widget_name")
    actions = ("disable_links", "enable_links")
    fields = (
        "widget_name",
        "params",
        "expires_at",
        "never_expires",
        "is_active",
        "embed_snippets",
        "created_by",
        "created_at",
    )
    readonly_fields = ("embed_snippets", "created_by", "created_at")

    @admin.display(description=gettext_lazy("Status"))
    def status(self, link: EmbedLink) -> str:
        """Whether the URL works: active, disabled (revoked), or expired."""
        if not link.is_active:
            return gettext("Disabled")
        if link.expires_at is not None and link.expires_at <= datetime.now(UTC):
            return gettext("Expired")
        return gettext("Active")

    @admin.action(description=gettext_lazy("Disable selected links (their URLs stop working)"))
    def disable_links(self, request: HttpRequest, links: QuerySet[EmbedLink]) -> None:
        count = links.update(is_active=False)
        seconds = widget_settings.EMBED_REVOCATION_SECONDS
        message = ngettext(
            "Disabled %(count)d embed link(s): their URLs answer 403 within %(seconds)s s.",
            "Disabled %(count)d embed link(s): their URLs answer 403 within %(seconds)s s.",
            count,
        ) % {"count": count, "seconds": f"{seconds:g}"}
        self.message_user(request, message)

    @admin.action(description=gettext_lazy("Enable selected links"))
    def enable_links(self, request: HttpRequest, links: QuerySet[EmbedLink]) -> None:
        count = links.update(is_active=True)
        seconds = widget_settings.EMBED_REVOCATION_SECONDS
        message = ngettext(
            "Enabled %(count)d embed link(s): their URLs work again within %(seconds)s s.",
            "Enabled %(count)d embed link(s): their URLs work again within %(seconds)s s.",
            count,
        ) % {"count": count, "seconds": f"{seconds:g}"}
        self.message_user(request, message)

    @admin.display(description=gettext_lazy("Embed"))
    def embed_snippets(self, link: EmbedLink) -> str:
        """The URL, an iframe and a script tag, in read-only fields to copy."""
        if not link.pk:
            return gettext("Save to get the embed URL.")
        try:
            url = link.url
        except ValueError as error:
            return gettext("No URL: %(error)s") % {"error": error}
        widget = registry.get(link.widget_name)
        iframe = {
            "src": url,
            "title": widget.title if widget else link.widget_name,
            "width": DEFAULT_WIDTH,
            "height": DEFAULT_HEIGHT,
        }
        context = {
            "url": url,
            "iframe": render_to_string(IFRAME_TEMPLATE, iframe).strip(),
            "host_script_url": static_file_url("widgets/embed-host.js"),
            "embed_script_url": static_file_url("widgets/embed.js"),
        }
        return render_to_string(SNIPPETS_TEMPLATE, context)

    def get_form(
        self, request: HttpRequest, obj: EmbedLink | None = None, change: bool = False, **kwargs: Any
    ) -> type["ModelForm[EmbedLink]"]:
        """The link form, offering and accepting only the widgets this user may see."""
        base = super().get_form(request, obj, change, **kwargs)
        visible = {widget.name for widget in registry if async_to_sync(may_see)(widget, request)}

        class EmbedLinkForm(base):  # type: ignore[valid-type,misc]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                field = self.fields["widget_name"]
                field.choices = [choice for choice in field.choices if choice[0] in visible or not choice[0]]
                field.error_messages["invalid_choice"] = gettext(NOT_VISIBLE)

        return EmbedLinkForm

    def save_model(
        self, request: HttpRequest, obj: EmbedLink, form: "ModelForm[EmbedLink]", change: bool
    ) -> None:
        if not change and request.user.is_authenticated:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
