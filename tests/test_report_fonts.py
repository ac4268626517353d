"""The shipped fonts are converted to TrueType once per content (reports/pdf.py): an unchanged
source is never converted again, whichever checkout it lies in; a replaced one is."""

import shutil

from fontTools.ttLib import TTFont

from reports import pdf


def test_a_font_is_converted_once_per_content_wherever_its_source_lies(tmp_path, settings):
    settings.REPORT_FONT_DIR = tmp_path / "cache"
    source = tmp_path / "checkout" / "Face.woff2"
    source.parent.mkdir()
    shutil.copyfile(pdf.ASSETS / "NotoSansSC-Regular.woff2", source)

    first = pdf.converted_font(source, "Noto Sans SC", "Regular")
    assert first.parent == tmp_path / "cache"
    font = TTFont(first)
    assert font.flavor is None  # TrueType, not WOFF2
    assert font["name"].getDebugName(1) == "Noto Sans SC"
    assert font["name"].getDebugName(6) == "NotoSansSC-Regular"
    made = first.stat()

    # The same content, read again or shipped by a second checkout (a new file, a new time):
    # the conversion already made is used, not redone.
    other = tmp_path / "second-checkout" / "Face.woff2"
    other.parent.mkdir()
    shutil.copyfile(source, other)
    for again in (source, other):
        assert pdf.converted_font(again, "Noto Sans SC", "Regular") == first
    assert (first.stat().st_ino, first.stat().st_mtime_ns) == (made.st_ino, made.st_mtime_ns)

    # The source replaced by another font: converted again, into a file of its own.
    shutil.copyfile(pdf.ASSETS / "NotoSansSC-Bold.woff2", source)
    replaced = pdf.converted_font(source, "Noto Sans SC", "Regular")
    assert replaced != first
    assert TTFont(replaced)["OS/2"].usWeightClass == 700
    assert TTFont(first)["OS/2"].usWeightClass == 400  # the other checkout's still there
    assert sorted(p.name for p in (tmp_path / "cache").glob("*.ttf")) == sorted(
        [first.name, replaced.name]
    )


def test_every_face_is_ready_for_the_documents(tmp_path, settings):
    settings.REPORT_FONT_DIR = tmp_path / "cache"
    faces = pdf.ensure_fonts()
    assert [(family, weight) for _path, family, weight in faces] == [
        ("Noto Serif SC", 400),
        ("Noto Serif SC", 700),
        ("Noto Sans SC", 400),
        ("Noto Sans SC", 700),
    ]
    assert all(path.parent == tmp_path / "cache" and path.exists() for path, _f, _w in faces)
    assert pdf.ensure_fonts() == faces
    assert len(list((tmp_path / "cache").iterdir())) == 4 + 1  # the faces and the lock file
