"""FX rates from a Frankfurter-compatible API (``GET {base_url}/latest?from=EUR``)."""

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from django.utils.translation import gettext

from widgets.base import Widget
from widgets.sources import NUMBER, STRING, Source, UpstreamError, gather_sources, http_json, obj

RATES_SHAPE = obj({"amount": NUMBER, "base": STRING, "date": STRING, "rates": obj(values=NUMBER)})


@dataclass(frozen=True)
class Rates:
    base: str
    date: str
    rates: dict[str, Decimal]


def rates_source(base_url: str, base: str = "EUR", *, name: str = "fx-rates") -> Source[Rates]:
    """A source fetching the latest rates for ``base`` and checking their shape."""
    json_source = http_json(name, f"{base_url.rstrip('/')}/latest", params={"from": base}, shape=RATES_SHAPE)

    async def load() -> Rates:
        data = await json_source.load()
        rates = {str(code): Decimal(str(rate)) for code, rate in data["rates"].items()}
        return Rates(str(data["base"]), str(data["date"]), rates)

    return Source(name, load)


def rate_for(rates: Rates, currency: str) -> Decimal:
    """The rate from ``rates.base`` to ``currency``; an ``UpstreamError`` names a missing one."""
    if currency == rates.base:
        return Decimal(1)
    try:
        return rates.rates[currency]
    except KeyError:
        message = gettext("no rate for %(currency)s in the upstream answer")
        raise UpstreamError(message % {"currency": currency}) from None


class RatesWidget(Widget):
    """The latest FX rates against a base currency; subclasses give ``base_url()``."""

    template_name: ClassVar[str] = "widgets/builtin/rates.html"
    base_currency: ClassVar[str] = "EUR"

    def base_url(self) -> str:
        raise NotImplementedError

    async def load(self, params: Mapping[str, Any]) -> Mapping[str, Any]:
        values = await gather_sources(rates_source(self.base_url(), self.base_currency))
        rates: Rates = values["fx-rates"]
        return {
            "base": rates.base,
            "date": rates.date,
            "rates": sorted(rates.rates.items()),
        }
