"""Background sends of webhooks: thin, the service decides and schedules the retries."""

from django.tasks import task

from integrations.webhooks import services


@task()
def send_webhook(delivery_id: int) -> None:
    services.attempt_delivery(delivery_id)
