"""The demo's ASGI application with one more widget, for e2e/test_overload.py.

``sharded_rates`` is the demo's FX rates widget (``RATES_API_URL``) with a
``shard`` parameter: every shard is a cache key of its own, hence a distinct
load, so a test can ask for as many distinct slow loads as it likes. It is
public, as the test measures admission, not logins.
"""

from django import forms
from django.conf import settings

from dashboard.asgi import application
from widgets import register
from widgets.builtin.rates import RatesWidget


class ShardForm(forms.Form):
    shard = forms.IntegerField(min_value=0)


@register
class ShardedRatesWidget(RatesWidget):
    name = "sharded_rates"
    title = "Sharded FX rates"
    params_form = ShardForm
    public = True

    def base_url(self) -> str:
        return str(settings.RATES_API_URL)


__all__ = ["application"]
