from django.utils.translation import gettext_lazy as _

from omnichannel.errors import DomainError


class ShortcutTaken(DomainError):
    code = "shortcut_taken"
    default_message = _("This shortcut is already taken.")


class InvalidCannedResponse(DomainError):
    code = "invalid_canned_response"
    default_message = _("This canned response cannot be saved.")


class OverlappingHours(DomainError):
    code = "overlapping_hours"
    default_message = _("Two opening intervals of the same day overlap.")


class InvalidHours(DomainError):
    code = "invalid_hours"
    default_message = _("These business hours cannot be saved.")


class InvalidInactivityPolicy(DomainError):
    code = "invalid_inactivity_policy"
    default_message = _("This inactivity rule cannot be saved.")


class InvalidRating(DomainError):
    code = "invalid_rating"
    default_message = _("Choose a rating from 1 to 5.")


class SurveyNotOpen(DomainError):
    code = "survey_not_open"
    default_message = _("A conversation can be rated once it has ended.")


class SurveyCommentTooLong(DomainError):
    code = "survey_comment_too_long"
    default_message = _("The comment is too long.")


class AlreadyRated(DomainError):
    code = "already_rated"
    default_message = _("This conversation has already been rated.")


class NotYourConversation(DomainError):
    code = "not_your_conversation"
    default_message = _("No such conversation.")


class InvalidEmail(DomainError):
    code = "invalid_email"
    default_message = _("Enter a valid e-mail address.")


class TranscriptAlreadySent(DomainError):
    code = "transcript_already_sent"
    default_message = _("The transcript of this conversation has already been sent.")


class NotAllowed(DomainError):
    code = "not_allowed"
    default_message = _("You may not do this.")
