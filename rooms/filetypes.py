"""What a contact's file is, judged by its bytes, never by its name or the sender's word.

Each recognised content type has the extension its stored copy gets and a kind that decides
how it is shown: `image`, `video` and `audio` play in the page, anything else is a download.
Bytes nothing here recognises are `application/octet-stream`, served only as a download.
"""

import filetype

OCTET_STREAM = "application/octet-stream"
SNIFF_BYTES = 8192

IMAGES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/avif": "avif",
    "image/bmp": "bmp",
    "image/heic": "heic",
    "image/tiff": "tif",
}
VIDEOS = {
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
    "video/x-matroska": "mkv",
    "video/ogg": "ogv",
    "video/3gpp": "3gp",
    "video/x-msvideo": "avi",
    "video/mpeg": "mpg",
}
AUDIO = {
    "audio/mpeg": "mp3",
    "audio/mp4": "m4a",
    "audio/aac": "aac",
    "audio/ogg": "ogg",
    "audio/webm": "weba",
    "audio/wav": "wav",
    "audio/flac": "flac",
    "audio/amr": "amr",
}
DOCUMENTS = {
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-powerpoint": "ppt",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "application/rtf": "rtf",
    "application/epub+zip": "epub",
    "application/zip": "zip",
    "text/plain": "txt",
}
# Every type `sniff` may answer, and the extension of its stored copy.
EXTENSIONS = {**IMAGES, **VIDEOS, **AUDIO, **DOCUMENTS, OCTET_STREAM: "bin"}

# What a browser shows by itself; the other images, videos and sounds are downloads.
PLAYABLE = {
    "image": {"image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "image/bmp"},
    "video": {"video/mp4", "video/quicktime", "video/webm", "video/ogg"},
    "audio": {
        "audio/mpeg",
        "audio/mp4",
        "audio/aac",
        "audio/ogg",
        "audio/webm",
        "audio/wav",
        "audio/flac",
    },
}

# filetype's names for types it knows under another one.
_ALIASES = {
    "audio/x-wav": "audio/wav",
    "audio/x-flac": "audio/flac",
    "video/x-m4v": "video/mp4",
}
# ISO base media brands (the `ftyp` box) of still images; filetype knows those.
_IMAGE_BRANDS = {"avif", "avis", "heic", "heix", "heim", "heis", "mif1", "msf1"}
_AUDIO_BRANDS = {"M4A ", "M4B ", "M4P ", "F4A ", "F4B "}
# The container of a sound or of a film is the same; the sender's word picks which.
_AS_AUDIO = {"video/mp4": "audio/mp4", "video/webm": "audio/webm", "video/ogg": "audio/ogg"}


def sniff(content: bytes, *, hint: str = "") -> str | None:
    """The content type `content` starts like, or None when it is none of ours.

    `hint` ("audio") chooses between two readings of one container (an MP4 holding only
    sound); it never makes unrecognised bytes recognised.
    """
    head = content[:SNIFF_BYTES]
    found = _iso_media(head) or _guess(head) or _mpeg_audio(head) or _plain_text(head)
    if found and hint == "audio":
        found = _AS_AUDIO.get(found, found)
    return found


def extension_for(content_type: str) -> str:
    return EXTENSIONS.get(content_type, "bin")


def kind_of(content_type: str) -> str:
    """`image`, `video` or `audio` when a browser plays it in the page; `file` otherwise."""
    for kind, types in PLAYABLE.items():
        if content_type in types:
            return kind
    return "file"


def label_of(content_type: str) -> str:
    """A short name of the type for lists: its usual extension (MP4, PDF, DOCX), or FILE."""
    if content_type == OCTET_STREAM or content_type not in EXTENSIONS:
        return "FILE"
    return EXTENSIONS[content_type].upper()


def _guess(head: bytes) -> str | None:
    kind = filetype.guess(head)
    if kind is None:
        return None
    mime = _ALIASES.get(kind.mime, kind.mime)
    if mime == "audio/ogg" and b"\x80theora" in head[:512]:
        mime = "video/ogg"
    return mime if mime in EXTENSIONS and mime != OCTET_STREAM else None


def _iso_media(head: bytes) -> str | None:
    """MP4, MOV, M4A and 3GP by their `ftyp` box; filetype knows only a few of the brands."""
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    brand = head[8:12].decode("latin-1")
    if brand in _IMAGE_BRANDS:
        return None  # HEIC/AVIF: filetype's
    if brand in _AUDIO_BRANDS:
        return "audio/mp4"
    if brand == "qt  ":
        return "video/quicktime"
    if brand.startswith(("3gp", "3g2")):
        return "video/3gpp"
    return "video/mp4"


def _mpeg_audio(head: bytes) -> str | None:
    """An MP3 without an ID3 tag, or an AAC stream (ADTS), by its first frame header."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    if head[1] & 0x06 == 0:
        # Layer bits 00 is ADTS: AAC.
        return "audio/aac" if head[1] & 0xF6 == 0xF0 else None
    version = (head[1] >> 3) & 0x03
    bitrate_index = head[2] >> 4
    rate_index = (head[2] >> 2) & 0x03
    if version == 1 or bitrate_index in (0, 15) or rate_index == 3:
        return None
    return "audio/mpeg"


def _plain_text(head: bytes) -> str | None:
    """UTF-8 (or ASCII) text without control characters other than layout ones."""
    if not head or b"\x00" in head:
        return None
    text = head.removeprefix(b"\xef\xbb\xbf")
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as error:
        # A character cut in two by the sniffing window is still text.
        if len(text) < SNIFF_BYTES - 8 or error.start < len(text) - 3:
            return None
        decoded = text[: error.start].decode("utf-8")
    allowed = {"\t", "\n", "\r", "\f"}
    if any((ord(char) < 32 and char not in allowed) or ord(char) == 127 for char in decoded):
        return None
    return "text/plain"
