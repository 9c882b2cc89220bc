"""Contacts' Messenger attachments: fetched as they arrive (their URLs expire), kept as files.

Images, videos, sounds and files are downloaded with a size cap (Messenger's own, 25 MB) and
judged by their bytes; what nothing recognises is kept too, served only as a download. A
download never holds the message back: when it fails, the message is stored with the link and
a note saying the file is not kept. A failure that may pass (a timeout, Facebook's 5xx) is tried
again in the background (`AttachmentDownload`), and the note is replaced once settled: removed
when the file is kept, turned into "not kept" when given up.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from integrations.facebook import transport
from integrations.facebook.models import AttachmentDownload
from omnichannel.errors import DomainError
from rooms import filetypes
from rooms.models import Message
from rooms.services import (
    FilePolicy,
    IncomingFile,
    check_contact_file,
    complete_contact_message,
)

logger = logging.getLogger(__name__)

# Meta's attachment types that carry a file; location and fallback (shares) are described.
DOWNLOADED_TYPES = {"image", "video", "audio", "file", "sticker"}
MESSENGER_MAX_BYTES = 25 * 1024 * 1024
RETRY_ATTEMPTS = 4  # the try on arrival included
RETRY_BACKOFF_SECONDS = (30, 120, 600)
# How long a claimed retry may run before the sweeper may think its worker dead.
RETRY_LEASE = timedelta(minutes=5)
LABELS = {
    "image": "Image",
    "sticker": "Sticker",
    "file": "File",
    "video": "Video",
    "audio": "Audio",
    "reel": "Reel",
    "ig_reel": "Reel",
}


def max_bytes() -> int:
    return int(getattr(settings, "FACEBOOK_ATTACHMENT_MAX_BYTES", MESSENGER_MAX_BYTES))


def messenger_files() -> FilePolicy:
    """What Messenger contacts' files may be: any type its apps send, up to its size limit."""
    known = frozenset(filetypes.EXTENSIONS) - {filetypes.OCTET_STREAM}
    return FilePolicy(types=known, max_bytes=max_bytes(), keep_unrecognised=True)


def label(kind: str) -> str:
    return LABELS.get(kind, kind.title())


@dataclass(frozen=True)
class Retry:
    """An attachment to fetch again once its message is stored."""

    position: int
    kind: str
    url: str
    name: str
    note: str
    error: str


@dataclass
class Fetched:
    """A message's attachments: files to keep, lines for the text, what is known of each."""

    files: list[IncomingFile] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    described: list[dict] = field(default_factory=list)
    retries: list[Retry] = field(default_factory=list)


def fetch_all(raw: object, *, download: bool = True) -> Fetched:
    """Fetch and check every attachment of a message; `download=False` only describes them."""
    fetched = Fetched()
    if not isinstance(raw, list):
        return fetched
    for attachment in raw:
        if isinstance(attachment, dict):
            _fetch_one(attachment, fetched, download=download)
    return fetched


