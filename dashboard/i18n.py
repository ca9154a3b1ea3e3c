"""``_``: ``gettext_lazy`` for the class attributes the framework declares as ``str``.

A widget's or a dashboard's ``title`` is read when a page is rendered, in the
viewer's language, so it must be lazy; django-stubs types a lazy string as a
``Promise``, which ``Widget.title: ClassVar[str]`` does not take. It behaves
as a ``str`` wherever the framework uses one (templates, f-strings, JSON).
"""

from typing import cast

from django.utils.translation import gettext_lazy


def _(message: str) -> str:
    return cast(str, gettext_lazy(message))
