"""Configured pages: added, changed, disabled; flagged when their token stops working."""

import logging
import re
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Department
from integrations.facebook.errors import InvalidPage, PageExists, UnknownDepartment, UnknownPage
from integrations.facebook.models import ClosingMessage, Page

logger = logging.getLogger(__name__)

_NUMERIC_ID = re.compile(r"[0-9]{1,64}")


def find_department(name: str) -> Department:
    """A department by its name or slug (case-insensitive)."""
    department = Department.objects.filter(Q(name__iexact=name) | Q(slug__iexact=name)).first()
    if department is None:
        raise UnknownDepartment(_("No department is named %(name)r.") % {"name": name})
    return department


def validate_page(page: Page) -> None:
    """InvalidPage unless the page's ids and secrets are all there and well-formed."""
    if not _NUMERIC_ID.fullmatch(page.page_id or ""):
        raise InvalidPage(_("A page id is the page's number, as Facebook shows it."))
    if page.app_id and not _NUMERIC_ID.fullmatch(page.app_id):
        raise InvalidPage(_("An app id is the app's number, as Facebook shows it."))
    for label, value in (
        (_("name"), page.name),
        (_("access token"), page.access_token),
        (_("app secret"), page.app_secret),
        (_("verify token"), page.verify_token),
    ):
        if not (value or "").strip():
            raise InvalidPage(_("The page's %(field)s is required.") % {"field": label})


def add_page(
    *,
    page_id: str,
    name: str,
    access_token: str,
    app_secret: str,
    verify_token: str,
    department: Department,
    app_id: str = "",
    human_agent_tag: bool = True,
) -> Page:
    """Configure a new page; its conversations go to `department`'s queue."""
    page = Page(
        page_id=(page_id or "").strip(),
        name=(name or "").strip(),
        access_token=(access_token or "").strip(),
        app_secret=(app_secret or "").strip(),
        verify_token=(verify_token or "").strip(),
        app_id=(app_id or "").strip(),
        department=department,
        human_agent_tag=human_agent_tag,
    )
    validate_page(page)
    try:
        with transaction.atomic():
            page.save()
    except IntegrityError:
        raise PageExists() from None
    logger.info("Facebook page %s (%s) added", page.page_id, page.name)
    return page


def save_page(page: Page, *, changed: Iterable[str]) -> Page:
    """Store a page edited in admin; a new access token clears the "token stopped" flag."""
    validate_page(page)
    changed = set(changed)
    if "access_token" in changed:
        page.token_failed_at = None
        page.token_error = ""
    try:
        with transaction.atomic():
            page.save()
    except IntegrityError:
        raise PageExists() from None
    return page


def disable_page(page_id: str) -> Page:
    """Stop routing a page's conversations and sending its replies."""
    with transaction.atomic():
        updated = Page.objects.filter(page_id=page_id).update(enabled=False)
        if not updated:
            raise UnknownPage()
    logger.info("Facebook page %s disabled", page_id)
    return Page.objects.get(page_id=page_id)


def flag_token(page: Page, error: str) -> None:
    """Facebook refused the page's token: the page shows it in admin until a call works."""
    now = timezone.now()
    flagged = Page.objects.filter(pk=page.pk, token_failed_at__isnull=True).update(
        token_failed_at=now, token_error=error[:500]
    )
    if flagged:
        logger.warning("Facebook refused the access token of page %s", page.page_id)
        page.token_failed_at, page.token_error = now, error[:500]


def clear_token_flag(page: Page) -> None:
    if page.token_failed_at is None:
        return
    Page.objects.filter(pk=page.pk).update(token_failed_at=None, token_error="")
    page.token_failed_at, page.token_error = None, ""


def save_closing_message(closing: ClosingMessage) -> ClosingMessage:
    closing.text = (closing.text or "").strip()
    if closing.enabled and not closing.text:
        raise InvalidPage(_("Write the closing message, or switch it off."))
    closing.save()
    return closing
