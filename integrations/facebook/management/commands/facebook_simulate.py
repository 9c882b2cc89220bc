import json
import time
import uuid

import requests
from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.facebook.models import Page
from integrations.facebook.webhook import SIGNATURE_HEADER, sign


class Command(BaseCommand):
    help = (
        "Post a correctly signed Messenger webhook to a running server: `facebook_simulate "
        '--page PAGE_ID --psid PSID "text"`, as if that person wrote to the page.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text")
        parser.add_argument("--page", required=True, help="A configured page's id.")
        parser.add_argument("--psid", required=True, help="The person's page-scoped id.")
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/integrations/facebook/webhook/",
            help="The webhook of the running server (default: make run's).",
        )

    def handle(self, *args, text: str, page: str, psid: str, url: str, **options) -> None:
        configured = Page.objects.filter(page_id=page).first()
        if configured is None:
            raise CommandError(f"No Facebook page {page!r} is configured (facebook_page add).")
        now = int(time.time() * 1000)
        payload = {
            "object": "page",
            "entry": [
                {
                    "id": page,
                    "time": now,
                    "messaging": [
                        {
                            "sender": {"id": psid},
                            "recipient": {"id": page},
                            "timestamp": now,
                            "message": {"mid": f"m_sim_{uuid.uuid4().hex}", "text": text},
                        }
                    ],
                }
            ],
        }
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(configured.app_secret, body),
        }
        try:
            response = requests.post(url, data=body, headers=headers, timeout=10)
        except requests.RequestException as error:
            raise CommandError(f"Could not reach {url}: {type(error).__name__}") from None
        if response.status_code != 200:
            raise CommandError(f"The server answered {response.status_code}: {response.text[:200]}")
        self.stdout.write(self.style.SUCCESS(f"Delivered to {url}: {response.text[:100]}"))
