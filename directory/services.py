"""The only writers of directory's models."""

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import sanitize_separators
from django.utils.translation import gettext as _

from accounts.models import Department, User
from accounts.selectors import is_manager
from directory.errors import (
    CallNotAllowed,
    IdentityTaken,
    InvalidCall,
    InvalidContact,
    InvalidContactDetails,
    MergeConflict,
    MergeNotAllowed,
)
from directory.models import (
    Call,
    Channel,
    Contact,
    ContactEdit,
    ContactFieldValue,
    ContactIdentity,
    ContactMerge,
    CustomField,
    GuestNumber,
)
from directory.phones import PHONE_PATTERN, normalise_phone
from directory.selectors import contact_by_identity
from omnichannel import events


def get_or_create_contact(
    *,
    channel: str,
    external_id: str,
    name: str = "",
    email: str = "",
    phone: str = "",
    identity_checked: bool = False,
) -> tuple[Contact, bool]:
    """The contact known by this channel identity, created (with a guest number) when new.

    Race-safe: a concurrent creator loses on the identity's unique constraint and reads the
    winner's contact. `identity_checked`: the caller has just looked the identity up and found
    none, so it is not looked up again.
    """
    if channel not in Channel.values or not external_id:
        raise InvalidContact()
    known = None if identity_checked else contact_by_identity(channel, external_id)
    if known is not None:
        return known, False
    name = name.strip()[:200]
    try:
        with transaction.atomic():
            guest_number = None if name else GuestNumber.objects.create().pk
            contact = Contact.objects.create(
                name=name, email=email, phone=normalise_phone(phone), guest_number=guest_number
            )
            ContactIdentity.objects.create(
                contact=contact, channel=channel, external_id=external_id
            )
            events.record("contact.created", contact=contact, data={"channel": channel})
    except IntegrityError:
        identity = ContactIdentity.objects.select_related("contact").get(
            channel=channel, external_id=external_id
        )
        return identity.contact, False
    return contact, True


def rename_contact_if_nameless(contact: Contact, name: str) -> Contact:
    """Give a guest the name they typed later; a name already known is kept."""
    name = name.strip()[:200]
    if not name or contact.name:
        return contact
    with transaction.atomic():
        Contact.objects.filter(pk=contact.pk, name="").update(name=name)
        contact.name = name
        events.record("contact.updated", contact=contact, data={"fields": ["name"]})
    return contact


# --- contact details ----------------------------------------------------------------------------

DETAIL_FIELDS = ("name", "email", "phone")
CUSTOM_PREFIX = "custom:"
CUSTOM_TEXT_MAX_LENGTH = 1000


def _detail_label(name: str) -> str:
    return str(Contact._meta.get_field(name).verbose_name)


def _clean_detail(name: str, raw: object) -> str:
    """The stored form of a built-in detail; raises ValidationError with the reason."""
    value = str(raw or "").replace("\x00", "").strip()
    if name == "name":
        if len(value) > 200:
            raise ValidationError(_("Names are limited to 200 characters."))
        return value
    if name == "email":
        if value:
            validate_email(value)
            if len(value) > 254:
                raise ValidationError(_("E-mail addresses are limited to 254 characters."))
        return value
    value = normalise_phone(value)
    if value and not PHONE_PATTERN.match(value):
        raise ValidationError(_("Enter a phone number: digits, optionally after a leading +."))
    return value


def clean_custom_value(field: CustomField, raw: object) -> str:
    """The canonical text of a custom field's value ('' for none); ValidationError if invalid."""
    if raw is None:
        return ""
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, date):
        text = raw.isoformat()
    elif isinstance(raw, Decimal | int | float):
        text = str(raw)
    else:
        text = str(raw).replace("\x00", "").strip()
    if not text:
        return ""
    match field.kind:
        case CustomField.Kind.NUMBER:
            try:
                # In the reader's language: "12,5" is a number in Spanish, not in English.
                number = Decimal(str(sanitize_separators(text)))
            except InvalidOperation:
                raise ValidationError(_("Enter a number.")) from None
            if not number.is_finite():
                raise ValidationError(_("Enter a number."))
            # Plain notation without trailing zeros: 12.50 -> 12.5, 1E+2 -> 100.
            text = format(number.normalize(), "f")
            if len(text) > 60:
                raise ValidationError(_("The number is too long."))
            return text
        case CustomField.Kind.DATE:
            try:
                return date.fromisoformat(text).isoformat()
            except ValueError:
                raise ValidationError(_("Enter a valid date (year-month-day).")) from None
        case CustomField.Kind.CHOICE:
            if text not in field.choice_list:
                raise ValidationError(
                    _("%(value)s is not one of the options.") % {"value": text[:100]}
                )
            return text
    if len(text) > CUSTOM_TEXT_MAX_LENGTH:
        raise ValidationError(
            _("Values are limited to %(limit)s characters.") % {"limit": CUSTOM_TEXT_MAX_LENGTH}
        )
    return text


