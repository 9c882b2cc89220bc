from django.urls import path

from queues import views

urlpatterns = [
    path("sidebar/", views.sidebar, name="omnichannel-sidebar"),
    path("<int:room_id>/", views.room_page, name="room"),
    path("<int:room_id>/take/", views.take, name="room-take"),
    path("<int:room_id>/move-to-queue/", views.move_to_queue, name="room-move-to-queue"),
    path("<int:room_id>/close/", views.close, name="room-close"),
    path("<int:room_id>/transfer/", views.transfer, name="room-transfer"),
    path("<int:room_id>/hold/", views.hold, name="room-hold"),
    path("<int:room_id>/resume/", views.resume, name="room-resume"),
    path("<int:room_id>/priority/", views.set_priority, name="room-priority"),
]
