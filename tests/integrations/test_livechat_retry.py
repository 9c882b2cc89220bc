"""The widget sends an id with each message: a retry after a lost answer stores nothing new."""

import secrets
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from rooms.models import Message

URL = reverse("livechat:messages", args=["support"])


def send(client, token: str, client_id: str, text: str = "Hello, I need help"):
    return client.post(
        URL, {"text": text, "client_id": client_id}, headers={"X-Visitor-Token": token}
    )


@pytest.fixture
def token() -> str:
    return secrets.token_urlsafe(32)


@pytest.mark.django_db
def test_same_message_sent_twice_is_stored_once_and_both_succeed(client, department, token):
    client_id = str(uuid.uuid4())

    first = send(client, token, client_id)
    again = send(client, token, client_id)

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == first.json()
    assert list(Message.objects.filter(kind="contact").values_list("text", flat=True)) == [
        "Hello, I need help"
    ]


@pytest.mark.django_db
def test_same_text_with_a_new_id_is_a_new_message(client, department, token):
    send(client, token, str(uuid.uuid4()), "Hello?")
    send(client, token, str(uuid.uuid4()), "Hello?")

    assert Message.objects.filter(kind="contact", text="Hello?").count() == 2


@pytest.mark.django_db
def test_ids_are_per_visitor(client, department, token):
    client_id = str(uuid.uuid4())

    send(client, token, client_id, "From the first visitor")
    response = send(client, secrets.token_urlsafe(32), client_id, "From the second visitor")

    assert response.status_code == 201
    assert sorted(Message.objects.filter(kind="contact").values_list("text", flat=True)) == [
        "From the first visitor",
        "From the second visitor",
    ]


@pytest.mark.django_db
def test_malformed_id_is_refused_with_the_reason(client, department, token):
    response = send(client, token, "<script>")

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "The message id must be 8 to 64 letters, digits or dashes."
    )
    assert not Message.objects.exists()


@pytest.mark.django_db
def test_message_without_an_id_is_still_stored(client, department, token):
    response = client.post(URL, {"text": "Old widget"}, headers={"X-Visitor-Token": token})

    assert response.status_code == 201
    assert Message.objects.get(kind="contact").text == "Old widget"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_message_store_it_once(department, token):
    send(Client(), token, str(uuid.uuid4()), "Opens the room")
    client_id = str(uuid.uuid4())
    racers = 8
    barrier = threading.Barrier(racers)
    answers: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def post() -> None:
        try:
            barrier.wait(timeout=10)
            response = send(Client(), token, client_id, "Sent on a flaky network")
            with lock:
                answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    stored = Message.objects.filter(text="Sent on a flaky network")
    assert stored.count() == 1
    assert len(answers) == racers
    assert {status for status, _ in answers} <= {200, 201}
    assert {body["id"] for _, body in answers} == {stored.get().pk}
