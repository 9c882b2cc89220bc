"""Messenger attachments are recognised by their bytes, never by their name."""

import io
import zipfile

import pytest

from integrations.facebook.services.attachments import messenger_files
from rooms.services import IncomingFile, check_contact_file
from tests.facebook.conftest import MP4


def _zipped(*names: str) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as opened:
        for name in names:
            opened.writestr(name, "<x/>")
    return archive.getvalue()


SAMPLES = {
    "video/mp4": MP4,
    "video/quicktime": b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + b"\x00" * 16,
    "video/webm": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm\x42\x87\x81\x04"
    + b"\0" * 8,
    "video/x-matroska": b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska" + b"\0" * 8,
    "audio/mpeg": b"\xff\xfb\x90\x64" + b"\x00" * 64,
    "audio/ogg": b"OggS\x00\x02" + b"\x00" * 22 + b"\x01\x1e\x01vorbis" + b"\x00" * 16,
    "audio/mp4": b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A isom" + b"\x00" * 16,
    "audio/aac": b"\xff\xf1\x50\x80\x02\x1f\xfc" + b"\x00" * 32,
    "audio/wav": b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + b"\x00" * 24,
    "audio/amr": b"#!AMR\n" + b"\x3c" * 32,
    "application/pdf": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _zipped(
        "[Content_Types].xml", "xl/workbook.xml"
    ),
    "text/plain": "Pedido 1234: ¿cuándo llega?\n".encode(),
    "application/octet-stream": b"MZ\x90\x00" + bytes(range(256)),
}


@pytest.mark.parametrize(("expected", "content"), SAMPLES.items(), ids=list(SAMPLES))
def test_messenger_file_is_recognised_by_its_bytes_whatever_its_name(expected, content):
    assert (
        check_contact_file(IncomingFile("attachment.jpg", content), messenger_files()) == expected
    )
