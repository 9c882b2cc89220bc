"""The widget's answer is lost after the server stored the message; the visitor sends again:
the conversation shows the message once, and the server stored it once."""

import pytest
from playwright.sync_api import expect

from rooms.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_resending_after_a_lost_answer_stores_the_message_once(page, department):
    calls = []

    def lose_first_answer(route):
        calls.append(route.request.post_data_buffer)
        if len(calls) == 1:
            route.fetch()  # the server gets it and stores it ...
            route.abort("connectionreset")  # ... and the answer never reaches the browser
        else:
            route.continue_()

    page.route("**/livechat/support/messages/", lose_first_answer)
    page.goto("/livechat/support/")
    page.get_by_label("Message").fill("Is my parcel on its way?")
    send = page.get_by_role("button", name="Send")
    send.click()
    expect(page.get_by_role("alert")).to_be_visible()

    send.click()

    conversation = page.get_by_role("list", name="Conversation")
    expect(conversation).to_contain_text("Is my parcel on its way?")
    expect(page.get_by_label("Message")).to_have_value("")
    assert len(calls) == 2
    assert Message.objects.filter(text="Is my parcel on its way?").count() == 1
    expect(conversation.get_by_text("Is my parcel on its way?")).to_have_count(1)
