from django.urls import path

from productivity import views

app_name = "productivity"

urlpatterns = [
    path("canned/", views.canned_list, name="canned"),
    path("canned/<int:response_id>/", views.canned_edit, name="canned-edit"),
    path("canned/<int:response_id>/delete/", views.canned_delete, name="canned-delete"),
    path("rooms/<int:room_id>/canned/", views.canned_suggestions, name="canned-suggestions"),
]
