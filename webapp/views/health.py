"""Liveness (/healthz: the process answers) and readiness (/readyz: the model and index are loaded)."""

from __future__ import annotations

import os

from flask import Blueprint, current_app, jsonify

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers"""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Readiness: model and index loaded"""
    engine = current_app.extensions.get("engine")
    if engine is None:
        error = current_app.extensions.get("engine_error")
        body = {"status": "failed" if error else "loading", "error": error, "worker": os.getpid()}
        response = jsonify(body)
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response
    return jsonify({"status": "ready", "situations": len(engine.situations), "model": engine.settings.model,
                    "worker": os.getpid()})
