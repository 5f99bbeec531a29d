"""A small client for the huashu-suggest HTTP API, standard library only (bots need nothing else installed).

    from suggest.client import SuggestClient, ClientError

    client = SuggestClient("http://127.0.0.1:8000", api_key=None, timeout=5.0)
    result = client.suggest("能便宜点吗", k=3, context=["在吗"])
    for reply in result["suggestions"]:
        print(reply["text"])
    client.feedback("能便宜点吗", result["suggestions"][0]["id"], "sent")

Every failure raises `ClientError`: HTTP errors carry the status and the server's error code, message and
field; timeouts and connection failures carry status None and a readable message.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Iterable, Literal, Mapping, Sequence

__all__ = ["ClientError", "SuggestClient"]

Stage = Literal["presale", "order", "aftersale"]
Action = Literal["copied", "sent", "dismissed"]

USER_AGENT = "huashu-suggest-client/1"


class ClientError(Exception):
    """A request that did not succeed.

    status  the HTTP status, or None when no answer came (timeout, connection refused, bad address)
    code    the server's error code (e.g. "empty", "unauthorized"), or "timeout" / "connection_error" /
            "invalid_response" / "http_error" when the server did not say
    message a sentence for a person
    field   the request field at fault, when the server names one
    retry_after  seconds to wait, when the server sent Retry-After (503 while the model loads)
    """

    def __init__(self, message: str, *, status: int | None = None, code: str = "error",
                 field: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.field = field
        self.retry_after = retry_after

    def __str__(self) -> str:
        head = f"HTTP {self.status} {self.code}" if self.status is not None else self.code
        tail = f" (field '{self.field}')" if self.field else ""
        return f"{head}: {self.message}{tail}"

    def __repr__(self) -> str:
        return (f"ClientError(status={self.status!r}, code={self.code!r}, message={self.message!r}, "
                f"field={self.field!r})")


class SuggestClient:
    """Talks to one server. Thread-safe: every call opens its own connection."""

    def __init__(self, base_url: str, api_key: str | None = None, timeout: float = 5.0) -> None:
        parsed = urllib.parse.urlsplit(base_url.strip())
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"base_url must be an http(s) URL such as http://127.0.0.1:8000, not {base_url!r}")
        self.base_url = base_url.strip().rstrip("/")
        self.api_key = api_key or None
        self.timeout = float(timeout)

    def __repr__(self) -> str:
        return f"SuggestClient({self.base_url!r}, api_key={'***' if self.api_key else None}, timeout={self.timeout})"

    # ---- the API ----------------------------------------------------------------------------------------

    def suggest(self, message: str, k: int | None = None, stage: Stage | None = None,
                context: Sequence[str] | None = None, variables: Mapping[str, str] | None = None) -> dict:
        """Suggestions for one buyer message (the API's result object: message, segments, suggestions, …).

        `context`: the buyer's earlier messages, oldest first (the server accepts up to 20).
        `variables`: placeholder values for this reply only, e.g. {"买家昵称": "小王"}.
        """
        body: dict[str, Any] = {"message": message}
        _put(body, k=k, stage=stage, variables=dict(variables) if variables is not None else None,
             context=list(context) if context is not None else None)
        return self._request("POST", "/api/v1/suggest", body)

    def batch(self, messages: Iterable[str], k: int | None = None, stage: Stage | None = None,
              variables: Mapping[str, str] | None = None) -> list[dict]:
        """One result per message, in order (the server accepts up to `batch_max`, 50 by default)."""
        body: dict[str, Any] = {"messages": list(messages)}
        _put(body, k=k, stage=stage, variables=dict(variables) if variables is not None else None)
        data = self._request("POST", "/api/v1/suggest/batch", body)
        results = data.get("results")
        if not isinstance(results, list):
            raise ClientError("the server's answer has no 'results' list", code="invalid_response")
        return results

    def feedback(self, message: str, reply_id: str, action: Action) -> None:
        """Record that the agent copied, sent or dismissed a suggested reply."""
        self._request("POST", "/api/v1/feedback", {"message": message, "reply_id": reply_id, "action": action})

    def health(self) -> bool:
        """True when the server answers and its model and index are loaded (GET /readyz is 200).

        False while the model is loading and when the server cannot be reached: use it to wait for a server,
        not to diagnose one (the other calls raise ClientError saying what went wrong).
        """
        try:
            data = self._request("GET", "/readyz")
        except ClientError:
            return False
        return data.get("status") == "ready"

    # ---- plumbing ---------------------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: dict | None = None) -> dict:
        url = self.base_url + path
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        if self.api_key:
            headers["X-API-Key"] = self.api_key
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            raw = _read_quietly(exc)
            raise _http_error(exc.code, exc.reason, raw, exc.headers.get("Retry-After")) from None
        except urllib.error.URLError as exc:
            raise _connection_error(self.base_url, exc.reason, self.timeout) from None
        except (TimeoutError, socket.timeout):
            raise ClientError(f"{self.base_url} did not answer within {self.timeout:g} s",
                              code="timeout") from None
        except (ConnectionError, OSError) as exc:  # reset while reading the answer, etc.
            raise _connection_error(self.base_url, exc, self.timeout) from None
        if status == 204 or not raw:
            return {}
        try:
            parsed = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ClientError(f"the server answered HTTP {status} with something that is not JSON: "
                              f"{raw[:120]!r}", status=status, code="invalid_response") from None
        if not isinstance(parsed, dict):
            raise ClientError(f"the server answered HTTP {status} with JSON that is not an object",
                              status=status, code="invalid_response")
        return parsed


def _put(body: dict, **fields: Any) -> None:
    for name, value in fields.items():
        if value is not None:
            body[name] = value


def _read_quietly(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read()
    except (OSError, ValueError, AttributeError):
        return b""
    finally:
        try:
            exc.close()
        except Exception:  # noqa: BLE001 - closing a half-read error body must not hide the error
            pass


def _http_error(status: int, reason: str, raw: bytes, retry_after: str | None) -> ClientError:
    code, message, field = "http_error", f"HTTP {status} {reason}".strip(), None
    try:
        error = json.loads(raw).get("error")
    except (ValueError, UnicodeDecodeError, AttributeError):
        error = None
    if isinstance(error, dict):
        code = str(error.get("code") or code)
        message = str(error.get("message") or message)
        field = error.get("field") if isinstance(error.get("field"), str) else None
    wait = None
    if retry_after:
        try:
            wait = float(retry_after)
        except ValueError:
            wait = None
    return ClientError(message, status=status, code=code, field=field, retry_after=wait)


def _connection_error(base_url: str, reason: object, timeout: float) -> ClientError:
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return ClientError(f"{base_url} did not answer within {timeout:g} s", code="timeout")
    if isinstance(reason, ConnectionRefusedError):
        detail = "connection refused (is the server running?)"
    elif isinstance(reason, socket.gaierror):
        detail = "unknown host name"
    else:
        detail = str(getattr(reason, "strerror", None) or reason)
    return ClientError(f"cannot reach {base_url}: {detail}", code="connection_error")
