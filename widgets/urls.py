from django.urls import path

from widgets.views import widget_view

app_name = "widgets"

urlpatterns = [
    path("<slug:name>/", widget_view, name="widget"),
]
