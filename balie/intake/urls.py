from django.urls import path

from . import views

app_name = "intake"

urlpatterns = [
    path("tickets/nieuw/", views.log_contact, name="log_contact"),
]
