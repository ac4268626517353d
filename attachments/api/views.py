"""Attachments (附件) of approvals, issues, weekly meetings and projects: list one parent's (or
every one the caller may see), upload (multipart), read, download, remove. A parent outside the
caller's scope — or an attachment of one — is not found (404); uploading and removing are for
those who may act on the parent (403 for a reader). There is no delete: a removal keeps the
record and the file."""

import json

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, renderers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from attachments import selectors, services
from attachments.models import Attachment
from attachments.sniffing import TYPES

from .serializers import (
    AttachmentQuerySerializer,
    AttachmentRemoveSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
)


class AnyFileRenderer(renderers.BaseRenderer):
    """The download answers the stored file as is, whatever the caller accepts; its errors
    still go out as JSON with the API's error shape."""

    media_type = "*/*"
    format = "file"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data, ensure_ascii=False).encode()


class AttachmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Attachments whose parent the caller may see, newest first."""

    serializer_class = AttachmentSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends = []  # one parent's list is asked by parent_type and parent_id
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return (
            Attachment.objects.for_user(self.request.user)
            .select_related("uploaded_by", "removed_by")
            .order_by("-uploaded_at", "-pk")
        )

    def _in_scope(self, pk) -> tuple[Attachment, object]:
        attachment, parent = selectors.attachment_in_scope(pk, self.request.user)
        if attachment is None:
            raise Http404
        return attachment, parent

    @extend_schema(parameters=[AttachmentQuerySerializer])
    def list(self, request, *args, **kwargs):
        """``?parent_type=approval&parent_id=12``: that approval's attachments (404 when the
        caller may not see it); ``?removed=true`` includes removed ones."""
        query = AttachmentQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        if "parent_type" in wanted:
            parent = selectors.parent_in_scope(
                wanted["parent_type"], wanted["parent_id"], request.user
            )
            if parent is None:
                raise Http404
            queryset = selectors.attachments_of(parent, removed=wanted["removed"])
        else:
            queryset = self.get_queryset()
            if not wanted["removed"]:
                queryset = queryset.current()
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        attachment, _parent = self._in_scope(kwargs["pk"])
        return Response(self.get_serializer(attachment).data)

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Upload a file to a parent (multipart ``parent_type``, ``parent_id``, ``file``,
        ``description``). The type is read from the content: PDF, JPEG, PNG, Word (.docx),
        Excel (.xlsx) or OFD, else 400 ``file_type``; larger than ``ATTACHMENT_MAX_BYTES``:
        400 ``file_too_large``; nothing is stored when refused."""
        payload = AttachmentUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        parent = selectors.parent_in_scope(data["parent_type"], data["parent_id"], request.user)
        if parent is None:
            raise Http404
        attachment = services.attachment_upload(
            parent=parent, by=request.user, uploaded=data["file"], description=data["description"]
        )
        body = self.get_serializer(attachment).data
        return Response(
            body, status=status.HTTP_201_CREATED, headers={"Location": body["download_url"]}
        )

    @extend_schema(
        responses={
            **{(200, kind.mime): OpenApiTypes.BINARY for kind in TYPES.values()},
            404: OpenApiResponse(description="不在管辖范围内，或文件已不存在"),
        },
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        renderer_classes=[renderers.JSONRenderer, AnyFileRenderer],
    )
    def file(self, request, pk=None):
        """The file as uploaded, named as it was (``filename*`` for a Chinese name), with the
        type read from its content and ``X-Content-Type-Options: nosniff``."""
        attachment, _parent = self._in_scope(pk)
        try:
            handle = attachment.file.open("rb")
        except FileNotFoundError as missing:
            raise Http404 from missing
        response = FileResponse(
            handle, as_attachment=True, filename=attachment.name, content_type=attachment.mime
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

    @extend_schema(request=AttachmentRemoveSerializer, responses={200: AttachmentSerializer})
    @action(detail=True, methods=["post"], serializer_class=AttachmentRemoveSerializer)
    def remove(self, request, pk=None):
        """Take the attachment off its parent's list; the record and the file are kept (with
        who, when and ``reason``). 403 for a caller who may not act on the parent."""
        attachment, _parent = self._in_scope(pk)
        payload = AttachmentRemoveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        removed = services.attachment_remove(
            attachment=attachment, by=request.user, reason=payload.validated_data["reason"]
        )
        return Response(AttachmentSerializer(removed, context=self.get_serializer_context()).data)
