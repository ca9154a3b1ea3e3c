"""Service status from an Atlassian Statuspage v2 summary (``/api/v2/summary.json``)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy

from widgets.base import Widget
from widgets.sources import STRING, array, gather_sources, http_json, obj

SUMMARY_SHAPE = obj(
    {
        "page": obj({"name": STRING}),
        "status": obj({"indicator": STRING, "description": STRING}),
        "components": array(obj({"name": STRING, "status": STRING})),
    },
    optional={"incidents": array(obj({"name": STRING, "status": STRING}))},
)

STATUS_LABELS = {
    "operational": gettext_lazy("Operational"),
    "degraded_performance": gettext_lazy("Degraded performance"),
    "partial_outage": gettext_lazy("Partial outage"),
    "major_outage": gettext_lazy("Major outage"),
    "under_maintenance": gettext_lazy("Under maintenance"),
}


@dataclass(frozen=True)
class Component:
    name: str
    status: str

    @property
    def label(self) -> str:
        known = STATUS_LABELS.get(self.status)
        return str(known) if known is not None else self.status.replace("_", " ").capitalize()

    @property
    def is_operational(self) -> bool:
        return self.status == "operational"


class StatuspageWidget(Widget):
    """Overall indicator, components and open incidents; subclasses give ``base_url()``."""

    template_name: ClassVar[str] = "widgets/builtin/statuspage.html"

    def base_url(self) -> str:
        raise NotImplementedError

    async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        url = f"{self.base_url().rstrip('/')}/api/v2/summary.json"
        summary = (await gather_sources(http_json("status", url, shape=SUMMARY_SHAPE)))["status"]
        components = [
            Component(str(item["name"]), str(item["status"]))
            for item in summary["components"]
            if not item.get("group")
        ]
        incidents = [
            {"name": str(item["name"]), "status": str(item["status"])}
            for item in summary.get("incidents", [])
        ]
        return {
            "page_name": str(summary["page"]["name"]),
            "indicator": str(summary["status"]["indicator"]),
            "description": str(summary["status"]["description"]),
            "components": components,
            "incidents": incidents,
        }
