"""Input hygiene at the edge, the same for every route: what no field of ours can hold is refused before a view runs.

- a NUL byte in the path, a query parameter or a form field (PostgreSQL cannot store it; no text needs it);
- a query number past 64 bits (no column holds it; the database would fail on it). In the path, Django answers 404
  itself: its int converter fails past 4,300 digits and its integer lookups match nothing past 64 bits;
- in a JSON body (the API's parser): NUL bytes, lone surrogates (not encodable as UTF-8) and nesting deeper
  than settings.JSON_MAX_DEPTH.

The answer names the field in Chinese: under /api/ the API's JSON error format, elsewhere a 400 page.
"""

import json
import re

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from ninja.parser import Parser

from .errors import Invalid

INT64_MAX = 2**63 - 1
_NUMBER = re.compile(r"\s*[+-]?\d+\s*")
FREE_TEXT_PARAMS = {"q", "item_q", "value",  # searched or checked as text, never turned into numbers
                    "item", "bundle", "code", "holder", "applicant", "number"}  # codes of digits (a 31-digit implementation code)


def refusal(request, code: str, message: str, field: str | None = None, status: int = 400):
    if request.path_info.startswith("/api/"):
        body = {"code": code, "message": message}
        if field:
            body["field"] = field
        return JsonResponse(body, status=422 if field else status)
    return render(request, "400.html", {"message": message}, status=status)


def _past_int64(digits: str) -> bool:
    """Whether a run of decimal digits is past 2**63 - 1 (compared as text first: int() refuses 4,300+ digits)."""
    digits = digits.lstrip("0")
    return len(digits) > 19 or (len(digits) == 19 and int(digits) > INT64_MAX)


def _text_problem(key: str, value: str, where: str) -> str | None:
    if "\x00" in key or "\x00" in value:
        return f"{where}“{key.replace(chr(0), '')}”含有空字符(NUL),请删除后重试"
    return None


class InputHygieneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path:
            return refusal(request, "invalid_path", "地址中含有空字符(NUL),无法识别")
        for key, values in request.GET.lists():
            for value in values:
                problem = _text_problem(key, value, "参数")
                if problem:
                    return refusal(request, "invalid_input", problem, field=key.replace("\x00", ""))
                if key not in FREE_TEXT_PARAMS and _NUMBER.fullmatch(value) and _past_int64(value.strip().lstrip("+-")):
                    return refusal(request, "invalid_input", f"参数“{key}”的数值超出范围", field=key)
        if request.method not in ("GET", "HEAD", "OPTIONS") and request.content_type in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            for key, values in request.POST.lists():
                for value in values:
                    problem = _text_problem(key, value, "字段")
                    if problem:
                        return refusal(request, "invalid_input", problem, field=key.replace("\x00", ""))
        return self.get_response(request)


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")


def json_depth(body: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (strings skipped), without parsing it."""
    depth = deepest = 0
    for byte in _NOT_BRACKET.sub(b"", _STRING.sub(b"", body)):
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _check_strings(value, path: str = "") -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise Invalid("invalid_input", f"字段“{path or '请求体'}”含有空字符(NUL),请删除后重试", field=path or None)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise Invalid("invalid_input", f"字段“{path or '请求体'}”含有无效的 Unicode 字符(单独的代理项)",
                          field=path or None) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key, path)
            _check_strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            _check_strings(item, f"{path}.{n}" if path else str(n))


class StrictJSONParser(Parser):
    """The API's body parser: JSON only as deep as settings.JSON_MAX_DEPTH, every string storable as UTF-8 text."""

    def parse_body(self, request):
        body = request.body
        if json_depth(body) > settings.JSON_MAX_DEPTH:
            raise Invalid("json_too_deep", f"请求体嵌套超过{settings.JSON_MAX_DEPTH}层,无法处理")
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            raise Invalid("invalid_json", "请求体不是有效的 JSON") from None
        _check_strings(data)
        return data
