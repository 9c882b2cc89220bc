from django.urls import path

from queues import views

urlpatterns = [
    path("sidebar/", views.sidebar, name="omnichannel-sidebar"),
    path("<int:room_id>/", views.room_page, name="room"),
    path("<int:room_id>/take/", views.take, name="room-take"),
    path("<int:room_id>/move-to-queue/", views.move_to_queue, name="room-move-to-queue"),
    path("<int:room_id>/close/", views.close, name="room-close"),
]
