"""A small reader of gettext .po files and the makemessages run the catalogue is checked against."""

import ast
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
LANGUAGE = "es"
DOMAINS = ("django", "djangojs")
# What `make messages` passes to makemessages; the test extracts the same way.
IGNORE = ["tests", "bench", "media", "staticfiles", "node_modules", "locale"]
EXTENSIONS = {"django": ["html", "txt", "py", "js"], "djangojs": ["js"]}


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())


def read_po(path: Path) -> list[Entry]:
    """The live entries of a .po file (the header and obsolete `#~` entries left out)."""
    entries: list[Entry] = []
    entry = Entry()
    target = ("msgid", 0)

    def finish() -> None:
        nonlocal entry
        if entry.msgid:
            entries.append(entry)
        entry = Entry()

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#~"):
            continue
        elif line.startswith("#"):
            if entry.msgstr:
                finish()
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith('"'):
            name, index = target
            if name == "msgstr":
                entry.msgstr[index] += ast.literal_eval(line)
            else:
                setattr(entry, name, (getattr(entry, name) or "") + ast.literal_eval(line))
        else:
            keyword, _space, rest = line.partition(" ")
            value = ast.literal_eval(rest)
            if keyword in {"msgctxt", "msgid"} and entry.msgstr:
                finish()
            if keyword.startswith("msgstr"):
                target = ("msgstr", int(keyword[7:-1]) if "[" in keyword else 0)
                entry.msgstr[target[1]] = value
            else:
                target = (keyword, 0)
                setattr(entry, keyword, value)
    finish()
    return entries


def extract(domain: str, workdir: Path) -> list[Entry]:
    """Run makemessages over the project into `workdir`, leaving the committed catalogue alone.

    makemessages writes to any `locale` folder it sees under the folder it runs in, so it runs
    in a folder of links to the project's folders instead, with LOCALE_PATHS pointing away.
    """
    source = workdir / "source"
    source.mkdir()
    for child in ROOT.iterdir():
        if child.name.startswith(".") or child.name in IGNORE or not child.is_dir():
            continue
        (source / child.name).symlink_to(child, target_is_directory=True)
    output = workdir / "locale"
    output.mkdir()
    previous = Path.cwd()
    os.chdir(source)
    try:
        with override_settings(LOCALE_PATHS=[output]):
            call_command(
                "makemessages",
                locale=[LANGUAGE],
                domain=domain,
                extensions=EXTENSIONS[domain],
                ignore_patterns=IGNORE,
                symlinks=True,
                verbosity=0,
            )
    finally:
        os.chdir(previous)
    po = output / LANGUAGE / "LC_MESSAGES" / f"{domain}.po"
    return read_po(po) if po.exists() else []
