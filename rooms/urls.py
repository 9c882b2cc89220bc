from django.urls import path

from rooms import tools, views

urlpatterns = [
    path("<int:room_id>/messages/", views.post_message, name="room-post-message"),
    path("<int:room_id>/messages/new/", views.message_fragment, name="room-messages"),
    path("<int:room_id>/messages/<int:message_id>/retry/", views.retry, name="room-retry-message"),
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
