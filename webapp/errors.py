"""Every error under /api/ is JSON: {"error": {"code", "message", "field"}} with a fitting status.

Status codes (also in the OpenAPI document):
  400 malformed_json / invalid_body   the body is not JSON, or not a JSON object
  401 unauthorized                    API keys are configured and X-API-Key is missing or wrong
  404 not_found                       unknown path or unknown reply id
  405 method_not_allowed              e.g. GET /api/v1/suggest
  413 payload_too_large               the body is larger than settings.max_body_bytes
  422 missing_field / invalid_type / empty / too_long / out_of_range / invalid_choice / too_many /
      unknown_field / invalid_text
                                      the JSON is well-formed but a field is unusable
  503 not_ready                       the model and index are still loading
  500 internal_error                  a bug; never for bad input
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from suggest.errors import InputError, NotFound, SuggestError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    503: "not_ready",
}
_HTTP_MESSAGES = {
    404: "no such endpoint: see /api/v1/openapi.json for the API",
    413: "the request body is too large",
}


class ApiError(Exception):
    """An error the client can fix, with its HTTP status."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None):
    response = jsonify({"error": {"code": code, "message": message, "field": field}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _wants_json() -> bool:
    path = request.path
    return path.startswith("/api/") or path in ("/healthz", "/readyz")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.field, exc.headers)

    @app.errorhandler(SuggestError)
    def _engine_error(exc: SuggestError):
        if isinstance(exc, InputError):
            return error_response(422, exc.code, exc.message, exc.field)
        if isinstance(exc, NotFound):
            return error_response(404, exc.code, exc.message, exc.field)
        log.error("engine error: %s", exc.message)
        return error_response(503, exc.code, exc.message, exc.field)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if not _wants_json():
            return exc
        status = exc.code or 500
        headers = {}
        if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        message = _HTTP_MESSAGES.get(status) or exc.description or exc.name
        if status == 405:
            message = f"{request.method} is not allowed on {request.path}"
        if status == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH")
            message = f"the request body is larger than {limit} bytes" if limit else message
        return error_response(status, _HTTP_CODES.get(status, "http_error"), message, None, headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "internal error: the server could not answer this request")