def _fetch_one(attachment: dict, fetched: Fetched, *, download: bool) -> None:
    kind = str(attachment.get("type") or "unknown")
    payload = attachment.get("payload") if isinstance(attachment.get("payload"), dict) else {}
    url = str(payload.get("url") or attachment.get("url") or "")
    title = str(payload.get("title") or attachment.get("title") or "")
    info: dict = {"type": kind}
    fetched.described.append(info)
    if kind == "location":
        coordinates = payload.get("coordinates")
        lat = coordinates.get("lat") if isinstance(coordinates, dict) else None
        long = coordinates.get("long") if isinstance(coordinates, dict) else None
        if isinstance(lat, int | float) and isinstance(long, int | float):
            info.update(lat=lat, long=long)
            link = f"https://www.openstreetmap.org/?mlat={lat}&mlon={long}"
            fetched.lines.append(f"📍 {title or 'Location'}: {lat}, {long} {link}")
        else:
            fetched.lines.append(f"📍 {title or 'Location'}")
        return
    if kind == "fallback":
        info.update(url=url, title=title)
        shared = " ".join(part for part in (title, url) if part)
        fetched.lines.append(
            f"🔗 {shared}" if shared else "🔗 (shared content Messenger does not show)"
        )
        return
    if not url:
        fetched.lines.append(f"[{kind}]")
        return
    info["url"] = url
    if kind not in DOWNLOADED_TYPES or not download:
        fetched.lines.append(f"{label(kind)}: {url}")
        return
    name = transport.name_in_url(url)
    try:
        incoming = _download(url, kind)
    except transport.GraphError as error:
        info.update(name=name, stored=False, error=error.message)
        if error.transient:
            note = pending_note(kind, name, error.message, url)
            info["pending"] = True
            fetched.retries.append(
                Retry(len(fetched.described) - 1, kind, url, name, note, error.message)
            )
        else:
            note = not_kept_note(kind, name, error.message, url)
        fetched.lines.append(note)
        return
    except DomainError as refusal:
        info.update(name=name, stored=False, error=refusal.message)
        fetched.lines.append(not_kept_note(kind, name, refusal.message, url))
        return
    info.update(name=incoming.name, stored=True)
    fetched.files.append(incoming)


def _download(url: str, kind: str) -> IncomingFile:
    """The attachment's bytes, checked (FileRejected for an empty one)."""
    got = transport.download(url, max_bytes=max_bytes())
    incoming = IncomingFile(
        name=got.name or transport.name_in_url(url) or kind,
        content=got.content,
        hint="audio" if kind == "audio" else "",
    )
    check_contact_file(incoming, messenger_files())
    return incoming


def not_kept_note(kind: str, name: str, reason: str, url: str) -> str:
    subject = f"{label(kind)} {name}".strip()
    return f"{subject} (not kept: {reason.rstrip('.')}): {url}"


def pending_note(kind: str, name: str, reason: str, url: str) -> str:
    subject = f"{label(kind)} {name}".strip()
    return f"{subject} (not kept yet, trying again: {reason.rstrip('.')}): {url}"


def schedule_retries(message: Message, retries: list[Retry]) -> int:
    """Queue another try of each attachment that failed for now (in the caller's transaction,
    which stored the message). A message stored earlier by another run is left to that run."""
    from integrations.facebook.tasks import fetch_attachment

    entries = (message.meta or {}).get("attachments") or []
    now = timezone.now()
    scheduled = 0
    for retry in retries:
        entry = entries[retry.position] if retry.position < len(entries) else {}
        if not entry.get("pending") or entry.get("url") != retry.url:
            continue
        run_after = now + timedelta(seconds=RETRY_BACKOFF_SECONDS[0])
        download, created = AttachmentDownload.objects.get_or_create(
            message=message,
            position=retry.position,
            defaults={
                "kind": retry.kind,
                "url": retry.url,
                "name": retry.name[:255],
                "note": retry.note,
                "next_attempt_at": run_after,
                "last_error": retry.error[:2000],
            },
        )
        if created:
            fetch_attachment.using(run_after=run_after).enqueue(download.pk, download.attempts)
            scheduled += 1
    return scheduled


