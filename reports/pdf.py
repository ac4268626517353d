"""HTML → PDF with WeasyPrint, with the platform's own Chinese fonts.

The fonts ship with the project (``reports/assets/fonts``: Noto Serif SC for the Song-style body
and the masthead, Noto Sans SC for 黑体 headings and charts; SIL Open Font License, simplified
Chinese subsets of about 7,900 characters). They ship as WOFF2 to keep the repository small and
are converted once to TrueType: WeasyPrint decompresses WOFF2 on every render, which costs
seconds per document, while TrueType loads at once.

The WOFF2 files keep their ``glyf``/``loca`` tables untransformed (WOFF2's null transform; the
glyphs are the same as in the upstream files, about a fifth larger compressed), so converting is
Brotli decompression and copying tables: about 0.1 s a face, where rebuilding transformed glyph
tables in Python took 2–3 s. To re-encode a replacement the same way::

    font = TTFont(path, recalcTimestamp=False)
    font.flavorData = WOFF2FlavorData(transformedTables=set())
    font.save(path)

The TrueType files go to ``REPORT_FONT_DIR`` (by default the user's cache directory, so every
checkout and the tests on a machine share them), named after the face and a hash of the source
file's content and of the conversion: a replaced source is converted again, an unchanged one
never, wherever it lies.

A character none of the fonts has would print as a box (``.notdef``). WeasyPrint only logs
that, so the renderer listens to its logger and refuses to hand out such a PDF: the job fails
with the characters named, rather than leaders reading boxes. System CJK fonts (e.g. Debian's
``fonts-noto-cjk``) come after ours in every font stack, so installing one is the remedy.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from core.exceptions import DomainError

ASSETS = Path(__file__).resolve().parent / "assets" / "fonts"

#: (source file, family, weight, style name) — the faces the document styles use
FACES = (
    ("NotoSerifSC-Regular.woff2", "Noto Serif SC", 400, "Regular"),
    ("NotoSerifSC-Bold.woff2", "Noto Serif SC", 700, "Bold"),
    ("NotoSansSC-Regular.woff2", "Noto Sans SC", 400, "Regular"),
    ("NotoSansSC-Bold.woff2", "Noto Sans SC", 700, "Bold"),
)

#: part of every converted file's key: change it when :func:`_convert` writes other bytes
CONVERSION = "names-1"

_convert_lock = threading.Lock()
_keys: dict[tuple[str, int, int], str] = {}


def font_dir() -> Path:
    return Path(settings.REPORT_FONT_DIR)


def ensure_fonts() -> list[tuple[Path, str, int]]:
    """The TrueType files of :data:`FACES`, converting those not converted yet."""
    return [
        (converted_font(ASSETS / source, family, style), family, weight)
        for source, family, weight, style in FACES
    ]


def converted_font(source: Path, family: str, style: str) -> Path:
    """The TrueType file of ``source`` (WOFF2) under :func:`font_dir`, named by its content.

    The conversion writes to a temporary file and renames it, so no process ever reads half a
    font; a lock file makes other processes (workers, a second checkout, parallel test runs)
    wait for the conversion under way rather than repeat it."""
    target = font_dir()
    path = target / f"{family.replace(' ', '')}-{style}-{_key(source)}.ttf"
    if path.exists():
        return path
    with _conversion_lock(target):
        if not path.exists():  # converted while this process waited
            _convert(source, path, family, style)
    return path


def _key(source: Path) -> str:
    """A hash of the source's bytes, the conversion and fontTools' version; computed once per
    process for a file that has not changed since."""
    from fontTools import version as fonttools_version

    stat = source.stat()
    seen = (str(source), stat.st_size, stat.st_mtime_ns)
    if seen not in _keys:
        digest = hashlib.sha256(f"{CONVERSION}/{fonttools_version}/".encode())
        digest.update(source.read_bytes())
        _keys[seen] = digest.hexdigest()[:16]
    return _keys[seen]


@contextmanager
def _conversion_lock(directory: Path):
    directory.mkdir(parents=True, exist_ok=True)
    with _convert_lock, open(directory / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


def _convert(source: Path, path: Path, family: str, style: str) -> None:
    """WOFF2 → TrueType, with the names inside set to the family and style they are used as
    (the subsets carry the names of the variable font they were cut from)."""
    from fontTools.ttLib import TTFont

    font = TTFont(source)
    font.flavor = None
    postscript = f"{family.replace(' ', '')}-{style}"
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 2, 3, 4, 6, 16, 17):
            names.removeNames(nameID=record.nameID)
    for name_id, value in (
        (1, family),
        (2, style),
        (3, postscript),
        (4, f"{family} {style}"),
        (6, postscript),
    ):
        names.setName(value, name_id, 3, 1, 0x409)
        names.setName(value, name_id, 1, 0, 0)
    handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".ttf.part")
    os.close(handle)
    try:
        font.save(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def font_face_css() -> str:
    return "\n".join(
        f"@font-face {{ font-family: '{family}'; font-weight: {weight}; "
        f"src: url('{path.as_uri()}'); }}"
        for path, family, weight in ensure_fonts()
    )


@dataclass
class Rendered:
    content: bytes
    pages: int


class MissingGlyphs(DomainError):
    pass


class _NotdefWatcher(logging.Handler):
    """Collects the characters WeasyPrint drew as .notdef (its warning carries the character
    and its code point as arguments)."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.missing: set[int] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if ".notdef" not in str(record.msg):
            return
        codepoints = [arg for arg in (record.args or ()) if isinstance(arg, int)]
        self.missing.update(codepoints or [0xFFFD])


_render_lock = threading.Lock()


def render_pdf(template: str, context: dict, progress=None) -> Rendered:
    """The template rendered to PDF bytes. ``progress(percent, step)`` is told how far it got.

    Raises :class:`MissingGlyphs` when any text would print as boxes."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    html = render_to_string(template, {**context, "font_faces": font_face_css()})
    if progress:
        progress(60, _("正在排版"))
    watcher = _NotdefWatcher()
    logger = logging.getLogger("weasyprint")
    if not logger.isEnabledFor(logging.WARNING):
        logger.setLevel(logging.WARNING)  # the watcher must hear the warnings, whatever LOG_LEVEL
    # The watcher sees this render only: one render at a time per process (a worker runs one
    # job per process; the lock keeps threads in the web process from mixing their warnings).
    with _render_lock:
        logger.addHandler(watcher)
        try:
            fonts = FontConfiguration()
            document = HTML(string=html, base_url=str(settings.BASE_DIR)).render(font_config=fonts)
            if progress:
                progress(85, _("正在写入PDF"))
            content = document.write_pdf()
        finally:
            logger.removeHandler(watcher)
    if watcher.missing:
        # private-use and control characters are invisible: name every one by its code point
        characters = "、".join(f"“{chr(c)}”(U+{c:04X})" for c in sorted(watcher.missing))
        raise MissingGlyphs(
            _(
                "文档中有字体无法显示的字符：%(chars)s。"
                "请在服务器上安装完整的中文字体（如 fonts-noto-cjk）后重试。"
            )
            % {"chars": characters},
            code="missing_glyphs",
        )
    return Rendered(content=content, pages=len(document.pages))
