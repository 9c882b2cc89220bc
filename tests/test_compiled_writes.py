"""Rows written with SQL written once (or by hand) are the rows save() and update() write."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from omnichannel.compiled import insert, returned_columns, rows, update_by_pk
from omnichannel.models import Event
from rooms.models import Message

pytestmark = pytest.mark.django_db


def columns(row) -> dict:
    return {field.attname: getattr(row, field.attname) for field in row._meta.concrete_fields}


def contact_message(room, **values) -> Message:
    return Message(
        room=room,
        kind=Message.Kind.CONTACT,
        text="Where is my parcel?",
        html="<p>Where is my parcel?</p>",
        channel=room.channel,
        meta={"page": "42", "attachments": [{"type": "image"}]},
        **values,
    )


def stored(row) -> dict:
    values = columns(type(row).objects.get(pk=row.pk))
    values.pop("id")
    return values


def test_an_inserted_row_is_stored_as_save_stores_it(queued_room):
    saved = contact_message(queued_room, external_id="m_saved")
    saved.save()

    inserted = insert(contact_message(queued_room, external_id="m_inserted"))

    assert stored(inserted) | {"external_id": None, "created_at": None} == stored(saved) | {
        "external_id": None,
        "created_at": None,
    }
    assert stored(inserted)["external_id"] == "m_inserted"


def test_an_inserted_row_gets_its_new_id_and_counts_as_stored(queued_room):
    message = insert(contact_message(queued_room))

    assert Message.objects.get(pk=message.pk).text == "Where is my parcel?"
    assert (message._state.adding, message._state.db) == (False, "default")


def test_an_inserted_row_is_given_its_creation_time_as_save_gives_it(queued_room):
    event = insert(Event(name="room.queued", room_id=queued_room.pk, data={"department": 1}))

    assert event.created_at is not None
    assert Event.objects.get(pk=event.pk).created_at == event.created_at


def test_inserting_a_row_sends_the_signals_save_sends(queued_room):
    heard = []

    def before(sender, instance, **kwargs):
        heard.append(("pre_save", instance.pk))

    def after(sender, instance, created, **kwargs):
        heard.append(("post_save", instance.pk, created))

    pre_save.connect(before, sender=Message)
    post_save.connect(after, sender=Message)
    try:
        message = insert(contact_message(queued_room))
    finally:
        pre_save.disconnect(before, sender=Message)
        post_save.disconnect(after, sender=Message)

    assert heard == [("pre_save", None), ("post_save", message.pk, True)]


def test_a_row_given_its_id_is_stored_with_that_id(queued_room):
    taken = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    message = insert(contact_message(queued_room, id=taken + 1000))

    assert Message.objects.get(pk=taken + 1000).pk == message.pk


def test_a_refused_insert_leaves_its_transaction_to_be_rolled_back(queued_room):
    insert(contact_message(queued_room, external_id="m_twice"))

    with transaction.atomic():
        with pytest.raises(IntegrityError):
            insert(contact_message(queued_room, external_id="m_twice"))
        assert connection.needs_rollback

    assert Message.objects.filter(external_id="m_twice").count() == 1


def test_an_update_by_id_stores_what_update_stores(queued_room):
    by_hand, by_orm = (insert(contact_message(queued_room)) for _ in range(2))
    values = {"meta": {"seen": [1, 2], "page": "42"}, "text": "Edited", "edited_at": timezone.now()}

    changed = update_by_pk(Message, [by_hand.pk], **values)
    Message.objects.filter(pk=by_orm.pk).update(**values)

    assert changed == 1
    assert stored(by_hand) | {"created_at": None} == stored(by_orm) | {"created_at": None}


def test_an_update_by_id_leaves_the_other_rows_alone(queued_room):
    changed, other = (insert(contact_message(queued_room)) for _ in range(2))

    update_by_pk(Message, [changed.pk], text="Edited")

    assert Message.objects.get(pk=other.pk).text == "Where is my parcel?"


def test_an_update_by_id_leaves_a_row_whose_column_is_already_set(queued_room):
    first, second, third = (
        insert(Event(name="room.queued", room_id=queued_room.pk)) for _ in range(3)
    )
    earlier = timezone.now() - timezone.timedelta(minutes=5)
    Event.objects.filter(pk=second.pk).update(dispatched_at=earlier)

    changed = update_by_pk(
        Event,
        [first.pk, second.pk, third.pk],
        where_null=("dispatched_at",),
        dispatched_at=timezone.now(),
    )

    assert changed == 2
    assert Event.objects.get(pk=second.pk).dispatched_at == earlier


def test_an_update_by_id_refuses_an_expression(queued_room):
    message = insert(contact_message(queued_room))

    with pytest.raises(TypeError, match="plain values"):
        update_by_pk(Message, [message.pk], text=F("html"))


def test_rows_returned_by_a_statement_are_the_rows_get_reads(queued_room):
    message = insert(contact_message(queued_room))
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(Message._meta.db_table)} SET {quote('text')} = %s"  # noqa: S608
        f" WHERE {quote('id')} = %s RETURNING {returned_columns(Message, quote)}"
    )

    (updated,) = rows(Message, sql, ["Changed", message.pk], using="default")

    assert columns(updated) == columns(Message.objects.get(pk=message.pk))
    assert updated.meta == {"page": "42", "attachments": [{"type": "image"}]}
    assert updated._state.adding is False


def test_a_statement_that_returns_no_row_gives_no_instance(queued_room):
    quote = connection.ops.quote_name
    sql = (
        f"SELECT {returned_columns(Message, quote)} FROM {quote(Message._meta.db_table)}"  # noqa: S608
        f" WHERE {quote('id')} = %s"
    )

    assert rows(Message, sql, [0], using="default") == []
