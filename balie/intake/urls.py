from django.urls import path

from . import views
from .webhooks import webhook

app_name = "intake"

urlpatterns = [
    path("tickets/nieuw/", views.log_contact, name="log_contact"),
    path("webhooks/<str:channel>/<str:account>/", webhook, name="webhook"),
]