def check_contact_changes(
    *, details: Mapping[str, object] | None = None, custom: Mapping[str, object] | None = None
) -> tuple[dict[str, str], dict[str, str], dict[str, CustomField]]:
    """Validate edited details and custom values; their stored forms and the enabled fields.

    Raises InvalidContactDetails naming every field that is wrong, so a form can show each.
    """
    details = dict(details or {})
    custom = dict(custom or {})
    errors: dict[str, list[str]] = {}
    cleaned_details: dict[str, str] = {}
    for name, raw in details.items():
        if name not in DETAIL_FIELDS:
            errors.setdefault(name, []).append(_("This detail cannot be edited."))
            continue
        try:
            cleaned_details[name] = _clean_detail(name, raw)
        except ValidationError as error:
            errors.setdefault(name, []).extend(error.messages)
    fields = {field.key: field for field in CustomField.objects.filter(enabled=True)}
    cleaned_custom: dict[str, str] = {}
    for key, raw in custom.items():
        field = fields.get(key)
        if field is None:
            errors.setdefault(key, []).append(_("There is no such field."))
            continue
        try:
            value = clean_custom_value(field, raw)
        except ValidationError as error:
            errors.setdefault(key, []).extend(error.messages)
            continue
        if field.required and not value:
            errors.setdefault(key, []).append(_("This field is required."))
            continue
        cleaned_custom[key] = value
    if errors:
        raise InvalidContactDetails(errors)
    return cleaned_details, cleaned_custom, fields


def update_contact(
    by: User,
    contact: Contact,
    *,
    details: Mapping[str, object] | None = None,
    custom: Mapping[str, object] | None = None,
) -> Contact:
    """Change a contact's name, e-mail, phone and custom field values; record every change.

    Only the keys given are changed; `custom` is keyed by the custom field's key. The caller
    has fetched the contact through `get_contact_for` (the access check). Locks the contact
    row, so two agents editing at once each record the value they replaced.
    """
    cleaned_details, cleaned_custom, fields = check_contact_changes(details=details, custom=custom)
    with transaction.atomic():
        current = Contact.objects.select_for_update().get(pk=contact.pk)
        edits: list[ContactEdit] = []
        now = timezone.now()
        changed_details = {
            name: value
            for name, value in cleaned_details.items()
            if getattr(current, name) != value
        }
        for name, value in changed_details.items():
            edits.append(
                ContactEdit(
                    contact=current,
                    by=by,
                    at=now,
                    field=name,
                    label=_detail_label(name),
                    old_value=getattr(current, name),
                    new_value=value,
                )
            )
        if changed_details:
            Contact.objects.filter(pk=current.pk).update(**changed_details, updated_at=now)
        stored = {
            row.field.key: row
            for row in ContactFieldValue.objects.filter(
                contact=current, field__key__in=list(cleaned_custom)
            ).select_related("field")
        }
        for key, value in cleaned_custom.items():
            row = stored.get(key)
            old = row.value if row else ""
            if old == value:
                continue
            field = fields[key]
            if row is None:
                ContactFieldValue.objects.create(contact=current, field=field, value=value)
            elif value:
                ContactFieldValue.objects.filter(pk=row.pk).update(value=value)
            else:
                ContactFieldValue.objects.filter(pk=row.pk).delete()
            edits.append(
                ContactEdit(
                    contact=current,
                    by=by,
                    at=now,
                    field=f"{CUSTOM_PREFIX}{key}",
                    label=field.label,
                    old_value=old,
                    new_value=value,
                )
            )
        if edits:
            ContactEdit.objects.bulk_create(edits)
            if not changed_details:
                Contact.objects.filter(pk=current.pk).update(updated_at=now)
            events.record(
                "contact.updated",
                actor=by,
                contact=current,
                data={"fields": [edit.field for edit in edits]},
            )
    current.refresh_from_db()
    return current


# --- merging ------------------------------------------------------------------------------------


def merge_contacts(by: User, survivor: Contact, merged: Contact) -> ContactMerge:
    """Fold `merged` into `survivor`: identities, rooms, calls, custom values and history move,
    then `merged` is deleted. A manager's action; recorded as a ContactMerge and an event.

    Every row of any app that points at the merged contact is re-pointed (rooms included), so
    nothing is left behind; rooms and calls protect their contact, so a row missed would make
    the delete, and with it the whole merge, fail rather than lose anything. Locks both contact
    rows in id order.
    """
    if not is_manager(by):
        raise MergeNotAllowed()
    if survivor.pk == merged.pk:
        raise MergeConflict(_("A contact cannot be merged with itself."))
    try:
        with transaction.atomic():
            return _merge(by, survivor.pk, merged.pk)
    except IntegrityError:
        raise MergeConflict(
            _(
                "Both contacts have something that may exist only once, such as an open "
                "conversation on the same channel. Close one of them and try again."
            )
        ) from None


