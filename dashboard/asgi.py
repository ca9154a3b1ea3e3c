"""The ASGI application uvicorn serves: the widgets framework's, for this project's settings."""

import os

from widgets import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

application = get_asgi_application()
