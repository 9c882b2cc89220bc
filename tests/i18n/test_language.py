"""Agents read the interface in the language of their profile, else of their browser; visitors
in their browser's; system messages in each reader's own."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from queues.services import return_to_queue, take_room

pytestmark = pytest.mark.django_db


def page(client, name, *args, **headers) -> str:
    response = client.get(reverse(name, args=args), headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def speaks(agent, language: str):
    agent.language = language
    agent.save(update_fields=["language"])
    return agent


def test_agent_whose_profile_says_spanish_reads_the_sidebar_in_spanish(client, agent, queued_room):
    client.force_login(speaks(agent, "es"))

    html = page(client, "home")

    assert '<html lang="es">' in html
    assert "Chats en cola" in html
    assert "Queued Chats" not in html


def test_queued_room_offers_tomar_and_room_information_in_spanish(client, agent, queued_room):
    client.force_login(speaks(agent, "es"))

    html = page(client, "room", queued_room.pk)

    assert ">Tomar</button>" in html
    assert "Take it!" not in html
    assert "Información de la sala" in html
    assert "Tiempo en cola" in html


def test_taken_room_offers_mover_a_la_cola_and_the_close_dialog_in_spanish(
    client, agent, taken_room
):
    client.force_login(speaks(agent, "es"))

    html = client.get(reverse("room", args=[taken_room.pk]), {"confirm": "close"}).content.decode()

    assert 'aria-label="Mover a la cola"' in html
    assert "Cerrar conversación" in html
    assert ">Confirmar</button>" in html
    assert ">Agregar</button>" in html


def test_browser_language_applies_when_the_profile_chooses_none(client, agent, queued_room):
    client.force_login(speaks(agent, ""))

    assert "Chats en cola" in page(client, "home", **{"Accept-Language": "es-CO,es;q=0.9"})
    assert "Queued Chats" in page(client, "home", **{"Accept-Language": "en-US,en;q=0.9"})


def test_profile_language_wins_over_the_browsers(client, agent, queued_room):
    client.force_login(speaks(agent, "en"))

    html = page(client, "home", **{"Accept-Language": "es"})

    assert "Queued Chats" in html
    assert "Chats en cola" not in html


def test_sign_in_page_follows_the_browser(client):
    assert "Iniciar sesión" in page(client, "login", **{"Accept-Language": "es"})
    assert "Log in" in page(client, "login", **{"Accept-Language": "en"})


def test_widget_follows_the_visitors_browser(client, department):
    spanish = page(client, "livechat:widget", "support", **{"Accept-Language": "es-MX,es;q=0.8"})
    english = page(client, "livechat:widget", "support", **{"Accept-Language": "en-GB"})

    assert '<html lang="es">' in spanish
    assert "Escríbanos un mensaje y un agente le responderá aquí." in spanish
    assert ">Enviar</button>" in spanish
    assert "Write us a message and an agent will answer here." in english


def test_system_message_is_worded_in_each_readers_language(client, agent, supervisor, taken_room):
    return_to_queue(agent, taken_room)
    client.force_login(speaks(supervisor, "es"))
    spanish = page(client, "room", taken_room.pk)
    client.force_login(speaks(supervisor, "en"))
    english = page(client, "room", taken_room.pk)

    name = agent.display_name
    assert f"{name} tomó el chat" in spanish
    assert f"{name} devolvió el chat a la cola" in spanish
    assert f"{name} took the chat" in english
    assert f"{name} returned the chat to the queue" in english


def test_api_error_message_follows_accept_language(agent, other_agent, queued_room):
    cache.clear()
    take_room(other_agent, queued_room)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=agent).key}")

    response = client.post(
        f"/api/v1/rooms/{queued_room.pk}/take/", headers={"Accept-Language": "es"}
    )

    assert response.status_code == 409
    assert response.json()["detail"] == "Otro agente tomó este chat primero."


def test_javascript_catalogue_speaks_the_agents_language(client, agent):
    client.force_login(speaks(agent, "es"))

    script = page(client, "javascript-catalog")

    assert "tom\\u00f3 este chat" in script or "tomó este chat" in script
    assert "Quitar la etiqueta" in script
