"""The admin for embed links: staff pick a widget and parameters, and copy the signed URL."""

from typing import TYPE_CHECKING

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from django.template.loader import render_to_string

from widgets.embed.models import EmbedLink
from widgets.embed.signing import static_file_url
from widgets.embed.views import DEFAULT_HEIGHT, DEFAULT_WIDTH, IFRAME_TEMPLATE
from widgets.registry import registry

SNIPPETS_TEMPLATE = "widgets/admin/embed_snippets.html"

if TYPE_CHECKING:
    EmbedLinkAdminBase = admin.ModelAdmin[EmbedLink]
else:
    EmbedLinkAdminBase = admin.ModelAdmin


@admin.register(EmbedLink)
class EmbedLinkAdmin(EmbedLinkAdminBase):
    list_display = ("widget_name", "params", "expires_at", "created_by", "created_at")
    list_filter = ("widget_name",)
    fields = (
        "widget_name",
        "params",
        "expires_at",
        "never_expires",
        "embed_snippets",
        "created_by",
        "created_at",
    )
    readonly_fields = ("embed_snippets", "created_by", "created_at")

    @admin.display(description="Embed")
    def embed_snippets(self, link: EmbedLink) -> str:
        """The URL, an iframe and a script tag, in read-only fields to copy."""
        if not link.pk:
            return "Save to get the embed URL."
        try:
            url = link.url
        except ValueError as error:
            return f"No URL: {error}"
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

    def save_model(
        self, request: HttpRequest, obj: EmbedLink, form: "ModelForm[EmbedLink]", change: bool
    ) -> None:
        if not change and request.user.is_authenticated:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
