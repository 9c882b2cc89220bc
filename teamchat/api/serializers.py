"""What the API reads and writes of team chat: chats, teams and their messages."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from omnichannel.api import InputSerializer
from rooms.formatting import MESSAGE_MAX_LENGTH
from teamchat.models import NAME_MAX_LENGTH, Chat, ChatMessage
from teamchat.templatetags.teamchat_tags import chat_system_text

MEMBERS_MAX = 100


class UserSummaryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")


class TeamSummaryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ChatOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Chat.Kind.choices)
    name = serializers.CharField(help_text="Empty for a direct message.")
    title = serializers.CharField(
        help_text="The name, or for a direct message the other members' names."
    )
    team = TeamSummaryOutputSerializer(allow_null=True)
    is_team_main = serializers.BooleanField(help_text="The main chat of its team.")
    archived = serializers.BooleanField(source="is_archived")
    member = serializers.BooleanField(source="joined", help_text="The caller is a member.")
    member_count = serializers.IntegerField(source="member_total")
    unread = serializers.IntegerField(source="unread_total", help_text="0 for non-members.")
    mentions = serializers.IntegerField(source="mention_total", help_text="0 for non-members.")
    created_at = serializers.DateTimeField()
    last_message_at = serializers.DateTimeField(allow_null=True)


class TeamOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    private = serializers.BooleanField()
    main_chat = serializers.IntegerField(source="main_chat_id", allow_null=True)
    member = serializers.BooleanField(source="joined")
    member_count = serializers.IntegerField(source="member_total")
    channel_count = serializers.IntegerField(source="channel_total")
    created_at = serializers.DateTimeField()


class ReactionOutputSerializer(serializers.Serializer):
    emoji = serializers.CharField()
    count = serializers.IntegerField()
    users = serializers.ListField(child=serializers.IntegerField())


class ChatMessageOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    chat = serializers.IntegerField(source="chat_id")
    kind = serializers.ChoiceField(choices=ChatMessage.Kind.choices)
    author = UserSummaryOutputSerializer(allow_null=True)
    text = serializers.SerializerMethodField(
        help_text="As written; for a system message, the sentence; empty once deleted."
    )
    html = serializers.CharField(help_text="The rendered, sanitised text.")
    thread = serializers.IntegerField(
        source="thread_parent_id", allow_null=True, help_text="The thread's first message."
    )
    reply_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    edited_at = serializers.DateTimeField(allow_null=True)
    deleted = serializers.BooleanField(source="is_deleted")
    pinned = serializers.SerializerMethodField()
    reactions = serializers.SerializerMethodField()

    @extend_schema_field(serializers.CharField())
    def get_text(self, message: ChatMessage) -> str:
        if message.kind == ChatMessage.Kind.SYSTEM:
            return str(chat_system_text(message))
        return message.text

    @extend_schema_field(serializers.BooleanField())
    def get_pinned(self, message: ChatMessage) -> bool:
        return message.pinned_at is not None

    @extend_schema_field(ReactionOutputSerializer(many=True))
    def get_reactions(self, message: ChatMessage) -> list[dict]:
        return [
            {
                "emoji": row["emoji"],
                "count": row["count"],
                "users": [int(pk) for pk in row["user_ids"].split()],
            }
            for row in getattr(message, "reaction_summary", [])
        ]


def _usernames(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=150), max_length=MEMBERS_MAX, **kwargs
    )


class CreateChatInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    private = serializers.BooleanField(
        default=False, help_text="A private group rather than a public channel."
    )
    members = _usernames(default=list, help_text="User names to add besides the caller.")
    team = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Create it in this team."
    )


class CreateDirectInputSerializer(InputSerializer):
    members = _usernames(min_length=1, help_text="User names of the other people.")


class CreateTeamInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=NAME_MAX_LENGTH)
    private = serializers.BooleanField(default=False)
    members = _usernames(default=list)


class InviteInputSerializer(InputSerializer):
    members = _usernames(min_length=1)


class PostChatMessageInputSerializer(InputSerializer):
    text = serializers.CharField(max_length=MESSAGE_MAX_LENGTH, trim_whitespace=True)
    thread = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="Reply in the thread of this message.",
    )
