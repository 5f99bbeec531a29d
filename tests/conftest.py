"""Shared fixtures: the real model, a real FAISS index over a small fixture corpus, built once per session."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from suggest.engine.embed import Embedder  # noqa: E402
from suggest.engine.suggester import Suggester  # noqa: E402
from suggest.settings import load_settings  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
ARTIFACTS = Path(os.environ.get("SUGGEST_TEST_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts"))


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real bundled model, loaded once (about five seconds)."""
    return Embedder("m3e-small")


def make_home(root: Path, bank: str = "off") -> Path:
    """A fresh home with the fixture corpus and no index yet. It borrows no bank unless asked: the fixture's
    rankings are its own (tests of lending say `bank="bundled"`)."""
    home = root / "home"
    shutil.copytree(FIXTURES / "corpus", home / "corpus")
    (home / "suggest.toml").write_text(f'bank = "{bank}"\n', encoding="utf-8")
    return home


@pytest.fixture(scope="session")
def shared_home(tmp_path_factory) -> Path:
    return make_home(tmp_path_factory.mktemp("shared"))


@pytest.fixture(scope="session")
def engine(shared_home: Path, embedder: Embedder) -> Suggester:
    """A read-only engine over the fixture corpus; tests that change the corpus use `fresh_engine`."""
    return Suggester.load(load_settings(shared_home, env={}), embedder=embedder)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return make_home(tmp_path)


@pytest.fixture
def fresh_engine(home: Path, embedder: Embedder) -> Suggester:
    return Suggester.load(load_settings(home, env={}), embedder=embedder)


@pytest.fixture
def shop(fresh_engine: Suggester) -> Suggester:
    """A fresh engine with the bundled shop's product sheet and answer templates, loaded."""
    from suggest.corpus.products import load_products
    from suggest.engine.product_answers import load_templates

    corpus_dir = fresh_engine.settings.corpus_dir
    for name in ("products.csv", "product_replies.yaml"):
        shutil.copy(Path(__file__).parent.parent / "corpus" / name, corpus_dir / name)
    fresh_engine.set_products(load_products(corpus_dir), load_templates(corpus_dir))
    return fresh_engine


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# ---- live servers and the browser --------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
# Flags this machine needs: no sandbox as root, and no background connections (the network is closed).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@contextmanager
def serving(wsgi_app, server=None) -> Iterator[str]:
    """A WSGI app on 127.0.0.1 at a free port (or on `server`), in a daemon thread; yields its base URL."""
    from werkzeug.serving import make_server

    server = server or make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture(scope="session")
def live_server():
    """`with live_server(app) as base_url:` serves the app for the block."""
    return serving


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright, launched once per session."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (scripts/setup.sh --browser installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
