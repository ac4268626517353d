"""The OpenAPI schema lists every status an operation can answer with.

drf-spectacular documents the success response of each operation; the errors come from one
place (:mod:`core.api.exceptions`, the request guard in :mod:`core.middleware` and the error
handlers in :mod:`core.views`) and have one shape, so they are added here, to every operation,
as the ``Error`` component."""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The one error answer of the API: code, message, errors (optional), request_id (500)."""

    code = serializers.CharField(
        help_text="稳定的错误代码，供调用系统判断，如 validation_error、not_found。"
    )
    message = serializers.CharField(help_text="给人看的中文说明。")
    errors = serializers.DictField(
        required=False,
        help_text="校验错误：字段名 → 错误说明列表（整体错误在 non_field_errors 下）。",
    )
    request_id = serializers.CharField(
        required=False, help_text="服务器内部错误时给出的请求编号，与日志中的记录对应。"
    )

    class Meta:
        ref_name = "Error"


#: status → what it means, for every operation
ALWAYS = {
    "400": "请求无效：参数或内容不合法（含空字符、无法解析、嵌套过深、未知的筛选值）。",
    "401": "未登录或身份凭证无效、已过期。",
    "403": "没有执行此操作的权限。",
    "404": "对象不存在或不在管辖范围内。",
    "429": "请求过于频繁，或账号、地址已被暂时锁定。",
    "500": "服务器内部错误；回复中的 request_id 与日志对应。",
}
#: … and for every operation that takes a request body
WITH_BODY = {
    "413": "请求内容超过大小限制。",
    "415": "不支持的请求内容类型。",
}


class AutoSchema(SpectacularAutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        # DRF drops ``allow_blank`` from read-only model fields; a read-only choice whose column
        # may be blank (a workflow record's "from" state on its first step) does answer "".
        if isinstance(field, serializers.ChoiceField) and field.read_only and not field.allow_blank:
            model = getattr(getattr(field.parent, "Meta", None), "model", None)
            if model is not None and field.source and "." not in field.source:
                try:
                    column = model._meta.get_field(field.source)
                except Exception:  # a property or a method: nothing to say
                    column = None
                if column is not None and getattr(column, "blank", False):
                    field.allow_blank = True
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = dict(ALWAYS)
        if self.method in ("POST", "PUT", "PATCH"):
            errors.update(WITH_BODY)
        for code, description in errors.items():
            if code not in responses:
                # JSON, also for operations that answer a file when they succeed
                response = self._get_response_for_code(
                    ErrorSerializer, code, ["application/json"], direction
                )
                response["description"] = description
                responses[code] = response
        return responses
