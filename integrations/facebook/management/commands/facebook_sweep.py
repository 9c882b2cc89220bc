import time

from django.core.management.base import BaseCommand, CommandParser

from integrations.facebook.services.outbound import sweep


class Command(BaseCommand):
    help = (
        "Settle Messenger sends a dead worker left half-done, queue again sends, webhook "
        "calls and attachment downloads whose task was lost. Run it next to the worker "
        "(`--loop 60`)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=int, default=0, help="Repeat every N seconds.")

    def handle(self, *args, loop: int, **options) -> None:
        while True:
            counts = sweep()
            if any(counts.values()):
                self.stdout.write(", ".join(f"{key}: {value}" for key, value in counts.items()))
            if not loop:
                return
            time.sleep(loop)
