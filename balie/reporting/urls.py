from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("rapportages/sla/", views.sla_report, name="sla"),
    path("rapportages/sla/export.csv", views.sla_report_csv, name="sla_csv"),
]
