"""`suggest serve`: Flask's development server (--dev) or gunicorn, started from Python.

gunicorn runs `settings.workers` processes with `settings.threads` threads each (gthread worker). The app is
not preloaded in the master: each worker builds it after the fork and loads the model and index once, in a
background thread, so the worker answers /healthz at once and /readyz turns 200 when the model is in.

The master must never have torch loaded: torch's C++ thread pools do not survive fork(), and workers forked
from such a master abort or hang when they exit. `suggest serve` therefore builds the index in a child process
and calls `run` with nothing heavy imported; `run` refuses to start gunicorn otherwise.
"""

from __future__ import annotations

import logging
import os
import sys

from suggest.settings import Settings

log = logging.getLogger(__name__)

FORK_UNSAFE_MODULES = ("torch", "faiss", "sentence_transformers")


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def run(settings: Settings, dev: bool = False, engine=None) -> None:
    """Serve the API and the agents' page until interrupted.

    `engine`, an already loaded Suggester, is reused by the development server; gunicorn workers always
    load their own (a model loaded before fork() is not safe to use in the children).
    """
    if dev:
        _run_dev(settings, engine)
    else:
        _run_gunicorn(settings)


def _run_dev(settings: Settings, engine=None) -> None:
    from werkzeug.serving import is_running_from_reloader, run_simple

    from .app import create_app

    # With the reloader, the first process only watches files and restarts the second, which serves:
    # only the serving process loads the model.
    serving = is_running_from_reloader()
    app = create_app(settings, engine=engine if serving else None,
                     test_config={"LOAD_ENGINE": "eager" if serving else "never"})
    if serving:
        print(f"huashu-suggest (development server) listening on {_url(settings.host, settings.port)}", flush=True)
    run_simple(settings.host, settings.port, app, use_reloader=True, use_debugger=False, threaded=True,
               reloader_type="stat")


def gunicorn_options(settings: Settings) -> dict:
    threads = max(1, settings.threads)
    return {
        "bind": f"[{settings.host}]:{settings.port}" if ":" in settings.host else f"{settings.host}:{settings.port}",
        "workers": max(1, settings.workers),
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "preload_app": False,
        "timeout": 60,
        "graceful_timeout": 20,
        "keepalive": 5,
        "limit_request_line": 8190,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "huashu-suggest",
        "control_socket_disable": True,  # gunicorn >= 25: no gunicornc socket in the home directory
    }


def _run_gunicorn(settings: Settings) -> None:
    loaded = [name for name in FORK_UNSAFE_MODULES if name in sys.modules]
    if loaded:
        raise RuntimeError(f"{', '.join(loaded)} already imported: gunicorn workers forked now would be unsafe")
    from gunicorn.app.base import BaseApplication

    from .app import create_app

    def when_ready(server) -> None:
        for listener in server.LISTENERS:
            print(f"huashu-suggest listening on {listener}/ ({settings.workers} worker(s) x "
                  f"{settings.threads} thread(s))", flush=True)

    def post_fork(server, worker) -> None:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    class Application(BaseApplication):
        def __init__(self) -> None:
            self.options = {**gunicorn_options(settings), "when_ready": when_ready, "post_fork": post_fork}
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                if key in self.cfg.settings and value is not None:
                    self.cfg.set(key, value)

        def load(self):
            # Called in each worker after the fork (preload_app is off): the model loads once per worker.
            return create_app(settings, test_config={"LOAD_ENGINE": "background"})

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    Application().run()
