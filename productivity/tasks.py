"""Background work of productivity: thin, the service claims and sends."""

from django.tasks import task

from productivity import services


@task()
def send_transcript(request_id: int) -> str:
    return services.send_transcript(request_id)
