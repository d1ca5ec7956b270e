from django.urls import path

from . import views

app_name = "automation"

urlpatterns = [
    path("beheer/regels/", views.rule_list, name="rules"),
    path("beheer/regels/nieuw/", views.rule_edit, name="rule_new"),
    path("beheer/regels/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("beheer/regels/export/", views.rule_export, name="rules_export"),
    path("beheer/regels/<int:pk>/export/", views.rule_export, name="rule_export"),
    path("beheer/regels/importeren/", views.rule_import, name="rules_import"),
    path("beheer/regels/<int:pk>/aan-uit/", views.rule_toggle, name="rule_toggle"),
    path("beheer/regels/<int:pk>/verwijderen/", views.rule_delete, name="rule_delete"),
    path(
        "beheer/regels/<int:pk>/omhoog/",
        views.rule_move,
        {"direction": "omhoog"},
        name="rule_up",
    ),
    path(
        "beheer/regels/<int:pk>/omlaag/",
        views.rule_move,
        {"direction": "omlaag"},
        name="rule_down",
    ),
    path("beheer/macros/", views.macro_list, name="macros"),
    path("beheer/macros/nieuw/", views.macro_edit, name="macro_new"),
    path("beheer/macros/<int:pk>/", views.macro_edit, name="macro_edit"),
    path("beheer/macros/<int:pk>/verwijderen/", views.macro_delete, name="macro_delete"),
    path("beheer/webhooks/", views.webhook_list, name="webhooks"),
    path("beheer/webhooks/nieuw/", views.webhook_edit, name="webhook_new"),
    path("beheer/webhooks/<int:pk>/", views.webhook_log, name="webhook_log"),
    path("beheer/webhooks/<int:pk>/wijzigen/", views.webhook_edit, name="webhook_edit"),
    path("beheer/webhooks/<int:pk>/test/", views.webhook_test, name="webhook_test"),
    path("beheer/webhooks/<int:pk>/verwijderen/", views.webhook_delete, name="webhook_delete"),
    path("beheer/levenscyclus/", views.lifecycle_settings, name="lifecycle"),
    path(
        "tickets/<int:number>/macros/<int:pk>/toepassen/",
        views.macro_apply,
        name="macro_apply",
    ),
    path("tickets/<int:number>/in-de-wacht/", views.ticket_snooze, name="snooze"),
]
