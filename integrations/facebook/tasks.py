"""Background work of the Messenger integration: thin, each calls one service."""

from django.tasks import task


@task
def process_webhook(event_id: int, force: bool = False) -> str:
    from integrations.facebook.services.inbound import process_webhook_event

    return process_webhook_event(event_id, force=force)


@task
def send_delivery(delivery_id: int) -> str:
    from integrations.facebook.services.outbound import send_delivery as send

    return send(delivery_id)


@task
def fetch_attachment(download_id: int, tried: int | None = None) -> str:
    from integrations.facebook.services.attachments import retry_download

    return retry_download(download_id, tried)
