import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser

from accounts.services import expire_stale_connections
from integrations.apichannel.services import requeue_lost as requeue_lost_callbacks
from integrations.webhooks.services import requeue_lost as requeue_lost_webhooks
from omnichannel.events import sweep
from productivity.services import resend_pending_transcripts, sweep_inactive_rooms
from queues.routing import route_everything


class Command(BaseCommand):
    help = (
        "Dispatch events whose dispatch never finished (a process died after commit), and "
        "forget live sockets whose server died without closing them, warn of and close chats "
        "left silent under an inactivity rule, enqueue transcripts, webhook deliveries and API "
        "channel callbacks whose task was lost, route waiting chats to free agents of "
        "automatically routed departments."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=int, default=30, help="Seconds (default 30).")
        parser.add_argument("--loop", type=int, default=0, help="Repeat every N seconds.")

    def handle(self, *args, older_than: int, loop: int, **options) -> None:
        while True:
            count = sweep(timedelta(seconds=older_than))
            if count:
                self.stdout.write(f"Dispatched {count} pending events")
            # Tabs ping every 30 s; four missed pings means the socket is gone.
            expired = expire_stale_connections(timedelta(minutes=2))
            if expired:
                self.stdout.write(f"Forgot {expired} stale live connections")
            # Inactivity rules: warn the agent of silent chats, then close them.
            warned, closed = sweep_inactive_rooms()
            if warned or closed:
                self.stdout.write(f"Warned of {warned} and closed {closed} inactive chats")
            resent = resend_pending_transcripts()
            if resent:
                self.stdout.write(f"Enqueued {resent} pending transcripts")
            requeued = requeue_lost_webhooks() + requeue_lost_callbacks()
            if requeued:
                self.stdout.write(f"Enqueued {requeued} deliveries whose task was lost")
            # Automatic routing: a waiting chat and a free agent that an event never introduced.
            routed = route_everything()
            if routed:
                self.stdout.write(f"Routed {routed} waiting chats")
            if not loop:
                return
            time.sleep(loop)
