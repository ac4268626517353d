"""What a file is, read from its bytes — never from its name or the browser's content type.

A file whose name says ``.pdf`` may hold an HTML page with a script in it; served back with the
name's type, a browser could run it. So the type an attachment is stored and served with comes
from its content only: the magic bytes of PDF, JPEG and PNG, and for the zip-based formats
(Word ``.docx``, Excel ``.xlsx``, OFD) the parts the zip's directory lists — ``[Content_Types].xml``
with ``word/document.xml`` or ``xl/workbook.xml``, or OFD's ``OFD.xml``. Only the directory is
read: nothing is unpacked, so a zip bomb costs nothing here. Word and Excel files with macros
(a ``vbaProject.bin`` part: ``.docm``/``.xlsm`` renamed) are refused.

No database and no Django settings: plain functions with plain tests.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True)
class FileType:
    code: str
    mime: str
    extensions: tuple[str, ...]


PDF = FileType("pdf", "application/pdf", (".pdf",))
JPEG = FileType("jpeg", "image/jpeg", (".jpg", ".jpeg"))
PNG = FileType("png", "image/png", (".png",))
DOCX = FileType(
    "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
)
XLSX = FileType(
    "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)
)
OFD = FileType("ofd", "application/ofd", (".ofd",))
TYPES = {kind.code: kind for kind in (PDF, JPEG, PNG, DOCX, XLSX, OFD)}

_MAGIC = ((b"%PDF-", PDF), (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
_ZIP_MAGIC = b"PK\x03\x04"
#: an Office document's main part, per type (the part [Content_Types].xml must come with)
_OFFICE_MAIN_PARTS = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX))
#: more entries than any real document of these kinds has: the directory is not read further
MAX_ZIP_ENTRIES = 10_000


class NotAllowed(ValueError):
    """The content is none of the accepted types; ``reason`` tells the caller which case."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def sniff(handle: BinaryIO) -> FileType:
    """The type of the file open in ``handle`` (seekable, read from its start), or
    :class:`NotAllowed`. The handle is left at its start."""
    handle.seek(0)
    head = handle.read(16)
    handle.seek(0)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(_ZIP_MAGIC):
        try:
            return _zip_type(handle)
        finally:
            handle.seek(0)
    raise NotAllowed("unknown")


def _zip_type(handle: BinaryIO) -> FileType:
    try:
        with zipfile.ZipFile(handle) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise NotAllowed("unknown")
            types = _content_types(archive)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        if isinstance(error, NotAllowed):
            raise
        raise NotAllowed("broken_zip") from error
    names = {entry.filename for entry in entries}
    # macros first, whatever else the package claims to be: by the part's name, and by the
    # content types Office finds a renamed macro part through
    if any(name.lower().endswith("vbaproject.bin") for name in names) or (
        types is not None and (b"vbaProject" in types or b"macroEnabled" in types)
    ):
        raise NotAllowed("macros")
    if "OFD.xml" in names:
        return OFD
    if types is None:
        raise NotAllowed("unknown")
    for part, kind in _OFFICE_MAIN_PARTS:
        if part in names:
            return kind
    raise NotAllowed("unknown")  # a .pptx, or another Open XML package


#: [Content_Types].xml of a real document is a few KB; a larger one is not read
MAX_CONTENT_TYPES_BYTES = 1 << 20


def _content_types(archive: zipfile.ZipFile) -> bytes | None:
    """The package's [Content_Types].xml (None without one)."""
    try:
        info = archive.getinfo("[Content_Types].xml")
    except KeyError:
        return None
    if info.file_size > MAX_CONTENT_TYPES_BYTES:
        raise NotAllowed("unknown")
    with archive.open(info) as part:
        return part.read(MAX_CONTENT_TYPES_BYTES)


def download_name(name: str, kind: FileType) -> str:
    """``name`` as the file will be offered for download: its extension one of ``kind``'s
    (added when the uploaded name had another), so the saved file opens as what it is."""
    if name.lower().endswith(kind.extensions):
        return name
    return f"{name}{kind.extensions[0]}"
