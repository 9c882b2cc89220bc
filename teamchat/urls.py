from django.urls import path

from teamchat import views

urlpatterns = [
    path("", views.index, name="teamchat-index"),
    path("sidebar/", views.sidebar, name="teamchat-sidebar"),
    path("display/", views.display, name="teamchat-display"),
    path("search/", views.search, name="teamchat-search"),
    path("directory/", views.directory, name="teamchat-directory"),
    path("new/", views.create_chat, name="teamchat-new"),
    path("direct/new/", views.create_direct, name="teamchat-direct-new"),
    path("teams/new/", views.create_team, name="teamchat-team-new"),
    path("teams/<int:team_id>/", views.team, name="teamchat-team"),
    path("teams/<int:team_id>/join/", views.join_team, name="teamchat-team-join"),
    path("teams/<int:team_id>/new/", views.create_team_chat, name="teamchat-team-chat-new"),
    path("users/<str:username>/", views.user_page, name="teamchat-user"),
    path("<int:chat_id>/", views.chat_page, name="teamchat-chat"),
    path("<int:chat_id>/messages/", views.post_message, name="teamchat-post"),
    path("<int:chat_id>/messages/new/", views.new_messages, name="teamchat-messages"),
    path("<int:chat_id>/messages/<int:message_id>/", views.message_link, name="teamchat-message"),
    path(
        "<int:chat_id>/messages/<int:message_id>/edit/",
        views.edit_message,
        name="teamchat-edit",
    ),
    path(
        "<int:chat_id>/messages/<int:message_id>/delete/",
        views.delete_message,
        name="teamchat-delete",
    ),
    path("<int:chat_id>/messages/<int:message_id>/react/", views.react, name="teamchat-react"),
    path("<int:chat_id>/messages/<int:message_id>/pin/", views.pin, name="teamchat-pin"),
    path("<int:chat_id>/threads/<int:message_id>/", views.thread, name="teamchat-thread"),
    path("<int:chat_id>/pinned/", views.pinned, name="teamchat-pinned"),
    path("<int:chat_id>/members/", views.members, name="teamchat-members"),
    path(
        "<int:chat_id>/members/<int:user_id>/remove/",
        views.remove_member,
        name="teamchat-remove-member",
    ),
    path("<int:chat_id>/members/<int:user_id>/role/", views.set_role, name="teamchat-role"),
    path("<int:chat_id>/join/", views.join, name="teamchat-join"),
    path("<int:chat_id>/leave/", views.leave, name="teamchat-leave"),
    path("<int:chat_id>/rename/", views.rename, name="teamchat-rename"),
    path("<int:chat_id>/archive/", views.archive, name="teamchat-archive"),
    path("<int:chat_id>/read/", views.read, name="teamchat-read"),
    path("<int:chat_id>/files/<str:token>/", views.chat_file, name="teamchat-file"),
]
