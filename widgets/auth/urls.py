"""The login and logout pages, named ``login`` and ``logout``.

Mount them with ``path("accounts/", include("widgets.auth.urls"))``.
"""

from django.urls import path

from widgets.auth.views import LoginView, LogoutView

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
]