def _merge(by: User, survivor_id: int, merged_id: int) -> ContactMerge:
    locked = {
        contact.pk: contact
        for contact in Contact.objects.select_for_update()
        .filter(pk__in=[survivor_id, merged_id])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise MergeConflict(_("One of the contacts no longer exists."))
    survivor, merged = locked[survivor_id], locked[merged_id]
    now = timezone.now()
    moved: dict[str, object] = {}
    edits: list[ContactEdit] = []

    # Details the survivor lacks are taken from the merged contact.
    filled = {}
    for name in DETAIL_FIELDS:
        if not getattr(survivor, name) and getattr(merged, name):
            filled[name] = getattr(merged, name)
            edits.append(
                ContactEdit(
                    contact=survivor,
                    by=by,
                    at=now,
                    field=name,
                    label=_detail_label(name),
                    old_value="",
                    new_value=filled[name],
                )
            )
    if filled:
        Contact.objects.filter(pk=survivor.pk).update(**filled, updated_at=now)
    moved["details"] = sorted(filled)

    # Custom values: the survivor's own value wins; the merged one fills the gaps.
    taken = set(
        ContactFieldValue.objects.filter(contact=survivor).values_list("field_id", flat=True)
    )
    values = list(ContactFieldValue.objects.filter(contact=merged).select_related("field"))
    moving = [value for value in values if value.field_id not in taken]
    ContactFieldValue.objects.filter(pk__in=[value.pk for value in moving]).update(contact=survivor)
    ContactFieldValue.objects.filter(contact=merged).delete()
    for value in moving:
        edits.append(
            ContactEdit(
                contact=survivor,
                by=by,
                at=now,
                field=f"{CUSTOM_PREFIX}{value.field.key}",
                label=value.field.label,
                old_value="",
                new_value=value.value,
            )
        )
    moved["field_values"] = len(moving)
    moved["field_values_kept"] = len(values) - len(moving)

    # Everything else that points at the merged contact, in any app, moves as it is.
    for relation in Contact._meta.related_objects:
        if relation.many_to_many or relation.related_model is ContactFieldValue:
            continue
        manager = relation.related_model._base_manager
        count = manager.filter(**{relation.field.name: merged}).update(
            **{relation.field.name: survivor}
        )
        moved[relation.related_model._meta.label_lower] = count

    merged_name = merged.display_name
    # Rooms and calls are PROTECTed: a reference left behind fails here and undoes the merge.
    merged.delete()
    ContactEdit.objects.bulk_create(edits)
    record = ContactMerge.objects.create(
        survivor=survivor,
        merged_contact_id=merged_id,
        merged_name=merged_name,
        by=by,
        at=now,
        moved=moved,
    )
    events.record(
        "contact.merged",
        actor=by,
        contact=survivor,
        data={"merged": merged_id, "moved": moved},
    )
    return record


# --- calls --------------------------------------------------------------------------------------


def may_record_calls(user: User) -> bool:
    return bool(
        user.is_authenticated
        and user.is_active
        and (is_manager(user) or user.has_perm("directory.add_call"))
    )


def contact_for_call(
    *,
    contact_id: int | None = None,
    phone: str = "",
    channel: str = "",
    external_id: str = "",
    name: str = "",
) -> Contact:
    """The contact a reported call belongs to: by id, by channel identity, or by phone number.

    An unknown identity or phone number becomes a new contact (telephony reports callers we
    have never chatted with); an unknown id is an error.
    """
    if contact_id is not None:
        contact = Contact.objects.filter(pk=contact_id).first()
        if contact is None:
            raise InvalidCall({"contact_id": [_("There is no contact with this id.")]})
        return contact
    if channel or external_id:
        if channel not in Channel.values or not external_id:
            raise InvalidCall(
                {"contact_channel": [_("Give a known channel and the contact's id on it.")]}
            )
        return get_or_create_contact(channel=channel, external_id=external_id, name=name)[0]
    number = normalise_phone(phone)
    if not number or not PHONE_PATTERN.match(number):
        raise InvalidCall(
            {"contact_phone": [_("Identify the contact by id, channel identity or phone number.")]}
        )
    with transaction.atomic():
        found = Contact.objects.filter(phone=number).order_by("pk").first()
        if found is not None:
            return found
        name = name.replace("\x00", "").strip()[:200]
        guest_number = None if name else GuestNumber.objects.create().pk
        contact = Contact.objects.create(name=name, phone=number, guest_number=guest_number)
        events.record("contact.created", contact=contact, data={"channel": "phone"})
    return contact


def record_call(
    by: User,
    contact: Contact,
    *,
    direction: str,
    outcome: str,
    started_at: datetime,
    ended_at: datetime | None = None,
    duration_seconds: int | None = None,
    agent: User | None = None,
    department: Department | None = None,
    recording_url: str = "",
    external_id: str | None = None,
) -> tuple[Call, bool]:
    """Store a call an external telephony system reported; (call, created).

    A repeated external id returns the call stored the first time (pushes are retried). Only
    LiveChat Managers and users given the "Can add call" permission may report calls.
    """
    if not may_record_calls(by):
        raise CallNotAllowed()
    errors: dict[str, list[str]] = {}
    if direction not in Call.Direction.values:
        errors["direction"] = [_("Choose inbound or outbound.")]
    if outcome not in Call.Outcome.values:
        errors["outcome"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(Call.Outcome.values)}
        ]
    if started_at is None or timezone.is_naive(started_at):
        errors["started_at"] = [_("Give the start with its time zone.")]
    if ended_at is not None:
        if timezone.is_naive(ended_at):
            errors["ended_at"] = [_("Give the end with its time zone.")]
        elif "started_at" not in errors and ended_at < started_at:
            errors["ended_at"] = [_("A call cannot end before it starts.")]
    if duration_seconds is None:
        duration_seconds = (
            round((ended_at - started_at).total_seconds())
            if ended_at is not None and not errors
            else 0
        )
    if duration_seconds < 0:
        errors["duration_seconds"] = [_("The duration cannot be negative.")]
    recording_url = (recording_url or "").strip()
    if recording_url:
        try:
            URLValidator(schemes=["http", "https"])(recording_url)
        except ValidationError:
            errors["recording_url"] = [_("Enter an http or https address.")]
    external_id = (external_id or "").strip() or None
    if external_id and len(external_id) > 255:
        errors["external_id"] = [_("External ids are limited to 255 characters.")]
    if errors:
        raise InvalidCall(errors)
    if external_id:
        existing = Call.objects.filter(external_id=external_id).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            call = Call.objects.create(
                contact=contact,
                direction=direction,
                outcome=outcome,
                started_at=started_at,
                ended_at=ended_at,
                duration_seconds=duration_seconds,
                agent=agent,
                department=department,
                recording_url=recording_url,
                external_id=external_id,
                reported_by=by if by.is_authenticated else None,
            )
            events.record(
                "call.recorded",
                actor=by,
                contact=contact,
                data={"call": call.pk, "direction": direction, "outcome": outcome},
            )
    except IntegrityError:
        # A concurrent push of the same external id won.
        existing = Call.objects.filter(external_id=external_id).first() if external_id else None
        if existing is None:
            raise
        return existing, False
    return call, True


