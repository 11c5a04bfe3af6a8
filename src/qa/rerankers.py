"""Optional second-stage re-ranking by a cross-encoder, for users who have such a model.

No cross-encoder ships offline on PyPI, so the default is none: sentences are ranked by the
feature score of retrieve.py. With QA_RERANKER set to a sentence-transformers CrossEncoder (a
name or a local folder), the best candidates are re-scored by it.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from qa.errors import ConfigError


class Reranker(Protocol):
    name: str

    def score(self, question: str, texts: list[str]) -> np.ndarray:
        """Relevance of each text to the question, in [0, 1]."""
        ...


class CrossEncoderReranker:
    """A sentence-transformers CrossEncoder, loaded on first use."""

    def __init__(self, model: str) -> None:
        self.name = model
        self._model = None

    def score(self, question: str, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.float32)
        if self._model is None:
            from sentence_transformers import CrossEncoder

            try:
                self._model = CrossEncoder(self.name, device="cpu")
            except (OSError, ValueError) as exc:
                raise ConfigError(f"cannot load the reranker {self.name!r}: {exc}") from exc
        logits = np.asarray(self._model.predict([(question, t) for t in texts],
                                                show_progress_bar=False), dtype=np.float32)
        if logits.ndim > 1:  # a model with several labels: take the last ("relevant")
            logits = logits[:, -1]
        return 1.0 / (1.0 + np.exp(-logits))


def make_reranker(name: str) -> Reranker | None:
    return None if name.lower() in ("", "none", "off") else CrossEncoderReranker(name)
