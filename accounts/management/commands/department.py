from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Department
from accounts.services import create_department
from omnichannel.errors import DomainError


class Command(BaseCommand):
    help = "Manage Omnichannel departments: `department add NAME [--slug SLUG]`, `department list`."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Create a department (idempotent).")
        add.add_argument("name")
        add.add_argument("--slug", help="URL-safe identifier; derived from the name by default.")
        add.add_argument("--description", default="")
        actions.add_parser("list", help="List departments.")

    def handle(self, *args, action: str, **options) -> None:
        if action == "list":
            for department in Department.objects.order_by("slug"):
                state = "enabled" if department.enabled else "disabled"
                self.stdout.write(f"{department.slug}\t{department.name}\t{state}")
            return
        try:
            department, created = create_department(
                name=options["name"], slug=options["slug"], description=options["description"]
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        verb = "Created" if created else "Already present:"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} department {department.name} ({department.slug})")
        )
