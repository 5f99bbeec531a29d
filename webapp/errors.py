"""The web layer's one error path: every refusal, whatever raised it, becomes
`{"error": {"code", "message", "field"}, ...}` with the status `STATUS` gives its code.

The domain's errors (suggest.errors, suggest.authoring.refusals) carry a code and a message and know nothing of
HTTP; this module alone decides what status each code is answered with. Views raise `ApiError` for what only
the web layer can refuse (a body that is not JSON, a missing key). JSON is answered under /api/, /healthz,
/readyz and /editor/api/ (there in Chinese, for the editors' page); elsewhere an HTTP error stays a page.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Mapping

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from suggest.authoring.refusals import EditError, Invalid
from suggest.errors import SuggestError

log = logging.getLogger(__name__)

# Every code answered with another status than 422. A code not listed is a problem with a field of the request
# (missing_field, invalid_type, empty, too_long, out_of_range, invalid_choice, too_many, unknown_field,
# invalid_text, unexpected_field, invalid_input, and the editors' invalid, blocked, needs_confirmation …).
STATUS: dict[str, int] = {
    "bad_request": 400, "malformed_json": 400, "invalid_body": 400, "csrf": 400, "invalid_token": 400,
    "missing_file": 400,
    "unauthorized": 401,
    "cross_origin": 403, "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "too_many_requests": 429,
    "error": 500, "internal_error": 500, "invalid_config": 500,
    "not_ready": 503, "invalid_index": 503, "model_unavailable": 503, "invalid_corpus": 503,
}
FIELD_PROBLEM = 422

# What werkzeug's own HTTP errors (no route, wrong method, body too large) are called in an answer.
HTTP_CODES: dict[int, str] = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
                              413: "payload_too_large", 415: "unsupported_media_type", 429: "too_many_requests",
                              503: "not_ready"}

# The JSON areas and how their HTTP errors read: the API's callers are programs, the editors read Chinese.
_AREAS: dict[str, dict[int, str]] = {
    "/editor/api/": {404: "没有这个接口：{path}", 405: "{path} 不接受 {method} 请求"},  # 413: the editor's own
    "/api/": {404: "no such endpoint: see /api/v1/openapi.json for the API", 405: "{method} is not allowed on {path}",
              413: "the request body is larger than {limit} bytes"},
}
_API_MESSAGES = _AREAS["/api/"]
_PLAIN_JSON_PATHS = ("/healthz", "/readyz")
_SHOP_EDITOR = re.compile(r"^/shops/[^/]+/editor/")


def status_of(code: str) -> int:
    return STATUS.get(code, FIELD_PROBLEM)


class ApiError(Exception):
    """A refusal only the web layer can make; its status comes from `STATUS`."""

    def __init__(self, code: str, message: str, field: str | None = None, *,
                 headers: Mapping[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.headers = dict(headers or {})
        self.extra = extra

    @property
    def status(self) -> int:
        return status_of(self.code)


def error_response(code: str, message: str, field: str | None = None, *, status: int | None = None,
                   headers: Mapping[str, str] | None = None, **extra: Any) -> Response:
    """The one shape of every error answer; `extra` (an editor's conflict, a draft's problems) sits beside it."""
    response = jsonify({"error": {"code": code, "message": message, "field": field}, **extra})
    response.status_code = status or status_of(code)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def json_area(path: str) -> str | None:
    """The prefix of the JSON area `path` lies in, or None for pages."""
    if path in _PLAIN_JSON_PATHS:
        return "/api/"
    path = _SHOP_EDITOR.sub("/editor/", path)  # a shop's editor: /shops/<shop>/editor/api/…
    return next((prefix for prefix in _AREAS if path.startswith(prefix)), None)


def api_error_response(exc: ApiError) -> Response:
    return error_response(exc.code, exc.message, exc.field, headers=exc.headers, **exc.extra)


def domain_error_response(exc: SuggestError) -> Response:
    """A domain error as an answer: its code picks the status, a refused edit adds what the editor needs."""
    if isinstance(exc, EditError):
        message = exc.short if isinstance(exc, Invalid) else exc.message
        return error_response(exc.code, message, exc.field, **exc.details())
    if status_of(exc.code) >= 500:
        log.error("%s: %s", type(exc).__name__, exc.message)
    return error_response(exc.code, exc.message, exc.field)


def http_error_response(exc: HTTPException) -> Response:
    """Werkzeug's errors (no such route, wrong method, body too large) in the JSON shape of the path's area."""
    status = exc.code or 500
    messages = _AREAS.get(json_area(request.path) or "/api/", _API_MESSAGES)
    template = messages.get(status)
    limit = request.max_content_length or current_app.config.get("MAX_CONTENT_LENGTH")
    message = (template.format(path=request.path, method=request.method, limit=limit) if template
               else exc.description or exc.name)
    headers = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
    return error_response(HTTP_CODES.get(status, "http_error"), message, status=status, headers=headers)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return api_error_response(exc)

    @app.errorhandler(SuggestError)
    def _domain_error(exc: SuggestError):
        return domain_error_response(exc)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        return http_error_response(exc) if json_area(request.path) else exc

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response("internal_error", "internal error: the server could not answer this request")
