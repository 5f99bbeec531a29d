"""Shared fixtures: the real model, a real FAISS index over a small fixture corpus, built once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from suggest.embed import Embedder  # noqa: E402
from suggest.engine import Suggester  # noqa: E402
from suggest.settings import load_settings  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"
ARTIFACTS = Path(os.environ.get("SUGGEST_TEST_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts"))


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real bundled model, loaded once (about five seconds)."""
    return Embedder("m3e-small")


def make_home(root: Path) -> Path:
    """A fresh home with the fixture corpus and no index yet."""
    home = root / "home"
    shutil.copytree(FIXTURES / "corpus", home / "corpus")
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


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
