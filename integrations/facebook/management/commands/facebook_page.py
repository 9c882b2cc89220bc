from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations.facebook.models import Page, mask_secret
from integrations.facebook.services.pages import add_page, disable_page, find_department
from omnichannel.errors import DomainError


class Command(BaseCommand):
    help = (
        "Configure Facebook pages: `facebook_page add --page-id ID --name NAME --access-token T "
        "--app-secret S --verify-token V --department NAME`, `facebook_page list`, "
        "`facebook_page disable --page-id ID`. Secrets are never printed in full."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Configure a new page.")
        add.add_argument("--page-id", required=True)
        add.add_argument("--name", required=True)
        add.add_argument("--access-token", required=True)
        add.add_argument("--app-secret", required=True)
        add.add_argument("--verify-token", required=True)
        add.add_argument("--department", required=True, help="The department's name or slug.")
        add.add_argument("--app-id", default="", help="Our Meta app's id (recognises echoes).")
        add.add_argument(
            "--no-human-agent-tag",
            action="store_true",
            help="Reply within 24 hours only (the app lacks Meta's Human Agent permission).",
        )
        actions.add_parser("list", help="List the configured pages.")
        disable = actions.add_parser("disable", help="Stop routing a page's conversations.")
        disable.add_argument("--page-id", required=True)

    def handle(self, *args, action: str, **options) -> None:
        try:
            if action == "add":
                self._add(options)
            elif action == "disable":
                page = disable_page(options["page_id"])
                self.stdout.write(self.style.SUCCESS(f"Disabled page {page.page_id} ({page.name})"))
            else:
                self._list()
        except DomainError as error:
            raise CommandError(error.message) from None

    def _add(self, options: dict) -> None:
        page = add_page(
            page_id=options["page_id"],
            name=options["name"],
            access_token=options["access_token"],
            app_secret=options["app_secret"],
            verify_token=options["verify_token"],
            department=find_department(options["department"]),
            app_id=options["app_id"],
            human_agent_tag=not options["no_human_agent_tag"],
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Added page {page.page_id} ({page.name}) -> {page.department.name}; "
                f"token {mask_secret(page.access_token)}"
            )
        )

    def _list(self) -> None:
        pages = Page.objects.select_related("department").order_by("name")
        if not pages:
            self.stdout.write("No Facebook page is configured.")
            return
        for page in pages:
            state = "enabled" if page.enabled else "disabled"
            token = "token ok" if page.token_works else "TOKEN STOPPED WORKING"
            self.stdout.write(
                f"{page.page_id}\t{page.name}\t{page.department.name}\t{state}\t{token}\t"
                f"token {mask_secret(page.access_token)}\tsecret {mask_secret(page.app_secret)}"
            )
