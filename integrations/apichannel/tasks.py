"""Background sends of agent replies to API channels' callbacks."""

from django.tasks import task

from integrations.apichannel import services


@task()
def send_callback(delivery_id: int) -> None:
    services.attempt_callback(delivery_id)
