from django.urls import path

from integrations.livechat import views

app_name = "livechat"

urlpatterns = [
    # Before the department pages: "embed.js" is not a slug, but order keeps that obvious.
    path("embed.js", views.embed_js, name="embed"),
    path("<slug:slug>/", views.widget, name="widget"),
    path("<slug:slug>/messages/", views.send_message, name="messages"),
    path("<slug:slug>/conversation/", views.conversation, name="conversation"),
    path("<slug:slug>/files/<str:token>/", views.attachment, name="file"),
    path("<slug:slug>/survey/", views.survey, name="survey"),
    path("<slug:slug>/transcript/", views.transcript, name="transcript"),
]
