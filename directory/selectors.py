"""Shared reads of the Contact Center, and the one access check for contacts and calls.

A contact is visible to whoever may see one of its rooms (rooms.selectors decides that);
LiveChat Managers see every contact. A call is visible to whoever may see its contact, to the
agent who took it, and to the agents of the department it was reported for.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from accounts.models import AGENT_ROLE, Department, DepartmentAgent, User
from accounts.selectors import is_manager
from directory.models import (
    Call,
    Contact,
    ContactEdit,
    ContactFieldValue,
    ContactIdentity,
    ContactMerge,
    CustomField,
)
from directory.phones import phone_digits_in
from omnichannel.compiled import CompiledGet
from rooms.models import Room, Tag
from rooms.selectors import rooms_visible_to

SEARCH_MAX_LENGTH = 200
# Read for every message a contact writes: compiled once (omnichannel.compiled).
_identity_with_contact = CompiledGet(
    lambda: ContactIdentity.objects.select_related("contact"), "channel", "external_id"
)
# Contacts without a name (shown as guest-N) come after the named ones in either name order.
_NAMELESS = Case(When(name="", then=Value(1)), default=Value(0), output_field=IntegerField())
CONTACT_SORTS = {
    "name": (_NAMELESS.asc(), "name", "id"),
    "-name": (_NAMELESS.asc(), "-name", "-id"),
    "email": ("email", "id"),
    "-email": ("-email", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}
DEFAULT_CONTACT_SORT = "-created"


def contact_by_identity(channel: str, external_id: str) -> Contact | None:
    """The contact this channel knows by `external_id` (one at most: unique per channel)."""
    identity = _identity_with_contact.get(channel=channel, external_id=external_id)
    return identity.contact if identity else None


def clean_search_text(text: str | None) -> str:
    """User input for a search, made safe to send to any database: no NUL, bounded length."""
    return " ".join((text or "").replace("\x00", " ").split())[:SEARCH_MAX_LENGTH]


def contacts_visible_to(user: User) -> QuerySet[Contact]:
    if not user.is_authenticated or not user.is_active:
        return Contact.objects.none()
    if is_manager(user):
        return Contact.objects.all()
    return Contact.objects.filter(pk__in=rooms_visible_to(user).values("contact_id"))


def get_contact_for(user: User, contact_id: int) -> Contact:
    """The contact if this user may see it; 404 alike for missing and not theirs."""
    contact = contacts_visible_to(user).filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    return contact


def search_contacts(
    user: User, *, text: str = "", sort: str = DEFAULT_CONTACT_SORT
) -> QuerySet[Contact]:
    """Visible contacts whose name, e-mail, phone or a channel identity contains `text`.

    Two id subqueries rather than one OR over a join: on PostgreSQL each is answered by the
    trigram indexes of migration directory.0003 (UPPER(column) LIKE UPPER('%text%')).
    """
    contacts = contacts_visible_to(user)
    text = clean_search_text(text)
    if text:
        by_details = Q(name__icontains=text) | Q(email__icontains=text) | Q(phone__icontains=text)
        digits = phone_digits_in(text)
        if digits:
            by_details |= Q(phone__icontains=digits)
        contacts = contacts.filter(
            Q(pk__in=Contact.objects.filter(by_details).values("pk"))
            | Q(
                pk__in=ContactIdentity.objects.filter(external_id__icontains=text).values(
                    "contact_id"
                )
            )
        )
    return contacts.order_by(*CONTACT_SORTS.get(sort, CONTACT_SORTS[DEFAULT_CONTACT_SORT]))


def contacts_by_ids(ids: list[int]) -> QuerySet[Contact]:
    """Contacts already found through search_contacts, loaded for display."""
    return Contact.objects.filter(pk__in=ids).prefetch_related("identities")


def rooms_by_ids(ids: list[int]) -> QuerySet[Room]:
    """Rooms already found through chats_visible_to, loaded for display."""
    return (
        Room.objects.filter(pk__in=ids)
        .select_related("contact", "department", "agent")
        .prefetch_related("tags")
    )


def calls_by_ids(ids: list[int]) -> QuerySet[Call]:
    """Calls already found through calls_visible_to, loaded for display."""
    return Call.objects.filter(pk__in=ids).select_related("contact", "agent", "department")


def rooms_of_contact(user: User, contact: Contact) -> QuerySet[Room]:
    """The contact's rooms this user may see, newest first, tags ready."""
    return (
        rooms_visible_to(user)
        .filter(contact=contact)
        .prefetch_related("tags")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class FieldRow:
    field: CustomField
    value: str

    @property
    def typed(self) -> object:
        """The value as its kind: a date for dates, a Decimal for numbers, text otherwise."""
        if not self.value:
            return ""
        if self.field.kind == CustomField.Kind.DATE:
            try:
                return date.fromisoformat(self.value)
            except ValueError:
                return self.value
        if self.field.kind == CustomField.Kind.NUMBER:
            return Decimal(self.value)
        return self.value


def enabled_custom_fields() -> list[CustomField]:
    return list(CustomField.objects.filter(enabled=True))


def custom_values_of(contact: Contact, fields: list[CustomField] | None = None) -> list[FieldRow]:
    """Every enabled custom field with this contact's value ('' when none)."""
    fields = enabled_custom_fields() if fields is None else fields
    values = dict(
        ContactFieldValue.objects.filter(contact=contact).values_list("field_id", "value")
    )
    return [FieldRow(field, values.get(field.pk, "")) for field in fields]


def edits_of(contact: Contact, *, limit: int = 100) -> list[ContactEdit]:
    return list(ContactEdit.objects.filter(contact=contact).select_related("by")[:limit])


def merges_into(contact: Contact) -> list[ContactMerge]:
    return list(ContactMerge.objects.filter(survivor=contact).select_related("by"))


def tags_of_rooms(rooms: QuerySet[Room]) -> QuerySet[Tag]:
    return Tag.objects.filter(rooms__in=rooms.values("pk")).distinct().order_by("name")


def departments_visible_to(user: User) -> QuerySet[Department]:
    """The departments a user may filter by: all for managers, their own for agents."""
    if is_manager(user):
        return Department.objects.order_by("name")
    return Department.objects.filter(memberships__agent=user).order_by("name")


def agents_visible_to(user: User) -> QuerySet[User]:
    """Agents a user may filter by: every agent for managers, colleagues for agents."""
    agents = User.objects.filter(groups__name=AGENT_ROLE)
    if not is_manager(user):
        departments = DepartmentAgent.objects.filter(agent=user).values("department_id")
        agents = agents.filter(
            Q(pk=user.pk)
            | Q(
                pk__in=DepartmentAgent.objects.filter(department_id__in=departments).values(
                    "agent_id"
                )
            )
        )
    return agents.distinct().order_by("first_name", "last_name", "username")


def chats_visible_to(user: User) -> QuerySet[Room]:
    """Every room the user may see, open or closed, for the Chats tab, newest first."""
    return rooms_visible_to(user).prefetch_related("tags").order_by("-created_at", "-id")


def calls_visible_to(user: User) -> QuerySet[Call]:
    calls = Call.objects.select_related("contact", "agent", "department")
    if not user.is_authenticated or not user.is_active:
        return calls.none()
    if is_manager(user):
        return calls
    return calls.filter(
        Q(contact_id__in=rooms_visible_to(user).values("contact_id"))
        | Q(agent=user)
        | Q(department_id__in=DepartmentAgent.objects.filter(agent=user).values("department_id"))
    )


def get_call_for(user: User, call_id: int) -> Call:
    call = calls_visible_to(user).filter(pk=call_id).first()
    if call is None:
        raise Http404
    return call


def calls_of(user: User, contact: Contact, *, limit: int = 50) -> list[Call]:
    return list(calls_visible_to(user).filter(contact=contact)[:limit])
