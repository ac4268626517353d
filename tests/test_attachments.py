"""Attachments (附件) on approvals, issues, weekly meetings and projects: one model, one upload,
one list on each page, one API.

Hand-made: a 江阴 project (320281) with an EIA approval, a ticket reported by the 江阴 office
and a 无锡 (320200) weekly meeting. Uploaders are whoever may act on the parent (the province
office on the approval and the project, the 江阴 office on its ticket, the 无锡 office on its
meeting); the province's leader reads everything and may upload nothing; the 沭阳 filer sees
none of it. Files are stored in a temporary MEDIA_ROOT through the storage API."""

import datetime
import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals import services as approval_services
from approvals.models import ApprovalKind
from attachments import services
from attachments.models import Attachment
from attachments.sniffing import NotAllowed, sniff
from audit.models import Action, AuditEntry
from core.exceptions import DomainError
from issues import services as issue_services

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
API = "/api/v1/attachments/"


def package(*parts: str) -> bytes:
    """A zip holding ``parts`` (each a small XML), as Office and OFD files are."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for part in parts:
            archive.writestr(part, "<x/>")
    return buffer.getvalue()


DOCX = package("[Content_Types].xml", "_rels/.rels", "word/document.xml")
XLSX = package("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml")
OFD = package("OFD.xml", "Doc_0/Document.xml")


def upload(name: str, content: bytes, content_type="application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def parents(people, library):
    project = library["jiangyin_other"]
    approval = approval_services.approval_create(
        by=people["province_office"], project=project, kind=ApprovalKind.objects.get(code="eia")
    )
    issue = issue_services.issue_report(
        by=people["county_office"], project=project, title="环评批复滞后", category="land_sea"
    )
    meeting = issue_services.meeting_create(
        by=people["city_office"], date=datetime.date(2026, 12, 9)
    )
    return {"approval": approval, "issue": issue, "meeting": meeting, "project": project}


#: who may act on each parent (see the module's docstring)
UPLOADER = {
    "approval": "province_office",
    "issue": "county_office",
    "meeting": "city_office",
    "project": "province_office",
}
KINDS = tuple(UPLOADER)


def page_upload(client, parent_type, parent, name="批复文件.pdf", content=PDF, **extra):
    url = reverse("attachments:upload", args=[parent_type, parent.pk])
    return client.post(url, {"file": upload(name, content), "description": "说明", **extra})


# --- the content check (no database) -----------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code"),
    [(PDF, "pdf"), (PNG, "png"), (JPEG, "jpeg"), (DOCX, "docx"), (XLSX, "xlsx"), (OFD, "ofd")],
)
def test_accepted_types_are_read_from_the_content(content, code):
    assert sniff(io.BytesIO(content)).code == code


@pytest.mark.parametrize(
    "content",
    [
        HTML,
        b"",
        b"PK\x03\x04 not really a zip",
        package("[Content_Types].xml", "ppt/presentation.xml"),  # a .pptx
        package("word/document.xml"),  # no [Content_Types].xml
        package("[Content_Types].xml", "word/document.xml", "word/vbaProject.bin"),  # .docm
        # an OFD with a macro part: the macro check comes first
        package("OFD.xml", "[Content_Types].xml", "word/document.xml", "word/vbaProject.bin"),
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,  # an old .doc/.xls
    ],
)
def test_other_content_is_not_allowed(content):
    with pytest.raises(NotAllowed):
        sniff(io.BytesIO(content))


# --- uploading from the pages -----------------------------------------------------------------


@pytest.mark.parametrize("parent_type", KINDS)
def test_upload_on_each_parent_shows_on_its_page(
    client, people, parents, parent_type, heard, django_capture_on_commit_callbacks
):
    parent = parents[parent_type]
    client.force_login(people[UPLOADER[parent_type]])
    with django_capture_on_commit_callbacks(execute=True):
        response = page_upload(client, parent_type, parent)
    assert response.status_code == 302
    assert response["Location"] == f"{parent.get_absolute_url()}#attachments"
    (attachment,) = Attachment.objects.all()
    assert attachment.parent == parent
    assert (attachment.name, attachment.file_kind, attachment.size) == (
        "批复文件.pdf",
        "pdf",
        len(PDF),
    )
    # where it belongs: the parent's project (a meeting has none) and region
    in_jiangyin = parent_type != "meeting"
    assert attachment.project == (parents["project"] if in_jiangyin else None)
    assert attachment.region_id == ("320281" if in_jiangyin else "320200")
    assert attachment.file.name.startswith("attachments/") and "批复" not in attachment.file.name
    page = client.get(parent.get_absolute_url()).content.decode()
    assert "批复文件.pdf" in page and reverse("attachments:download", args=[attachment.pk]) in page
    (event,) = [e for e in heard if e.name == "attachment.upload"]
    assert event.object_id == attachment.pk
    assert event.payload["parent_type"] == parent_type
    assert event.payload["parent_id"] == parent.pk


def test_html_named_pdf_is_refused_and_nothing_stored(client, people, parents, media):
    client.force_login(people["province_office"])
    response = page_upload(client, "approval", parents["approval"], "批复.pdf", HTML)
    assert response.status_code == 400
    assert "文件类型不支持：只接受 PDF、JPG、PNG、Word（.docx）、Excel（.xlsx）、OFD" in (
        response.content.decode()
    )
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_macro_document_is_refused(people, parents):
    macro = package("[Content_Types].xml", "word/document.xml", "word/vbaProject.bin")
    with pytest.raises(DomainError, match="文件含有宏"):
        services.attachment_upload(
            parent=parents["project"],
            by=people["province_office"],
            uploaded=upload("a.docx", macro),
        )


def test_a_renamed_macro_part_is_found_by_its_content_type():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types><Override PartName="/word/x.bin" '
            'ContentType="application/vnd.ms-office.vbaProject"/></Types>',
        )
        archive.writestr("word/document.xml", "<x/>")
        archive.writestr("word/x.bin", "macro")
    with pytest.raises(NotAllowed) as refused:
        sniff(io.BytesIO(buffer.getvalue()))
    assert refused.value.reason == "macros"


def test_a_failure_after_storing_leaves_no_file_behind(people, parents, media, monkeypatch):
    from core import events

    def broken(*args, **kwargs):
        raise RuntimeError("event store down")

    monkeypatch.setattr(events, "publish", broken)
    with pytest.raises(RuntimeError):
        services.attachment_upload(
            parent=parents["project"], by=people["province_office"], uploaded=upload("a.pdf", PDF)
        )
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_over_the_size_limit_is_refused_and_nothing_stored(
    client, people, parents, settings, media
):
    settings.ATTACHMENT_MAX_BYTES = 1024
    client.force_login(people["province_office"])
    big = PDF + b"0" * 2000
    response = page_upload(client, "project", parents["project"], "大文件.pdf", big)
    assert response.status_code == 400
    assert "文件大小为2.0\xa0KB，超过上限1.0\xa0KB" in response.content.decode()
    assert not Attachment.objects.exists()
    assert stored_files(media) == []
    # at the limit is fine
    assert page_upload(client, "project", parents["project"], "刚好.pdf", PDF).status_code == 302


def test_the_name_gets_the_extension_of_its_content(people, parents):
    attachment = services.attachment_upload(
        parent=parents["issue"], by=people["county_office"], uploaded=upload("../现场照片", PNG)
    )
    assert attachment.name == "现场照片.png" and attachment.mime == "image/png"


# --- who ----------------------------------------------------------------------------------------


@pytest.fixture
def attached(people, parents):
    """One PDF on each parent."""
    return {
        parent_type: services.attachment_upload(
            parent=parent,
            by=people[UPLOADER[parent_type]],
            uploaded=upload(f"{parent_type}纪要.pdf", PDF),
        )
        for parent_type, parent in parents.items()
    }


@pytest.mark.parametrize("parent_type", KINDS)
def test_out_of_scope_user_gets_404_everywhere(client, api, people, parents, attached, parent_type):
    outsider = people["county_filer2"]  # 沭阳
    parent, attachment = parents[parent_type], attached[parent_type]
    client.force_login(outsider)
    assert client.get(reverse("attachments:list", args=[parent_type, parent.pk])).status_code == 404
    assert page_upload(client, parent_type, parent).status_code == 404
    download = reverse("attachments:download", args=[attachment.pk])
    assert client.get(download).status_code == 404
    remove = reverse("attachments:remove", args=[attachment.pk])
    assert client.post(remove).status_code == 404

    as_outsider = api.as_user(outsider)
    listed = as_outsider.get(API, {"parent_type": parent_type, "parent_id": parent.pk})
    assert listed.status_code == 404
    assert as_outsider.get(API).json()["count"] == 0
    assert as_outsider.get(f"{API}{attachment.pk}/").status_code == 404
    assert as_outsider.get(f"{API}{attachment.pk}/file/").status_code == 404
    assert as_outsider.post(f"{API}{attachment.pk}/remove/").status_code == 404
    posted = as_outsider.post(
        API,
        {"parent_type": parent_type, "parent_id": parent.pk, "file": upload("a.pdf", PDF)},
        format="multipart",
    )
    assert posted.status_code == 404
    assert Attachment.objects.count() == len(KINDS)
    assert AuditEntry.objects.filter(action=Action.OUT_OF_SCOPE, user=outsider).exists()


@pytest.mark.parametrize("parent_type", KINDS)
def test_read_only_user_downloads_but_cannot_upload_or_remove(
    client, api, people, parents, attached, parent_type
):
    leader = people["leader"]
    parent, attachment = parents[parent_type], attached[parent_type]
    client.force_login(leader)
    page = client.get(parent.get_absolute_url()).content.decode()
    assert f"{parent_type}纪要.pdf" in page and "上传附件" not in page
    assert page_upload(client, parent_type, parent).status_code == 403
    assert client.post(reverse("attachments:remove", args=[attachment.pk])).status_code == 403
    assert client.get(reverse("attachments:download", args=[attachment.pk])).status_code == 200

    as_leader = api.as_user(leader)
    posted = as_leader.post(
        API,
        {"parent_type": parent_type, "parent_id": parent.pk, "file": upload("a.pdf", PDF)},
        format="multipart",
    )
    assert posted.status_code == 403
    assert as_leader.post(f"{API}{attachment.pk}/remove/").status_code == 403
    assert Attachment.objects.current().count() == len(KINDS)


# --- downloading --------------------------------------------------------------------------------


def test_download_streams_the_bytes_with_safe_headers_and_is_audited(client, people, attached):
    attachment = attached["approval"]
    leader = people["leader"]
    client.force_login(leader)
    response = client.get(reverse("attachments:download", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''approval%E7%BA%AA%E8%A6%81.pdf" in disposition
    (entry,) = AuditEntry.objects.filter(action=Action.DOWNLOAD)
    assert entry.user == leader
    assert entry.object_id == str(attachment.pk)
    assert entry.object_text == "approval纪要.pdf"


def test_api_download_is_audited_under_the_token_user(api, people, attached):
    attachment = attached["issue"]
    response = api.as_user(people["leader"]).get(f"{API}{attachment.pk}/file/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["X-Content-Type-Options"] == "nosniff"
    (entry,) = AuditEntry.objects.filter(action=Action.DOWNLOAD)
    assert entry.user == people["leader"] and entry.object_id == str(attachment.pk)


# --- the API ------------------------------------------------------------------------------------


@pytest.mark.parametrize("parent_type", KINDS)
def test_api_upload_list_and_read(api, people, parents, parent_type):
    parent = parents[parent_type]
    client = api.as_user(people[UPLOADER[parent_type]])
    posted = client.post(
        API,
        {
            "parent_type": parent_type,
            "parent_id": parent.pk,
            "file": upload("统计表.xlsx", XLSX, "text/plain"),
            "description": "附表",
        },
        format="multipart",
    )
    assert posted.status_code == 201, posted.content
    body = posted.json()
    assert body["parent_type"] == parent_type and body["parent_id"] == parent.pk
    assert body["file_kind"] == "xlsx" and body["name"] == "统计表.xlsx"
    assert body["mime"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert posted["Location"] == body["download_url"]
    listed = client.get(API, {"parent_type": parent_type, "parent_id": parent.pk}).json()
    assert [row["id"] for row in listed["results"]] == [body["id"]]
    assert client.get(f"{API}{body['id']}/").json()["description"] == "附表"


def test_api_refusals_speak_chinese_and_store_nothing(api, people, parents, settings, media):
    client = api.as_user(people["province_office"])
    wrong = client.post(
        API,
        {
            "parent_type": "project",
            "parent_id": parents["project"].pk,
            "file": upload("x.pdf", HTML),
        },
        format="multipart",
    )
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "file_type" and "文件类型不支持" in wrong.json()["message"]
    settings.ATTACHMENT_MAX_BYTES = 10
    big = client.post(
        API,
        {
            "parent_type": "project",
            "parent_id": parents["project"].pk,
            "file": upload("x.pdf", PDF),
        },
        format="multipart",
    )
    assert big.status_code == 400 and big.json()["code"] == "file_too_large"
    assert not Attachment.objects.exists() and stored_files(media) == []
    assert client.get(API, {"parent_type": "project"}).status_code == 400


# --- removal keeps the record -------------------------------------------------------------------


def test_removal_keeps_the_record_and_the_file(client, api, people, parents, attached):
    attachment = attached["project"]
    client.force_login(people["province_office"])
    response = client.post(reverse("attachments:remove", args=[attachment.pk]), {"reason": "传错"})
    assert response.status_code == 302
    attachment.refresh_from_db()
    assert attachment.is_removed and attachment.removal_reason == "传错"
    assert attachment.removed_by == people["province_office"]
    assert attachment.history.count() == 2
    assert attachment.file.storage.exists(attachment.file.name)
    download = reverse("attachments:download", args=[attachment.pk])
    page = client.get(parents["project"].get_absolute_url()).content.decode()
    assert "已移除（记录保留）" in page and download not in page
    full = client.get(reverse("attachments:list", args=["project", parents["project"].pk]))
    assert "project纪要.pdf" in full.content.decode() and "已移除" in full.content.decode()
    api_client = api.as_user(people["province_office"])
    query = {"parent_type": "project", "parent_id": parents["project"].pk}
    assert api_client.get(API, query).json()["count"] == 0
    assert api_client.get(API, {**query, "removed": "true"}).json()["count"] == 1
    # still downloadable by those who see the project: nothing is lost
    assert client.get(download).status_code == 200


def test_a_list_costs_the_same_however_many_files(api, people, parents):
    client = api.as_user(people["province_office"])
    query = {"parent_type": "approval", "parent_id": parents["approval"].pk}

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(API, query).status_code == 200
        return len(captured)

    def attach(count: int) -> None:
        for number in range(count):
            services.attachment_upload(
                parent=parents["approval"],
                by=people["province_office" if number % 2 else "api_client"],
                uploaded=upload(f"第{number}页.png", PNG),
            )

    attach(1)
    few = queries()
    attach(5)
    assert queries() == few


def test_the_admin_shows_an_attachment_read_only_and_never_its_file(client, people, attached):
    attachment = attached["project"]
    client.force_login(people["admin"])  # the superuser: business data is in nobody else's part

    listing = client.get("/admin/attachments/attachment/")
    page = client.get(f"/admin/attachments/attachment/{attachment.pk}/change/")

    assert listing.status_code == 200 and "project纪要.pdf" in listing.content.decode()
    assert page.status_code == 200
    text = page.content.decode()
    assert attachment.sha256 in text
    # the file goes through the audited, scoped download only
    assert attachment.file.name not in text and attachment.file.url not in text
    assert 'name="description"' not in text  # nothing to edit
    assert client.post(f"/admin/attachments/attachment/{attachment.pk}/delete/").status_code == 403
