"""The app factory (imported as `webapp.create_app`)."""

from __future__ import annotations

import logging
import threading

from flask import Flask

from suggest.settings import Settings, load_settings

log = logging.getLogger(__name__)


def _load_engine(app: Flask, settings: Settings) -> None:
    from suggest.engine.suggester import Suggester

    try:
        engine = Suggester.load(settings)
    except Exception as exc:  # keep serving /healthz; /readyz stays 503 and says why
        log.exception("could not load the engine")
        app.extensions["engine_error"] = getattr(exc, "message", str(exc))
        return
    _serve(app, engine)
    log.info("engine ready: %d situations", len(engine.situations))


def _serve(app: Flask, engine) -> None:
    """From here on requests are answered by `engine`; logged messages are embedded as they are logged (once:
    the engine has just embedded them), so the analytics page never embeds a backlog."""
    from suggest.shops.registry import ShopRegistry

    settings = app.extensions["settings"]  # the server's home holds shops/ (a test may serve an engine from another)
    app.extensions["shops"] = ShopRegistry(settings, engine.embedder, engine.lender, settings.shops_loaded)
    app.extensions["engine"] = engine
    app.extensions["feedback"].embedder = engine.embedder


def create_app(settings: Settings | None = None, engine=None, test_config: dict | None = None) -> Flask:
    """The Flask app. With `engine`, that engine is served as is (tests load the model once per session).

    Without it the engine is loaded according to config LOAD_ENGINE: "eager" (default: here, before
    returning), "background" (a thread; /readyz answers 503 until it is done) or "never" (tests of /readyz).
    """
    if settings is None:
        settings = engine.settings if engine is not None else load_settings()
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_SORT_KEYS=False,
        LOAD_ENGINE="eager",
        API_KEYS_FILE=settings.home / "api_keys.txt",
    )
    if test_config:
        app.config.update(test_config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    from .errors import register_error_handlers
    from suggest.usage.feedback import FeedbackStore
    from suggest.usage.learning import Learner, LearningStore
    from .contract import install as install_contract
    from .security import init_security
    from suggest.shops.homes import SHOPS_DIR
    from suggest.storage.database import database_for
    from .views import catalog, docs, feedback, health, pages, shops, suggestions

    app.extensions["settings"] = settings
    app.extensions["feedback"] = FeedbackStore(app.config.get("FEEDBACK_DB") or database_for(settings, "feedback"))
    app.extensions["learning"] = Learner(LearningStore(database_for(settings, "learning")), settings.learning,
                                         settings.learned_per_situation)
    register_error_handlers(app)
    init_security(app, settings.cors_origins, app.config["API_KEYS_FILE"], settings.home / SHOPS_DIR)
    from .integrations import bp as integrations_bp

    for module in (suggestions, shops, feedback, catalog, health, docs, pages):
        app.register_blueprint(module.bp)
    shops.mirror(app)  # the API once more under /api/v1/shops/<shop>/ for the other shops
    from .editor import init_editor  # the editors' pages under /editor (login, CSRF, session secret)
    init_editor(app)
    app.register_blueprint(integrations_bp)
    install_contract(app)  # the API's views checked against their bodies, and the document built from both

    @app.before_request
    def _learned_examples_current() -> None:
        """What another worker or server learned reaches this one within a second (one read, twice a second)."""
        loaded = app.extensions.get("engine")
        if loaded is not None:
            try:
                app.extensions["learning"].refresh(loaded)
            except Exception:  # never break the agents' requests over it
                log.exception("could not refresh the learned examples")

    if engine is not None:
        _serve(app, engine)
    elif app.config["LOAD_ENGINE"] == "eager":
        _load_engine(app, settings)
    elif app.config["LOAD_ENGINE"] == "background":
        threading.Thread(target=_load_engine, args=(app, settings), name="load-engine", daemon=True).start()
    return app