# --- contacts added by hand or by an external system -----------------------------------------


def create_contact(
    by: User | None,
    *,
    name: str = "",
    email: str = "",
    phone: str = "",
    identities: Iterable[tuple[str, str]] = (),
) -> Contact:
    """Add a contact with any channel identities (an agent, or an external system via the API).

    InvalidContactDetails for a bad e-mail or phone; IdentityTaken when another contact is
    already known by one of the identities (also when a concurrent creator wins the race).
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for field, raw in (("name", name), ("email", email), ("phone", phone)):
        try:
            cleaned[field] = _clean_detail(field, raw)
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.messages)
    identities = list(dict.fromkeys((channel, str(key).strip()) for channel, key in identities))
    for channel, external_id in identities:
        if channel not in Channel.values or not external_id or len(external_id) > 255:
            errors.setdefault("identities", []).append(_("Unknown channel or empty id."))
    if errors:
        raise InvalidContactDetails(errors)
    known = Q(pk__in=[])
    for channel, external_id in identities:
        known |= Q(channel=channel, external_id=external_id)
    if identities and ContactIdentity.objects.filter(known).exists():
        raise IdentityTaken()
    try:
        with transaction.atomic():
            guest_number = None if cleaned["name"] else GuestNumber.objects.create().pk
            contact = Contact.objects.create(**cleaned, guest_number=guest_number)
            ContactIdentity.objects.bulk_create(
                ContactIdentity(contact=contact, channel=channel, external_id=external_id)
                for channel, external_id in identities
            )
            events.record(
                "contact.created",
                actor=by,
                contact=contact,
                data={"channels": sorted({channel for channel, _id in identities})},
            )
    except IntegrityError:
        raise IdentityTaken() from None
    return contact
