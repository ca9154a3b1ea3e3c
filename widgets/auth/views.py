"""The login and logout pages, in the dashboards' style (``widgets.auth.urls``)."""

from typing import Any, ClassVar

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class LoginView(auth_views.LoginView):
    template_name = "widgets/auth/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Django's (which logs out on POST only), with a page asking to confirm on GET."""

    http_method_names: ClassVar[list[str]] = ["get", "post", "options"]  # type: ignore[misc]
    template_name = "widgets/auth/logged_out.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return render(request, "widgets/auth/logout.html")
