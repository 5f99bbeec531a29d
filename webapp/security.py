"""CORS for the listed origins only, and optional API keys: <home>/api_keys.txt for the whole server (a team
lead's keys), <home>/shops/<name>/api_keys.txt for one shop's routes only."""

from __future__ import annotations

import hmac
import os
import threading
from pathlib import Path

from flask import Flask, g, request

from suggest.shops.homes import NAME as SHOP_NAME

from .errors import error_response

# Paths under /api/ that are documentation, not API calls: open like the pages.
PUBLIC_API_PATHS = ("/api/docs", "/api/v1/openapi.json")
CORS_METHODS = "GET, POST, OPTIONS"
CORS_HEADERS = "Content-Type, X-API-Key"
CORS_MAX_AGE = "600"
KEYS_FILE = "api_keys.txt"


def parse_origins(raw: str) -> frozenset[str]:
    return frozenset(o.strip().rstrip("/") for o in raw.split(",") if o.strip())


class ApiKeys:
    """Keys from a file, one per line ('#' starts a comment), re-read when the file changes.

    No file: no keys needed. A file without any key refuses every API call (fail closed).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._keys: tuple[bytes, ...] = ()

    def current(self) -> tuple[bytes, ...] | None:
        """The keys, or None when the file does not exist (the API is open)."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                lines = self.path.read_text(encoding="utf-8").splitlines()
                keys = (line.split("#", 1)[0].strip() for line in lines)
                self._keys = tuple(key.encode("utf-8") for key in keys if key)
                self._stamp = stamp
            return self._keys

    def allows(self, given: str | None) -> bool:
        keys = self.current()
        if keys is None:
            return True
        if not given:
            return False
        candidate = given.encode("utf-8")
        ok = False
        for key in keys:  # compare with every key: the time taken does not tell which one matched
            ok |= hmac.compare_digest(candidate, key)
        return ok


WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# Browser extensions' own pages and service workers send these origins. No web page can send one, so they are not
# the cross-site posts the Origin check stops; the API key check still applies (integrations/extension/).
EXTENSION_ORIGINS = ("chrome-extension://", "moz-extension://")


def _is_api(path: str) -> bool:
    return path.startswith("/api/") and not any(path == p or path.startswith(p + "/") for p in PUBLIC_API_PATHS)


class ShopKeys:
    """Each shop's own keys (`api_keys.txt` in its folder), read as the server's are."""

    def __init__(self, shops_dir: Path) -> None:
        self._dir = shops_dir
        self._lock = threading.Lock()
        self._keys: dict[str, ApiKeys] = {}

    def of(self, shop: str) -> ApiKeys | None:
        if not SHOP_NAME.fullmatch(shop):
            return None  # the view refuses the name
        with self._lock:
            return self._keys.setdefault(shop, ApiKeys(self._dir / shop / KEYS_FILE))


def key_allows(server: ApiKeys, shop: ApiKeys | None, given: str | None) -> bool:
    """A shop's routes take the shop's keys and the server's (a team lead's key spans shops); a shop with keys of
    its own is closed even on a server without any. Every other route takes the server's keys only."""
    if shop is not None and shop.current() is not None:
        return shop.allows(given) or (server.current() is not None and server.allows(given))
    return server.allows(given)


def init_security(app: Flask, cors_origins: str, keys_path: Path, shops_dir: Path) -> None:
    origins = parse_origins(cors_origins)
    keys = ApiKeys(keys_path)
    shop_keys = ShopKeys(shops_dir)
    app.extensions["cors_origins"] = origins
    app.extensions["api_keys"] = keys

    def allowed_origin() -> str | None:
        origin = request.headers.get("Origin")
        return origin if origin and origin.rstrip("/") in origins else None

    @app.before_request
    def _preflight_and_keys():
        path = request.path
        if request.method == "OPTIONS" and path.startswith("/api/") \
                and "Access-Control-Request-Method" in request.headers:
            # A CORS preflight: answered here, before the key check (browsers never send keys with it).
            response = app.make_response(("", 204))
            if allowed_origin():
                response.headers["Access-Control-Allow-Methods"] = CORS_METHODS
                response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
                response.headers["Access-Control-Max-Age"] = CORS_MAX_AGE
            return response
        if path.startswith("/api/") and request.method in WRITE_METHODS and request.url_rule is not None \
                and request.method in (request.url_rule.methods or ()):
            # A page on another site can post a form or a text/plain "simple request" without a preflight: a
            # state-changing call must be JSON, and come from this origin or one in cors_origins.
            origin = request.headers.get("Origin")
            if origin and origin.rstrip("/") != request.host_url.rstrip("/") and not allowed_origin() \
                    and not origin.startswith(EXTENSION_ORIGINS):
                return error_response("cross_origin", f"requests from {origin} are not allowed "
                                      "(add the origin to the setting cors_origins)")
            if request.mimetype != "application/json":
                return error_response("unsupported_media_type",
                                      "send the request body as JSON (Content-Type: application/json)")
        shop = g.get("shop")  # named by a /api/v1/shops/<shop>/ route (webapp/views/shops.py)
        if _is_api(path) and request.method != "OPTIONS" and \
                not key_allows(keys, shop_keys.of(shop) if shop else None, request.headers.get("X-API-Key")):
            return error_response("unauthorized", "this server needs an API key: send it in the X-API-Key header",
                                  headers={"WWW-Authenticate": 'ApiKey header="X-API-Key"'})
        return None

    @app.after_request
    def _cors_headers(response):
        if request.path.startswith("/api/"):
            response.vary.add("Origin")
            origin = allowed_origin()
            if origin:
                response.headers["Access-Control-Allow-Origin"] = origin
                response.headers["Access-Control-Expose-Headers"] = "Retry-After"
        return response
