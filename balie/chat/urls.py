from django.urls import path

from . import views, widget_api, workspace

app_name = "chat"

urlpatterns = [
    path("chat/widget.js", views.widget_script, name="widget"),
    path("chat/demo/", views.demo_page, name="demo"),
    path("chat/bijlage/<str:token>/", widget_api.attachment, name="attachment"),
    path("chat/api/<str:account>/status", widget_api.status, name="status"),
    path("chat/api/<str:account>/start", widget_api.start, name="start"),
    path("chat/api/<str:account>/bericht", widget_api.leave_message, name="leave_message"),
    path("chat/api/<str:account>/bestand", widget_api.upload, name="upload"),
    path("chat/api/<str:account>/transcript", widget_api.transcript, name="transcript"),
    path("chat/api/<str:account>/beoordeling", widget_api.rating, name="rating"),
    path("chat/api/<str:account>/einde", widget_api.end, name="end"),
    path("chat/werkplek/", workspace.page, name="workspace"),
]
