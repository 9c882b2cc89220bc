from django.urls import path

from rooms import views

urlpatterns = [
    path("<int:room_id>/messages/", views.post_message, name="room-post-message"),
    path("<int:room_id>/messages/new/", views.message_fragment, name="room-messages"),
    path("<int:room_id>/messages/<int:message_id>/retry/", views.retry, name="room-retry-message"),
    path("<int:room_id>/files/<str:token>/", views.attachment, name="room-attachment"),
    path("<int:room_id>/information/", views.room_information, name="room-information"),
]
