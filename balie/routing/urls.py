from django.urls import path

from . import settings_views, views

app_name = "routing"

urlpatterns = [
    path("routering/status/", views.presence_selector, name="presence_selector"),
    path("routering/status/wijzigen/", views.set_presence, name="presence"),
    path("routering/hartslag/", views.heartbeat, name="heartbeat"),
    path("routering/aanbod/<int:pk>/aannemen/", views.accept_offer, name="accept_offer"),
    path("routering/aanbod/<int:pk>/weigeren/", views.decline_offer, name="decline_offer"),
    path("routering/overzicht/", views.supervisor, name="supervisor"),
    path("routering/overzicht/toewijzen/", views.force_assign, name="force_assign"),
    path("beheer/routering/", settings_views.routing_overview, name="beheer"),
    path("beheer/routering/teams/<slug:slug>/", settings_views.team_routing, name="team_routing"),
    path(
        "beheer/routering/medewerkers/<int:pk>/", settings_views.agent_skills, name="agent_skills"
    ),
]
