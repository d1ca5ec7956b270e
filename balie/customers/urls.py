from django.urls import path

from . import views

app_name = "customers"

urlpatterns = [
    path("klanten/", views.customer_list, name="list"),
    path("klanten/kiezen/", views.customer_picker, name="picker"),
    path("klanten/<int:pk>/", views.customer_detail, name="detail"),
    path("klanten/<int:pk>/identiteit/", views.identity_add, name="identity_add"),
    path("klanten/<int:pk>/samenvoegen/", views.customer_merge, name="merge"),
]
