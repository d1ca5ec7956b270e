from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "core"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("", RedirectView.as_view(pattern_name="tickets:inbox", permanent=False), name="home"),
]
