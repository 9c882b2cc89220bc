from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts.models import User
from accounts.services import create_department, provision_agent

# Demo credentials for a local trial; printed so whoever runs `make run` can sign in.
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105
DEPARTMENTS = [("Sales", "sales"), ("Support", "support")]
PEOPLE = [
    # username, first name, last name, departments, manager, superuser
    ("admin", "Ada", "Admin", ["sales", "support"], True, True),
    ("agent", "Alex", "Agent", ["support"], False, False),
    ("agent2", "Blair", "Agent", ["sales", "support"], False, False),
    ("newcomer", "Casey", "Newcomer", [], False, False),
]


class Command(BaseCommand):
    help = "Create demo departments and agents (idempotent) and print how to sign in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when any user exists already."
        )

    def handle(self, *args, if_empty: bool, **options) -> None:
        if if_empty and User.objects.exists():
            self.stdout.write("Users exist already; demo data left as it is.")
            return
        with transaction.atomic():
            for name, slug in DEPARTMENTS:
                create_department(name=name, slug=slug)
            for username, first, last, departments, manager, superuser in PEOPLE:
                provision_agent(
                    username=username,
                    password=DEMO_PASSWORD,
                    department_slugs=departments,
                    manager=manager,
                    superuser=superuser,
                    queue_on=bool(departments),
                    first_name=first,
                    last_name=last,
                    email=f"{username}@example.com",
                )
        self.stdout.write(
            self.style.SUCCESS("Demo data ready. Sign in at http://127.0.0.1:8000/ as:")
        )
        for username, _first, _last, departments, manager, superuser in PEOPLE:
            role = (
                "admin, LiveChat Manager"
                if superuser
                else "LiveChat Manager"
                if manager
                else "LiveChat Agent"
            )
            where = ", ".join(departments) or "no department"
            self.stdout.write(f"  {username:<10} password {DEMO_PASSWORD}  ({role}; {where})")
