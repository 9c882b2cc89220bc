"""The profile page: each user chooses their language and time zone; dates follow the zone."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from rooms.templatetags.rooms_tags import duration

pytestmark = pytest.mark.django_db

PROFILE = reverse("profile")
BOGOTA = ZoneInfo("America/Bogota")  # UTC-5 all year: no daylight saving to reckon with
SPANISH_MONTHS = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]


def test_profile_page_offers_language_and_time_zone(client, agent):
    client.force_login(agent)

    html = client.get(PROFILE).content.decode()

    assert '<select name="language"' in html
    assert '<option value="es">Español</option>' in html
    assert '<option value="America/Bogota">Bogota</option>' in html
    assert f'href="{PROFILE}"' in html  # the user menu links to it


def test_profile_page_needs_a_signed_in_user(client):
    response = client.get(PROFILE)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_agent_saves_spanish_and_a_time_zone_and_is_answered_in_spanish(client, agent):
    client.force_login(agent)

    response = client.post(PROFILE, {"language": "es", "time_zone": "America/Bogota"}, follow=True)

    agent.refresh_from_db()
    assert (agent.language, agent.time_zone) == ("es", "America/Bogota")
    html = response.content.decode()
    assert "Se guardaron tu idioma y tu zona horaria." in html
    assert "Idioma y zona horaria" in html
    assert '<option value="America/Bogota" selected>Bogota</option>' in html


def test_empty_choices_go_back_to_the_browser_and_the_center(client, agent):
    User.objects.filter(pk=agent.pk).update(language="es", time_zone="America/Bogota")
    client.force_login(agent)

    client.post(PROFILE, {"language": "", "time_zone": ""})

    agent.refresh_from_db()
    assert (agent.language, agent.time_zone) == ("", "")


@pytest.mark.parametrize(
    "data", [{"language": "xx", "time_zone": ""}, {"language": "", "time_zone": "Mars/Olympus"}]
)
def test_unknown_language_or_time_zone_is_refused_and_nothing_changes(client, agent, data):
    client.force_login(agent)

    response = client.post(PROFILE, data)

    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    agent.refresh_from_db()
    assert (agent.language, agent.time_zone) == ("", "")


def test_message_times_show_in_the_agents_time_zone(client, agent, taken_room):
    client.force_login(agent)
    created = taken_room.messages.order_by("pk").first().created_at
    utc_time = timezone.localtime(created, ZoneInfo("UTC")).strftime("%H:%M")
    bogota_time = timezone.localtime(created, BOGOTA).strftime("%H:%M")

    before = client.get(reverse("room", args=[taken_room.pk])).content.decode()
    User.objects.filter(pk=agent.pk).update(time_zone="America/Bogota")
    after = client.get(reverse("room", args=[taken_room.pk])).content.decode()

    assert f">{utc_time}</time>" in before
    assert f">{bogota_time}</time>" in after
    assert f">{utc_time}</time>" not in after


def test_room_information_dates_are_spanish_in_the_agents_time_zone(client, agent, taken_room):
    User.objects.filter(pk=agent.pk).update(language="es", time_zone="America/Bogota")
    client.force_login(agent)
    taken = timezone.localtime(taken_room.taken_at, BOGOTA)

    html = client.get(reverse("room", args=[taken_room.pk])).content.decode()

    month = SPANISH_MONTHS[taken.month - 1]
    assert f"{taken.day} de {month} de {taken.year} a las {taken:%H:%M}" in html


def test_durations_read_the_same_way_in_both_languages():
    for language in ("en", "es"):
        with translation.override(language):
            assert duration(timedelta(seconds=45)) == "45 s"
            assert duration(timedelta(minutes=3, seconds=20)) == "3 min 20 s"
            assert duration(timedelta(hours=2, minutes=5)) == "2 h 5 min"
            assert duration(None) == "—"
