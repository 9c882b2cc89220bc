"""Phone numbers in one spelling, so a call reported as '+34 600-12-34' finds its contact."""

import re

_SEPARATORS = re.compile(r"[\s().\-/]")
PHONE_PATTERN = re.compile(r"^\+?\d{3,20}$")


def normalise_phone(raw: str) -> str:
    """The number without separators: '+34 (600) 12-34-56' -> '+34600123456'."""
    return _SEPARATORS.sub("", (raw or "").strip())[:40]


def phone_digits_in(text: str) -> str | None:
    """The number typed in a search box, spelled as stored ('600 11-22' -> '6001122'); None
    when the text is not a phone number or is already spelled so."""
    digits = normalise_phone(text)
    bare = digits.lstrip("+")
    if digits == text or len(bare) < 3 or not bare.isdigit():
        return None
    return digits
