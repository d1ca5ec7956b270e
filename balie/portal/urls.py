from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("contact/", views.contact, name="contact"),
    path("contact/bedankt/<str:token>/", views.contact_thanks, name="contact_thanks"),
    path("portaal/", views.portal_home, name="home"),
    path("portaal/link-verstuurd/", views.login_sent, name="login_sent"),
    path("portaal/inloggen/<str:token>/", views.magic_login, name="magic_login"),
    path("portaal/uitloggen/", views.portal_logout, name="logout"),
    path("portaal/tickets/<int:number>/", views.ticket_detail, name="ticket"),
    path(
        "portaal/tickets/<int:number>/bijlagen/<int:pk>/",
        views.attachment_download,
        name="attachment",
    ),
]
