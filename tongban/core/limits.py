"""Request size limits, enforced before anything reads the body.

Every request may carry at most settings.REQUEST_MAX_BYTES (1 MB); the routes that take uploads
(settings.UPLOAD_PATHS) at most settings.UPLOAD_MAX_REQUEST_BYTES, and each file in them at most
settings.UPLOAD_MAX_FILE_BYTES (20 MB). A declared Content-Length over the limit is refused before a byte of the body
is read; a body without one (a chunked body passed on by the server) and each uploaded file are counted as they stream
and refused when they pass the limit. The answer is 413: JSON ({"code", "message"}) under /api/, a Chinese page
elsewhere. The web server in front should refuse the same sizes first (README, Security).
"""

import re
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler
from django.http import JsonResponse
from django.shortcuts import render


class BodyTooLarge(RequestDataTooBig):
    """Raised while the body streams; Django answers 400 where it surfaces, the middleware turns that into 413."""


@lru_cache(maxsize=8)
def _upload_pattern(patterns: tuple[str, ...]):
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def takes_uploads(path: str) -> bool:
    pattern = _upload_pattern(tuple(settings.UPLOAD_PATHS))
    return bool(pattern and pattern.match(path))


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB"


def too_large(request, limit: int, what: str = "请求内容"):
    message = f"{what}超过{_megabytes(limit)}上限,请求未被处理"
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"code": "request_too_large", "message": message}, status=413)
    else:
        response = render(request, "413.html", {"message": message}, status=413)
    response["Connection"] = "close"  # the rest of the body is not read
    return response


class _CappedStream:
    """wsgi.input without a Content-Length (a de-chunked body): read until its end, but never past the limit."""

    def __init__(self, stream, limit: int, request):
        self.stream, self.limit, self.request, self.read_bytes = stream, limit, request, 0

    def _count(self, data: bytes) -> bytes:
        self.read_bytes += len(data)
        if self.read_bytes > self.limit:
            self.request._body_too_large = (self.limit, "请求内容")
            raise BodyTooLarge(f"request body over {self.limit} bytes")
        return data

    def read(self, size=-1):
        return self._count(self.stream.read(self.limit + 1 - self.read_bytes if size is None or size < 0 else size))

    def readline(self, size=-1):
        return self._count(self.stream.readline(self.limit + 1 - self.read_bytes if size is None or size < 0 else size))

    def __iter__(self):
        return iter(self.readline, b"")

    def close(self):
        pass  # the server owns wsgi.input


class FileSizeLimitHandler(FileUploadHandler):
    """First upload handler on the upload routes: stops a file the moment it passes the per-file limit, before
    it is written whole to a temporary file (the view never runs on a half-read form)."""

    def __init__(self, request, limit: int):
        super().__init__(request)
        self.limit = limit

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.request._body_too_large = (self.limit, f"文件“{self.file_name}”")
            raise BodyTooLarge(f"uploaded file over {self.limit} bytes")
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler stores the file


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        uploads = takes_uploads(request.path_info)
        limit = settings.UPLOAD_MAX_REQUEST_BYTES if uploads else settings.REQUEST_MAX_BYTES
        declared = request.META.get("CONTENT_LENGTH") or ""
        if declared:
            if not (declared.isascii() and declared.isdigit()):
                return _bad_length(request)
            if int(declared) > limit:
                return too_large(request, limit)
        elif request.META.get("wsgi.input_terminated") and "wsgi.input" in request.META:
            request._stream = _CappedStream(request.META["wsgi.input"], limit, request)
        if uploads:
            request.upload_handlers.insert(0, FileSizeLimitHandler(request, settings.UPLOAD_MAX_FILE_BYTES))
        response = self.get_response(request)
        hit = getattr(request, "_body_too_large", None)
        if hit:
            return too_large(request, *hit)
        return response


def _bad_length(request):
    message = "请求头 Content-Length 无效"
    if request.path_info.startswith("/api/"):
        return JsonResponse({"code": "bad_request", "message": message}, status=400)
    return render(request, "400.html", {"message": message}, status=400)
