"""A read compiled once gives what the ORM's get() gives, each time from the database."""

import threading

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError

from omnichannel.compiled import CompiledGet
from rooms.models import Message, Room

ROOM_RELATIONS = ("contact", "department", "agent")


def room_reader() -> CompiledGet:
    return CompiledGet(lambda: Room.objects.select_related(*ROOM_RELATIONS), "pk")


def values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


@pytest.mark.django_db
def test_a_compiled_read_gives_the_row_and_its_relations_as_get_does(taken_room):
    expected = Room.objects.select_related(*ROOM_RELATIONS).get(pk=taken_room.pk)

    room = room_reader().get(pk=taken_room.pk)

    assert values(room) == values(expected)
    assert [values(getattr(room, name)) for name in ROOM_RELATIONS] == [
        values(getattr(expected, name)) for name in ROOM_RELATIONS
    ]


@pytest.mark.django_db
def test_a_compiled_read_brings_its_relations_in_the_same_query(
    taken_room, agent, django_assert_num_queries
):
    reader = room_reader()
    reader.get(pk=taken_room.pk)

    with django_assert_num_queries(1):
        room = reader.get(pk=taken_room.pk)
        assert room.agent.username == agent.username


@pytest.mark.django_db
def test_each_compiled_read_gives_the_row_asked_for(write_as_contact):
    first = write_as_contact(visitor="first").room
    second = write_as_contact(visitor="second").room
    reader = room_reader()

    assert [reader.get(pk=first.pk).pk, reader.get(pk=second.pk).pk] == [first.pk, second.pk]


@pytest.mark.django_db
def test_a_compiled_read_sees_what_changed_since_the_last_one(taken_room):
    reader = room_reader()
    reader.get(pk=taken_room.pk)
    Room.objects.filter(pk=taken_room.pk).update(closing_comment="Changed meanwhile")

    assert reader.get(pk=taken_room.pk).closing_comment == "Changed meanwhile"


@pytest.mark.django_db
def test_every_compiled_read_converts_its_columns_as_get_does(write_as_contact):
    # JSON and times are turned into Python values by converters, which a read works out once.
    first = write_as_contact(visitor="first", text="One")
    second = write_as_contact(visitor="second", text="Two")
    Message.objects.filter(pk=second.pk).update(meta={"page": "42", "seen": [1, 2]})
    reader = CompiledGet(lambda: Message.objects.select_related("room"), "pk")
    reader.get(pk=first.pk)

    message = reader.get(pk=second.pk)

    expected = Message.objects.select_related("room").get(pk=second.pk)
    assert message.meta == {"page": "42", "seen": [1, 2]}
    assert (values(message), values(message.room)) == (values(expected), values(expected.room))


@pytest.mark.django_db(transaction=True)
def test_a_compiled_read_in_another_thread_converts_its_columns_too(write_as_contact):
    message = write_as_contact(text="One")
    reader = CompiledGet(lambda: Message.objects.all(), "pk")
    reader.get(pk=message.pk)
    seen = []

    def read():
        try:
            seen.append(values(reader.get(pk=message.pk)))
        finally:
            connection.close()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()

    assert seen == [values(Message.objects.get(pk=message.pk))]


@pytest.mark.django_db
def test_a_compiled_read_of_a_missing_row_gives_none(taken_room):
    assert room_reader().get(pk=taken_room.pk + 1000) is None


@pytest.mark.django_db
def test_a_compiled_read_of_an_id_past_the_column_range_gives_none_as_get_does(taken_room):
    # An id from a URL or an API call can be any size; the ORM's lookup answers no row.
    huge = 7235307072540028090300865985082
    assert not Room.objects.filter(pk=huge).exists()

    assert room_reader().get(pk=huge) is None


@pytest.mark.django_db
def test_a_compiled_read_of_a_row_that_must_exist_raises_as_get_does(taken_room):
    with pytest.raises(Room.DoesNotExist):
        room_reader().get_existing(pk=taken_room.pk + 1000)


@pytest.mark.django_db
def test_a_compiled_read_refuses_a_value_get_would_refuse(taken_room):
    reader = room_reader()
    reader.get(pk=taken_room.pk)

    with pytest.raises(ValueError, match="expected a number"):
        reader.get(pk="not a number")


@pytest.mark.django_db(transaction=True)
def test_another_thread_reads_through_its_own_connection(taken_room):
    """The compiler is compiled in one thread; a read in another must run on that thread's
    connection, inside that thread's transaction."""
    reader = room_reader()
    reader.get(pk=taken_room.pk)
    seen = []

    def read_in_own_transaction():
        try:
            with transaction.atomic():
                Room.objects.filter(pk=taken_room.pk).update(closing_comment="Not committed yet")
                seen.append(reader.get(pk=taken_room.pk).closing_comment)
                transaction.set_rollback(True)
        finally:
            connection.close()

    thread = threading.Thread(target=read_in_own_transaction)
    thread.start()
    thread.join()

    assert seen == ["Not committed yet"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_compiled_locking_read_outside_a_transaction_is_refused_as_django_refuses_it(
    taken_room,
):
    reader = CompiledGet(lambda: Room.objects.select_for_update(), "pk")
    with transaction.atomic():
        reader.get(pk=taken_room.pk)

    with pytest.raises(TransactionManagementError, match="outside of a transaction"):
        reader.get(pk=taken_room.pk)
