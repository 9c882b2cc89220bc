from django.urls import path

from directory import views

urlpatterns = [
    path("", views.contacts, name="contact-center"),
    path("contacts/<int:contact_id>/", views.contact_detail, name="contact-center-contact"),
    path("contacts/<int:contact_id>/edit/", views.contact_edit, name="contact-center-contact-edit"),
    path(
        "contacts/<int:contact_id>/merge/", views.contact_merge, name="contact-center-contact-merge"
    ),
    path("chats/", views.chats, name="contact-center-chats"),
    path("chats/<int:room_id>/", views.chat_detail, name="contact-center-chat"),
    path("calls/", views.calls, name="contact-center-calls"),
]