def retry_download(download_id: int, tried: int | None = None) -> str:
    """Try one attachment again: keep it, wait for another try, or give it up.

    `tried` is how many tries had been made when this run was queued. Two tasks may be queued
    for one try (the sweeper's and the scheduled one): the first to start claims the try and the
    other finds the count moved on, even when it starts while the first is still downloading.
    """
    download = AttachmentDownload.objects.filter(pk=download_id).first()
    if download is None:
        return "missing"
    if download.status != AttachmentDownload.Status.PENDING:
        return download.status
    if tried is None:  # a task queued before tasks carried their try
        tried = download.attempts
    now = timezone.now()
    claimed = AttachmentDownload.objects.filter(
        pk=download.pk, status=AttachmentDownload.Status.PENDING, attempts=tried
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + RETRY_LEASE)
    if not claimed:
        return "busy"
    attempt = tried + 1
    try:
        incoming = _download(download.url, download.kind)
    except transport.GraphError as error:
        if error.transient and attempt < RETRY_ATTEMPTS:
            return _later(download, attempt, error.message)
        return _give_up(download, error.message)
    except DomainError as refusal:
        return _give_up(download, refusal.message)
    with transaction.atomic():
        complete_contact_message(
            download.message,
            files=[incoming],
            policy=messenger_files(),
            revise=_settle(download, "", {"stored": True, "name": incoming.name}),
        )
        _set_status(download, AttachmentDownload.Status.KEPT, "")
    return "kept"


def _later(download: AttachmentDownload, attempt: int, reason: str) -> str:
    from integrations.facebook.tasks import fetch_attachment

    delay = RETRY_BACKOFF_SECONDS[min(attempt, len(RETRY_BACKOFF_SECONDS)) - 1]
    run_after = timezone.now() + timedelta(seconds=delay)
    with transaction.atomic():
        AttachmentDownload.objects.filter(pk=download.pk).update(
            next_attempt_at=run_after, last_error=reason[:2000]
        )
        fetch_attachment.using(run_after=run_after).enqueue(download.pk, attempt)
    logger.info("Messenger attachment %s: try %s failed (%s)", download.pk, attempt, reason)
    return "retry"


def _give_up(download: AttachmentDownload, reason: str) -> str:
    note = not_kept_note(download.kind, download.name, reason, download.url)
    with transaction.atomic():
        complete_contact_message(
            download.message, revise=_settle(download, note, {"stored": False, "error": reason})
        )
        _set_status(download, AttachmentDownload.Status.FAILED, reason)
    logger.warning("Messenger attachment %s given up: %s", download.pk, reason)
    return "failed"


def _set_status(download: AttachmentDownload, status: str, error: str) -> None:
    AttachmentDownload.objects.filter(pk=download.pk).update(status=status, last_error=error[:2000])


def _settle(
    download: AttachmentDownload, note: str, changes: dict
) -> Callable[[str, dict], tuple[str, dict] | None]:
    """The message's revision once the download is settled: its pending note becomes `note`
    (removed when empty) and its attachment entry records the outcome."""

    def revise(text: str, meta: dict) -> tuple[str, dict] | None:
        entries = list(meta.get("attachments") or [])
        if download.position >= len(entries):
            return None
        entry = dict(entries[download.position])
        if not entry.get("pending"):
            return None  # settled already
        entry.pop("pending")
        entry.pop("error", None)
        entry.update(changes)
        entries[download.position] = entry
        return _replace_line(text, download.note, note), {**meta, "attachments": entries}

    return revise


def _replace_line(text: str, old: str, new: str) -> str:
    """`text` with its last line equal to `old` replaced by `new` (removed when empty)."""
    lines = text.split("\n")
    for index in range(len(lines) - 1, -1, -1):
        if lines[index] == old:
            if new:
                lines[index] = new
            else:
                del lines[index]
            break
    return "\n".join(lines)


def sweep_downloads(*, now: datetime, lost_after: timedelta) -> int:
    """Queue again the retries whose task was lost (a worker died, the queue was cleared)."""
    from integrations.facebook.tasks import fetch_attachment

    lost = AttachmentDownload.objects.filter(
        status=AttachmentDownload.Status.PENDING, next_attempt_at__lt=now - lost_after
    )
    count = 0
    for download_id, tried in lost.values_list("pk", "attempts")[:1000]:
        # Pushed past the next sweep; a second task for the same try is harmless (one claims it).
        AttachmentDownload.objects.filter(pk=download_id).update(next_attempt_at=now)
        fetch_attachment.enqueue(download_id, tried)
        count += 1
    return count
