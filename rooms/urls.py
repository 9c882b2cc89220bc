from django.urls import path

from rooms import tools, views

urlpatterns = [
    path("<int:room_id>/messages/", views.post_message, name="room-post-message"),
    path("<int:room_id>/messages/new/", views.message_fragment, name="room-messages"),
    path("<int:room_id>/messages/<int:message_id>/retry/", views.retry, name="room-retry-message"),
    path("<int:room_id>/messages/<int:message_id>/", views.message_link, name="room-message"),
    path(
        "<int:room_id>/messages/<int:message_id>/edit/",
        views.edit_message,
        name="room-message-edit",
    ),
    path(
        "<int:room_id>/messages/<int:message_id>/delete/",
        views.delete_message,
        name="room-message-delete",
    ),
    path("<int:room_id>/messages/<int:message_id>/react/", views.react, name="room-message-react"),
    path("<int:room_id>/messages/<int:message_id>/pin/", views.pin, name="room-message-pin"),
    path("<int:room_id>/threads/<int:message_id>/", views.thread, name="room-thread"),
    path("<int:room_id>/pinned/", views.pinned, name="room-pinned"),
    path("<int:room_id>/files/<str:token>/", views.attachment, name="room-attachment"),
    path("<int:room_id>/information/", views.room_information, name="room-information"),
    path("<int:room_id>/tools/contact/", tools.contact_information, name="room-tool-contact"),
    path("<int:room_id>/tools/search/", tools.search_messages, name="room-tool-search"),
    path("<int:room_id>/tools/earlier/", tools.earlier_messages, name="room-tool-earlier"),
    path("<int:room_id>/tools/files/", tools.files, name="room-tool-files"),
    path("<int:room_id>/tools/history/", tools.history, name="room-tool-history"),
    path(
        "<int:room_id>/tools/history/<int:other_id>/",
        tools.history_room,
        name="room-tool-history-room",
    ),
]
