"""One JSON error shape for every API failure: ``{"code", "message", "errors"?}``.

``code`` is stable for client systems; ``message`` is Chinese text for people; validation
failures add ``errors`` keyed by field name (``non_field_errors`` for the object as a whole).
"""

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import DomainError, NotPermitted

MESSAGES = {
    "validation_error": "提交的数据有误，请按字段提示修改。",
    "not_found": "对象不存在或不在您的管辖范围内。",
    "not_authenticated": "未登录或未提供身份凭证。",
    "authentication_failed": "身份凭证无效。",
    "permission_denied": "您没有执行此操作的权限。",
    "method_not_allowed": "不支持该请求方法。",
    "parse_error": "请求内容无法解析，请提交合法的 JSON。",
    "unsupported_media_type": "不支持的请求内容类型。",
    "throttled": "请求过于频繁，请稍后再试。",
    "not_acceptable": "无法提供所请求的内容格式。",
}


def _flatten(detail):
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [
            str(item) if not isinstance(item, dict | list) else _flatten(item) for item in detail
        ]
    return [str(detail)]


def _domain_response(exc: DjangoValidationError) -> Response:
    if isinstance(exc, DomainError):
        body = {"code": exc.code, "message": str(exc.messages[0])}
        if exc.field:
            body["errors"] = {exc.field: exc.messages}
        refused = isinstance(exc, NotPermitted)
        return Response(
            body, status=status.HTTP_403_FORBIDDEN if refused else status.HTTP_400_BAD_REQUEST
        )
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return Response(
        {"code": "validation_error", "message": _(MESSAGES["validation_error"]), "errors": errors},
        status=status.HTTP_400_BAD_REQUEST,
    )


#: DRF's own wording for these is technical (English details of a parser, a media type); the
#: caller gets the platform's sentence, unless the platform itself raised it with its own
ALWAYS_OURS = {"unsupported_media_type", "not_acceptable", "method_not_allowed"}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return _domain_response(exc)
    if isinstance(exc, RequestDataTooBig):
        from core.views import too_large_message

        return Response(
            {"code": "request_too_large", "message": too_large_message()},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, SuspiciousOperation):  # too many fields, a malformed upload
        return Response(
            {"code": "bad_request", "message": _("请求无效，无法处理。")},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "validation_error",
            "message": _(MESSAGES["validation_error"]),
            "errors": _flatten(exc.detail),
        }
        return response

    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    if not isinstance(code, str):
        code = "error"
    # A view's own wording (e.g. "用户名或密码错误。") says more than the generic text.
    specific = str(exc.detail) != str(exc.default_detail) and code not in ALWAYS_OURS
    message = MESSAGES.get(code)
    response.data = {
        "code": code,
        "message": str(exc.detail) if specific or not message else _(message),
    }
    return response
