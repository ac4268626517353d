"""The API's parsers: DRF's, refusing what no endpoint can store or should have to walk.

Every body, whatever the endpoint, is refused with a 400 in the API's error shape when it holds
a NUL byte or half a surrogate pair (PostgreSQL cannot store either), when its JSON is malformed
or nested deeper than ``API_JSON_MAX_DEPTH``. The query string and the path are checked once for
all addresses by core.middleware.RequestGuardMiddleware."""

import codecs
import json

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

from core.middleware import unstorable


class UnstorableBody(ParseError):
    default_code = "unstorable_characters"


def too_deep() -> ParseError:
    limit = settings.API_JSON_MAX_DEPTH
    return ParseError(_("请求内容嵌套过深（最多 %(depth)s 层）。") % {"depth": limit})


def check_text(value, depth: int = 0) -> None:
    """Walk a parsed body: refuse nesting deeper than ``API_JSON_MAX_DEPTH`` objects and lists,
    and unstorable characters in keys and values. ``depth``: the containers around ``value``."""
    if isinstance(value, str):
        if unstorable(value):
            raise UnstorableBody(
                _("请求内容中含有不允许的字符（如空字符 \\0），请检查后重新提交。")
            )
        return
    if isinstance(value, dict | list) and depth >= settings.API_JSON_MAX_DEPTH:
        raise too_deep()
    if isinstance(value, dict):
        for key, item in value.items():
            check_text(key, depth + 1)
            check_text(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_text(item, depth + 1)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
            data = json.loads(text, parse_constant=strict_constant if self.strict else None)
        except RecursionError:
            raise too_deep() from None
        except json.JSONDecodeError as error:
            raise ParseError(
                _("请求内容不是合法的 JSON（第 %(line)s 行第 %(column)s 列附近）。")
                % {"line": error.lineno, "column": error.colno}
            ) from None
        except (ValueError, UnicodeDecodeError):
            raise ParseError(_("请求内容不是合法的 JSON，或不是 UTF-8 编码。")) from None
        check_text(data)
        return data


class _QueryDictParser:
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            parsed = super().parse(stream, media_type, parser_context)
        except ParseError:  # DRF's wording is English and technical
            raise ParseError(_("提交的表单内容无法解析，请检查后重新提交。")) from None
        data = getattr(parsed, "data", parsed)
        for key, values in data.lists():
            check_text(key)
            for value in values:
                check_text(value)
        return parsed


class FormParser(_QueryDictParser, parsers.FormParser):
    pass


class MultiPartParser(_QueryDictParser, parsers.MultiPartParser):
    pass
