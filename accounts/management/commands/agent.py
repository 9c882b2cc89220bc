import os

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.services import provision_agent
from omnichannel.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create or update an agent: `agent add USERNAME --department SLUG "
        "[--department SLUG ...] [--manager] [--queue-on] [--password PASSWORD]`; "
        "the password may come from AGENT_PASSWORD."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Create or update an agent (idempotent).")
        add.add_argument("username")
        add.add_argument(
            "--department", action="append", default=[], dest="departments", metavar="SLUG"
        )
        add.add_argument(
            "--manager", action="store_true", help="Also give the LiveChat Manager role."
        )
        add.add_argument("--queue-on", action="store_true", help="Switch the Omnichannel queue on.")
        add.add_argument("--password", help="Defaults to the AGENT_PASSWORD environment variable.")
        add.add_argument("--first-name", default="")
        add.add_argument("--last-name", default="")
        add.add_argument("--email", default="")

    def handle(self, *args, action: str, **options) -> None:
        password = options["password"] or os.environ.get("AGENT_PASSWORD", "")
        if not password:
            raise CommandError("Give a password with --password or the AGENT_PASSWORD variable.")
        try:
            user, created = provision_agent(
                username=options["username"],
                password=password,
                department_slugs=options["departments"],
                manager=options["manager"],
                queue_on=options["queue_on"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                email=options["email"],
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        verb = "Created" if created else "Updated"
        departments = ", ".join(options["departments"]) or "no department"
        self.stdout.write(self.style.SUCCESS(f"{verb} agent {user.username} ({departments})"))
