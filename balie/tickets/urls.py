from django.urls import path

from . import views

app_name = "tickets"

urlpatterns = [
    path("tickets/", views.inbox, name="inbox"),
    path("tickets/regelhoogte/", views.inbox_density, name="density"),
    path("tickets/<int:number>/", views.ticket_detail, name="detail"),
    path("tickets/<int:number>/gesprek/", views.ticket_conversation, name="conversation"),
    path("tickets/<int:number>/antwoord/", views.ticket_reply, name="reply"),
    path("tickets/<int:number>/wijzigen/", views.ticket_update, name="update"),
    path("tickets/<int:number>/typen/", views.ticket_typing, name="typing"),
    path("tickets/<int:number>/aanwezig/", views.ticket_presence, name="presence"),
    path("tickets/<int:number>/weg/", views.ticket_leave, name="leave"),
    path(
        "tickets/<int:number>/bijlagen/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
]
