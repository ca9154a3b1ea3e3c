from django.urls import path

from bench.benchapp import views

app_name = "bench"

urlpatterns = [
    path("hello/", views.hello, name="hello"),
    path("lazy/", views.lazy_page, name="lazy"),
    path("sequential/", views.sequential_page, name="sequential"),
    path("probe/<slug:name>/", views.probe, name="probe"),
]
