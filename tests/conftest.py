from collections.abc import AsyncIterator, Iterator

import pytest
from django.test import override_settings

from widgets.http import aclose_client


@pytest.fixture(autouse=True)
def plain_static_storage() -> Iterator[None]:
    """Unit tests render templates without a collectstatic manifest."""
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield


@pytest.fixture(autouse=True)
async def fresh_http_client() -> AsyncIterator[None]:
    """Each test gets its own shared client, closed afterwards."""
    await aclose_client()
    yield
    await aclose_client()
