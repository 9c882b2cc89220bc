"""Inbound webhooks, before any database: the signature check and the payload's shape.

Nothing here trusts the body before `matching_secret` has vouched for it.
"""

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

SIGNATURE_HEADER = "X-Hub-Signature-256"
_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
# The messaging fields we act on; everything else is kept in the raw event and skipped.
KNOWN_KINDS = ("message", "postback", "delivery", "read")


def sign(secret: str, body: bytes) -> str:
    """The header value Facebook sends: HMAC-SHA256 of the raw body with the app secret."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def matching_secret(header: str | None, body: bytes, secrets: Iterable[str]) -> str | None:
    """The app secret that signed this body, or None (missing, malformed or wrong signature).

    Compares in constant time against every secret, so timing tells nothing about which one.
    """
    found = _SIGNATURE.fullmatch((header or "").strip())
    if not found:
        return None
    given = found.group(1).lower()
    matched = None
    for secret in secrets:
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, given) and matched is None:
            matched = secret
    return matched


def entry_page_ids(payload: object) -> list[str]:
    """The page ids the payload's entries claim, in order, without repeats."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        return []
    ids: list[str] = []
    for entry in payload["entry"]:
        page_id = str(entry.get("id", "")) if isinstance(entry, dict) else ""
        if page_id and page_id not in ids:
            ids.append(page_id)
    return ids


@dataclass(frozen=True)
class Item:
    """One messaging event of one entry: who (the person's PSID), which page, what kind."""

    page_id: str
    kind: str
    psid: str
    timestamp: datetime | None
    data: dict = field(repr=False)

    @property
    def message(self) -> dict:
        value = self.data.get("message")
        return value if isinstance(value, dict) else {}


@dataclass
class Parsed:
    items: list[Item]
    skipped: list[str]


def _id_of(party: object) -> str:
    if isinstance(party, dict) and isinstance(party.get("id"), str | int):
        return str(party["id"])
    return ""


def parse_timestamp(value: object) -> datetime | None:
    """Facebook's milliseconds since the epoch (sometimes as a string, sometimes seconds)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if number <= 0:
        return None
    if number < 10**11:  # seconds, as some documented examples show
        number *= 1000
    try:
        return datetime.fromtimestamp(number / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _kind_of(messaging: dict) -> str:
    for kind in KNOWN_KINDS:
        if isinstance(messaging.get(kind), dict):
            if kind == "message" and messaging[kind].get("is_echo"):
                return "echo"
            return kind
    others = sorted(set(messaging) - {"sender", "recipient", "timestamp"})
    return others[0] if others else "empty"


def parse(payload: object, trusted_pages: set[str]) -> Parsed:
    """Every messaging event of the trusted pages' entries, each page's in timestamp order.

    Entries of other pages, malformed items and unknown kinds are listed in `skipped`.
    """
    parsed = Parsed(items=[], skipped=[])
    if not isinstance(payload, dict) or payload.get("object") != "page":
        parsed.skipped.append("not a page object")
        return parsed
    entries = payload.get("entry")
    if not isinstance(entries, list):
        parsed.skipped.append("no entry list")
        return parsed
    for entry in entries:
        if not isinstance(entry, dict):
            parsed.skipped.append("entry is not an object")
            continue
        page_id = str(entry.get("id", ""))
        if page_id not in trusted_pages:
            parsed.skipped.append(f"unknown page {page_id[:64]!r}")
            continue
        for other in ("standby", "changes"):
            if entry.get(other):
                parsed.skipped.append(f"{other} events of page {page_id}")
        messagings = entry.get("messaging")
        if messagings is None:
            continue
        if not isinstance(messagings, list):
            parsed.skipped.append("messaging is not a list")
            continue
        page_items = []
        for messaging in messagings:
            item = _item(page_id, messaging, parsed.skipped)
            if item is not None:
                page_items.append(item)
        # Facebook may deliver out of order; act in the order things happened.
        page_items.sort(key=lambda i: i.timestamp or datetime.max.replace(tzinfo=UTC))
        parsed.items.extend(page_items)
    return parsed


def _item(page_id: str, messaging: object, skipped: list[str]) -> Item | None:
    if not isinstance(messaging, dict):
        skipped.append("messaging item is not an object")
        return None
    kind = _kind_of(messaging)
    if kind not in (*KNOWN_KINDS, "echo"):
        skipped.append(f"{kind} event")
        return None
    # The person is the sender of what they do, and the recipient of the page's echoes.
    psid = _id_of(messaging.get("recipient" if kind == "echo" else "sender"))
    if not psid:
        skipped.append(f"{kind} without a person's id")
        return None
    if psid == page_id:
        skipped.append(f"{kind} addressed to the page itself")
        return None
    page_side = _id_of(messaging.get("sender" if kind == "echo" else "recipient"))
    if page_side and page_side != page_id:
        skipped.append(f"{kind} of another page than its entry's")
        return None
    return Item(
        page_id=page_id,
        kind=kind,
        psid=psid,
        timestamp=parse_timestamp(messaging.get("timestamp")),
        data=messaging,
    )
