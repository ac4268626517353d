"""The checks an uploaded monthly-progress file passes before any workbook parser sees it.

An upload is refused, quickly and with a Chinese message, when it is too large; not a zip
(a renamed ``.csv``, an old ``.xls``); a zip but not a workbook (a renamed ``.docx``); a zip
whose entries would unpack to more than the cap (a "zip bomb": the sizes in the zip directory
are checked before anything is unpacked, and every entry is read with a bound, so a directory
that lies cannot get further); or an XML part with a DTD or entities (``defusedxml``). The
sheet's header row is checked when it is read (:func:`progress.xlsx.read_workbook`).
"""

from __future__ import annotations

import io
import zipfile
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _

from core.exceptions import DomainError

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: the most entries a workbook of ours has is about a dozen; a few hundred is already odd
MAX_ENTRIES = 300
#: an XML part that compresses better than this is treated as a bomb when it is large
MAX_RATIO = 200


class UploadRefused(DomainError):
    """The file is refused as a whole, before any row is read."""

    def __init__(self, message):
        super().__init__(message, code="file_refused", field="file")


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


def check_upload(data: bytes) -> None:
    """Refuse a file that is not a safe, sane ``.xlsx`` — before openpyxl sees it."""
    _check_bytes(data)
    archive, entries = _open_zip(data)
    _check_directory(entries)
    _check_entries(archive, entries)


def _check_bytes(data: bytes) -> None:
    """The file as bytes: not too large, not empty, not an old Office file."""
    limit = settings.PROGRESS_IMPORT_MAX_BYTES
    if len(data) > limit:
        raise UploadRefused(
            _("文件大小为%(size)sMB，超过上限%(limit)sMB，请分县区或分批导入。")
            % {"size": _mb(len(data)), "limit": _mb(limit)}
        )
    if not data:
        raise UploadRefused(_("文件是空的，请选择填好的模板。"))
    if data.startswith(OLE2_MAGIC):
        raise UploadRefused(
            _("这是旧版 Excel（.xls）或其他 Office 文件，请使用平台模板并另存为 .xlsx 后上传。")
        )


def _open_zip(data: bytes) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise UploadRefused(
            _(
                "文件不是有效的 Excel（.xlsx）文件（可能是改了扩展名的其他文件），"
                "请使用平台下载的模板。"
            )
        ) from error
    return archive, entries


def _check_directory(entries: list[zipfile.ZipInfo]) -> None:
    """The zip directory, before anything is unpacked: a workbook's parts, not too many, not
    unpacking beyond the cap, none compressed like a bomb."""
    names = {entry.filename for entry in entries}
    if len(entries) > MAX_ENTRIES:
        raise UploadRefused(_("文件结构异常（包含%(n)s个部件），已拒绝。") % {"n": len(entries)})
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise UploadRefused(
            _("文件不是 Excel 工作簿（可能是改了扩展名的 Word 或其他文件），请使用平台下载的模板。")
        )
    cap = settings.PROGRESS_IMPORT_MAX_UNZIPPED_BYTES
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > cap:
        raise UploadRefused(
            _("文件解压后达%(size)sMB，超过上限%(limit)sMB，疑似异常文件，已拒绝。")
            % {"size": _mb(unpacked), "limit": _mb(cap)}
        )
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if ratio > MAX_RATIO and entry.file_size > 1024 * 1024:
            raise UploadRefused(_("文件压缩比异常，疑似压缩炸弹，已拒绝。"))


#: bytes of an entry unpacked at a time: a sheet of 50,000 rows is checked without being held.
#: Small pieces: expat keeps what it is fed, and the C heap keeps 256 KB pieces resident (2 MB
#: for the rest of an import) where 16 KB ones take 0.2 MB — and are no slower
READ_BYTES = 16 * 1024


def _check_entries(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> None:
    """Every entry unpacked within what is left of the cap, and every XML part parsed safely —
    both as the entry is read, a piece at a time."""
    cap = settings.PROGRESS_IMPORT_MAX_UNZIPPED_BYTES
    budget = cap
    for entry in entries:
        if entry.is_dir():
            continue
        parser = _xml_parser() if entry.filename.endswith((".xml", ".rels")) else None
        try:
            with archive.open(entry) as handle:
                while piece := handle.read(min(READ_BYTES, budget + 1)):
                    budget -= len(piece)
                    if budget < 0:  # a directory that lies stops here
                        raise UploadRefused(
                            _("文件解压后超过上限%(limit)sMB，疑似异常文件，已拒绝。")
                            % {"limit": _mb(cap)}
                        )
                    if parser is not None:
                        _parse_xml(parser, piece, False)
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError) as error:
            raise UploadRefused(_("文件已损坏，无法读取，请重新保存后上传。")) from error
        if parser is not None:
            _parse_xml(parser, b"", True)


class _UnsafeXml(Exception):
    """A DTD (and with it any entity declaration) in an XML part."""


def _refuse(*_args) -> None:
    raise _UnsafeXml


def _xml_parser():
    """An expat parser refusing any DTD or entity declaration (what defusedxml's
    ``forbid_dtd`` refuses: no entity can be declared, so none expanded). Only the
    declarations have handlers: the elements are parsed in C and nothing is built, so checking
    a 20,000-row sheet costs a fraction of reading it."""
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    return parser


def _parse_xml(parser, piece: bytes, last: bool) -> None:
    try:
        parser.Parse(piece, last)
    except _UnsafeXml as error:
        raise UploadRefused(_("文件含有不安全的 XML 内容（DTD 或实体声明），已拒绝。")) from error
    except expat.ExpatError as error:
        raise UploadRefused(_("文件中的 XML 内容已损坏，请重新保存后上传。")) from error
