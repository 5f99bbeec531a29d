"""One settings table: every tunable with its default and help, built in one place.

Values come from the defaults, then `<home>/suggest.toml`, then `SUGGEST_<NAME>` environment variables.
The table also drives `suggest settings` and a test that fails when the README forgets a setting.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _s(default, help: str):  # noqa: A002 - "help" reads best in the table
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    home: Path = _s(PROJECT_ROOT, "Directory holding corpus/ and index/ (the CLI's --home).")
    model: str = _s("m3e-small", "Embedding model: 'm3e-small' (bundled, research use only), a local path or a hub name.")
    backend: str = _s("onnx", "Encoder: onnx (ONNX Runtime, fp32, fastest), torch (fp32) or int8 (quantised torch, less accurate).")
    max_message_chars: int = _s(2000, "Longest buyer message accepted; longer ones are refused with an error.")
    default_k: int = _s(5, "Suggestions returned when the caller does not say how many.")
    abstain_threshold: float = _s(0.12, "Confidence of the best situation below which the engine abstains (tuned on "
                                        "tests/queries/tune.jsonl: abstains on most uncovered messages, few covered).")
    suggest_threshold: float = _s(0.08, "Score below which a reply is not suggested, once the engine answers at all.")
    weight_knn: float = _s(0.65, "Weight of nearest-example similarity in the situation score.")
    weight_classifier: float = _s(0.35, "Weight of the situation classifier's probability.")
    weight_lexical: float = _s(0.10, "Weight of the BM25 evidence.")
    weight_chars: float = _s(0.20, "Weight of the character n-gram situation model (typos, shorthand).")
    retrieval_candidates: int = _s(200, "Nearest indexed texts (dense and BM25 each) a message is scored against; 0 "
                                   "scores every text (exhaustive: slower on large corpora, same ranking here).")
    knn_temperature: float = _s(0.03, "Softmax temperature turning example similarities into a distribution.")
    bank: str = _s("bundled", "Corpus whose buyer-intent banks are lent to a home's situations that have none: "
                   "'bundled' (the project's corpus/), a corpus directory, or 'off'.")
    bank_similarity: float = _s(0.95, "How close (cosine of centroids, mutual nearest) a situation must be to a bundled "
                                "one to borrow its bank.")
    classifier_c: float = _s(10.0, "Inverse regularisation of the situation classifier (logistic regression).")
    duplicate_similarity: float = _s(0.93, "Replies at least this similar are never shown side by side.")
    stage_boost: float = _s(0.15, "Score added to situations of the requested or inferred stage.")
    context_weight: float = _s(0.3, "Share of the conversation's earlier messages in a message's situation scores.")
    learning: str = _s("review", "Learning from agents' choices: off, review (editors accept each learned example) or "
                       "auto (learned at once unless it looks wrong).")
    learned_per_situation: int = _s(200, "Most learned buyer messages kept per situation (the newest).")
    storage: str = _s("", "Where feedback, learned examples, the edit history and editors' sessions are kept: '' (SQLite "
                      "files in <home>/var/) or a PostgreSQL URL (postgresql+psycopg://user:password@host/db) that "
                      "several servers share.")
    storage_schema: str = _s("", "PostgreSQL schema of this home's tables ('' = the database's default); each shop's "
                             "tables are in the schema shop_<name>, or <storage_schema>_shop_<name> when it is set.")
    cache_size: int = _s(4096, "Normalised messages whose embeddings are kept in memory.")
    shops_loaded: int = _s(30, "Shops (under <home>/shops/) whose engines a worker keeps loaded; the least recently "
                           "used is dropped past it, and loaded again on its next request.")
    batch_max: int = _s(50, "Most messages accepted in one batch request.")
    max_body_bytes: int = _s(64 * 1024, "Largest HTTP request body accepted.")
    cors_origins: str = _s("", "Comma-separated origins allowed to call the API from a browser ('' = none).")
    secure_cookies: bool = _s(False, "Editors' session cookie only over HTTPS (turn on when served behind HTTPS).")
    host: str = _s("127.0.0.1", "Address `suggest serve` listens on.")
    port: int = _s(8000, "Port `suggest serve` listens on.")
    workers: int = _s(2, "gunicorn worker processes for `suggest serve`.")
    threads: int = _s(2, "Threads per gunicorn worker (2 x 2 suits a 2-core machine: see the load figures).")

    @property
    def corpus_dir(self) -> Path:
        return self.home / "corpus"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def data_dir(self) -> Path:
        """Run-time state (feedback log, audit history) lives beside the corpus, never inside the package."""
        return self.home / "var"

    @property
    def bank_dir(self) -> Path | None:
        """The corpus that lends its banks, or None when lending is off."""
        if self.bank.strip().lower() in ("", "off", "none"):
            return None
        return PROJECT_ROOT / "corpus" if self.bank == "bundled" else Path(self.bank).expanduser().resolve()

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def setting_fields() -> list[dataclasses.Field]:
    return list(dataclasses.fields(Settings))


def _coerce(f: dataclasses.Field, raw: object, source: str) -> object:
    kind = f.type if isinstance(f.type, type) else {"Path": Path, "str": str, "int": int, "float": float,
                                                     "bool": bool}[str(f.type)]
    if kind is bool:
        text = str(raw).strip().lower()
        if isinstance(raw, bool) or text in _TRUE | _FALSE:
            return raw if isinstance(raw, bool) else text in _TRUE
        raise ConfigError(f"{source}: setting '{f.name}' must be true or false, got {raw!r}", field=f.name)
    try:
        if kind is Path:
            return Path(str(raw)).expanduser().resolve()
        if kind is int and isinstance(raw, bool):
            raise ValueError
        return kind(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: setting '{f.name}' must be {kind.__name__}, got {raw!r}", field=f.name) from None


def load_settings(home: str | Path | None = None, env: dict[str, str] | None = None, **overrides) -> Settings:
    """Defaults, then `<home>/suggest.toml`, then SUGGEST_* variables, then explicit overrides (CLI flags)."""
    env = os.environ if env is None else env
    by_name = {f.name: f for f in setting_fields()}
    values: dict[str, object] = {}
    home_raw = home if home is not None else env.get("SUGGEST_HOME")
    home_path = _coerce(by_name["home"], home_raw, "--home") if home_raw else PROJECT_ROOT
    values["home"] = home_path
    toml_path = Path(home_path) / "suggest.toml"
    if toml_path.is_file():
        try:
            data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{toml_path}: {exc}") from None
        for key, raw in data.items():
            if key not in by_name or key == "home":
                raise ConfigError(f"{toml_path}: unknown setting '{key}'", field=key)
            values[key] = _coerce(by_name[key], raw, str(toml_path))
    for name, f in by_name.items():
        var = f"SUGGEST_{name.upper()}"
        if name != "home" and var in env:
            values[name] = _coerce(f, env[var], var)
    for name, raw in overrides.items():
        if raw is not None:
            values[name] = _coerce(by_name[name], raw, f"--{name}")
    return Settings(**values)
