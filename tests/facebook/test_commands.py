"""`facebook_page add/list/disable` and `facebook_simulate`, as an operator runs them."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from integrations.facebook.models import Page, WebhookEvent
from integrations.facebook.services.inbound import process_webhook_event
from rooms.models import Message
from tests.facebook.conftest import ACCESS_TOKEN, APP_SECRET, PAGE_ID, VERIFY_TOKEN

pytestmark = pytest.mark.django_db

SECRET_TOKEN = "EAAGsupersecrettoken0000000000001234"
SECRET_APP = "app-secret-abcdefghijklmnop"


def run(*args) -> str:
    out = StringIO()
    call_command("facebook_page", *args, stdout=out)
    return out.getvalue()


def add(department, page_id="3003") -> str:
    return run(
        "add",
        "--page-id", page_id,
        "--name", "Acme Help",
        "--access-token", SECRET_TOKEN,
        "--app-secret", SECRET_APP,
        "--verify-token", "verify-123456",
        "--department", department.name,
    )  # fmt: skip


def test_operator_adds_a_page_routed_to_a_department(department):
    output = add(department)

    page = Page.objects.get(page_id="3003")
    assert page.department == department and page.enabled
    assert page.access_token == SECRET_TOKEN
    assert "Added page 3003" in output


def test_page_add_never_prints_the_token_in_full(department):
    output = add(department)

    assert SECRET_TOKEN not in output
    assert SECRET_APP not in output
    assert "EAAG…1234" in output


def test_page_add_with_an_unknown_department_fails_clearly(db):
    with pytest.raises(CommandError, match="No department is named 'Nowhere'"):
        run(
            "add", "--page-id", "3003", "--name", "X", "--access-token", "t" * 20,
            "--app-secret", "s" * 20, "--verify-token", "v" * 10, "--department", "Nowhere",
        )  # fmt: skip


def test_page_add_twice_fails_clearly(department):
    add(department)

    with pytest.raises(CommandError, match="already configured"):
        add(department)


def test_page_add_refuses_a_page_id_that_is_not_a_number(department):
    with pytest.raises(CommandError, match="page's number"):
        add(department, page_id="acme")


def test_page_list_shows_pages_without_their_secrets(department):
    add(department)

    output = run("list")

    assert "3003\tAcme Help\tSupport\tenabled\ttoken ok" in output
    assert SECRET_TOKEN not in output and SECRET_APP not in output


def test_page_disable_stops_the_page(department):
    add(department)

    run("disable", "--page-id", "3003")

    assert not Page.objects.get(page_id="3003").enabled


def test_page_disable_of_an_unknown_page_fails_clearly(db):
    with pytest.raises(CommandError, match="No Facebook page"):
        run("disable", "--page-id", "999")


@pytest.mark.django_db(transaction=True)
def test_simulate_posts_a_signed_webhook_to_a_running_server(live_server, page):
    out = StringIO()

    call_command(
        "facebook_simulate",
        "--page", PAGE_ID,
        "--psid", "4242",
        "--url", f"{live_server.url}/integrations/facebook/webhook/",
        "Hello from the simulator",
        stdout=out,
    )  # fmt: skip

    event = WebhookEvent.objects.get()
    assert event.status == WebhookEvent.Status.RECEIVED
    process_webhook_event(event.pk)
    assert Message.objects.get().text == "Hello from the simulator"
    assert APP_SECRET not in out.getvalue() and ACCESS_TOKEN not in out.getvalue()


def test_simulate_for_an_unknown_page_fails_clearly(db):
    with pytest.raises(CommandError, match="No Facebook page '5'"):
        call_command("facebook_simulate", "--page", "5", "--psid", "1", "hi")


def test_verify_token_is_kept_as_given(page):
    assert Page.objects.get(page_id=PAGE_ID).verify_token == VERIFY_TOKEN
