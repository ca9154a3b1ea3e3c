"""The export endpoint: ``/widgets/<name>/export.csv`` and ``export.json``.

It answers as the widget endpoint does up to the load (the same access check,
the same parameters form, the same cached load through ``load_frame``), then
writes the widget's ``data_table`` instead of rendering it. A refusal is plain
text for CSV and ``{"error": …}`` for JSON.
"""

from typing import Any

from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_safe

from widgets.auth import Verdict, check_access, login_redirect
from widgets.export.formats import Export, export_query, export_response, is_export_format
from widgets.registry import registry
from widgets.render import ParamError, WidgetFrame, load_frame, param_errors, widget_query
from widgets.request_types import HtmxHttpRequest


@require_safe
async def export_view(request: HtmxHttpRequest, name: str, export_format: str) -> HttpResponse:
    """Check who is asking, validate the parameters, get the widget's cached load, and write its table."""
    if not is_export_format(export_format):
        message = gettext("There is no export as “%(format)s”: use export.csv or export.json.") % {
            "format": export_format
        }
        return refusal(export_format, 404, message)
    widget = registry.get(name)
    if widget is None:
        return refusal(export_format, 404, gettext("There is no widget named “%(name)s”.") % {"name": name})
    verdict = await check_access(widget, request)
    if verdict is Verdict.LOGIN_REQUIRED:
        return login_redirect(request)
    if verdict is Verdict.FORBIDDEN:
        return refusal(export_format, 403, gettext("You do not have access to this widget."))
    query = widget_query(request)
    form = widget.bind_params(query)
    if not form.is_valid():
        return invalid_params(export_format, param_errors(form, query))
    frame = await load_frame(widget, form.cleaned_data)
    if frame.state not in ("ready", "stale"):
        return unavailable(export_format, frame)
    table = widget.data_table(frame.body)
    if table is None:
        message = gettext("“%(title)s” has nothing to export (no table or chart).") % {"title": widget.title}
        return refusal(export_format, 404, message)
    loaded_at = frame.loaded_at or timezone.now()
    export = Export(widget.name, widget.title, export_query(form.cleaned_data), frame.state, loaded_at, table)
    return export_response(export, export_format)


def refusal(export_format: str, status: int, message: str, **details: Any) -> HttpResponse:
    """Why there is no export: ``{"error": message, …details}`` for JSON, the message as text otherwise."""
    if export_format == "json":
        return JsonResponse({"error": message, **details}, status=status)
    return HttpResponse(f"{message}\n", content_type="text/plain; charset=utf-8", status=status)


def invalid_params(export_format: str, errors: list[ParamError]) -> HttpResponse:
    """400 naming each parameter, the value given and what is wrong with it."""
    named = "; ".join(f"{error.field} = “{error.value}”: {error.message}" for error in errors)
    params = [{"field": error.field, "value": error.value, "message": error.message} for error in errors]
    message = gettext("Invalid parameters: %(errors)s") % {"errors": named}
    return refusal(export_format, 400, message, params=params)


def unavailable(export_format: str, frame: WidgetFrame) -> HttpResponse:
    """503: the load failed and nothing is cached (naming the sources), or the process would not start it."""
    if frame.state == "overloaded":
        seconds = frame.retry_after_seconds or 0
        message = ngettext(
            "The server is busy: try again in %(seconds)d s.",
            "The server is busy: try again in %(seconds)d s.",
            seconds,
        ) % {"seconds": seconds}
        response = refusal(export_format, 503, message)
        response["Retry-After"] = str(frame.retry_after_seconds)
        return response
    named = "; ".join(f"{error.source}: {error.reason}" for error in frame.source_errors)
    sources = [{"source": error.source, "reason": error.reason} for error in frame.source_errors]
    message = gettext("“%(title)s” could not load: %(errors)s.") % {
        "title": frame.title,
        "errors": named or gettext("no value"),
    }
    return refusal(export_format, 503, message, sources=sources)
