import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser

from omnichannel.events import sweep


class Command(BaseCommand):
    help = "Dispatch events whose dispatch never finished (a process died after commit)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=int, default=30, help="Seconds (default 30).")
        parser.add_argument("--loop", type=int, default=0, help="Repeat every N seconds.")

    def handle(self, *args, older_than: int, loop: int, **options) -> None:
        while True:
            count = sweep(timedelta(seconds=older_than))
            if count:
                self.stdout.write(f"Dispatched {count} pending events")
            if not loop:
                return
            time.sleep(loop)
