"""The Spanish catalogue is complete: every string makemessages finds has a reviewed translation."""

import gettext
import re
import shutil

import pytest

from tests.i18n.catalogue import DOMAINS, LANGUAGE, LOCALE, Entry, extract, read_po

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|{\w*}")


def committed(domain: str) -> list[Entry]:
    return read_po(LOCALE / LANGUAGE / "LC_MESSAGES" / f"{domain}.po")


def describe(entries: list[Entry]) -> list[str]:
    return sorted(entry.msgid for entry in entries)


def test_the_reader_sees_missing_and_fuzzy_translations(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: es\\n"\n\n'
        'msgid "Take it!"\nmsgstr "Tomar"\n\n'
        '#, fuzzy\nmsgid "Close"\nmsgstr "Cerca"\n\n'
        'msgid "Search"\nmsgstr ""\n\n'
        'msgid "%(n)s chat"\nmsgid_plural "%(n)s chats"\nmsgstr[0] "%(n)s chat"\nmsgstr[1] ""\n\n'
        '#~ msgid "Old"\n#~ msgstr ""\n'
    )

    entries = read_po(po)

    assert [entry.msgid for entry in entries] == ["Take it!", "Close", "Search", "%(n)s chat"]
    assert [entry.translated for entry in entries] == [True, True, False, False]
    assert "fuzzy" in entries[1].flags


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_committed_entry_is_translated_and_reviewed(domain):
    entries = committed(domain)

    assert entries, f"locale/{LANGUAGE}/LC_MESSAGES/{domain}.po has no entries"
    assert describe([e for e in entries if not e.translated]) == [], "untranslated"
    assert describe([e for e in entries if "fuzzy" in e.flags]) == [], "fuzzy"


@pytest.mark.parametrize("domain", DOMAINS)
def test_translations_keep_the_placeholders_of_the_original(domain):
    wrong = []
    for entry in committed(domain):
        for index, text in entry.msgstr.items():
            original = entry.msgid if index == 0 or not entry.msgid_plural else entry.msgid_plural
            # A singular may spell out its number ("una hora") instead of %(count)s.
            spelled_out = entry.msgid_plural and index == 0
            if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(original)) and not (
                spelled_out
            ):
                wrong.append(f"{entry.msgid!r} -> {text!r}")

    assert wrong == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext's xgettext")
@pytest.mark.parametrize("domain", DOMAINS)
def test_the_catalogue_has_every_string_makemessages_finds(domain, tmp_path):
    found = extract(domain, tmp_path)
    translated = {entry.key for entry in committed(domain) if entry.translated}

    missing = sorted(entry.msgid for entry in found if entry.key not in translated)

    assert missing == [], "run `make messages` and translate these"


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_compiled_catalogue_matches_the_po_file(domain):
    """The .mo files are committed, so the suite needs no gettext tools; they must be current."""
    with (LOCALE / LANGUAGE / "LC_MESSAGES" / f"{domain}.mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)

    # GNUTranslations keeps msgid -> msgstr, and (msgid, n) -> msgstr[n] for plurals.
    table = catalogue._catalog
    stale = []
    for entry in committed(domain):
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt is not None else entry.msgid
        if entry.msgid_plural:
            got = {index: table.get((key, index)) for index in entry.msgstr}
        else:
            got = {0: table.get(key)}
        if got != entry.msgstr:
            stale.append(entry.msgid)

    assert stale == [], "run `make messages` (compilemessages) and commit the .mo files"
