"""The vector store adapter: Chroma collections of chunks and of sentences, in one folder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# *_ml: the multilingual vectors; runs of clauses of long sentences have theirs apart, so that
# searching whole sentences needs no filter. contexts: a whole sentence read after the one
# before it ("The city now hosts…" after the sentence that names Chongqing), MiniLM.
COLLECTIONS = ("chunks", "sentences", "sentences_ml", "runs_ml", "contexts")


@dataclass(frozen=True)
class StoredItem:
    id: str
    text: str
    metadata: dict
    similarity: float


class ChromaStore:
    """Chroma's PersistentClient under `path`; vectors always come from our embedder."""

    def __init__(self, path: Path, on_close: Callable[[], None] | None = None) -> None:
        import chromadb

        self.path = path
        self._on_close = on_close  # told once the store is closed (index.py: a reader's lease)
        self._client = chromadb.PersistentClient(
            path=str(path), settings=chromadb.Settings(anonymized_telemetry=False)
        )
        # embedding_function=None: chromadb's default would download a model.
        self._collections = {
            name: self._client.get_or_create_collection(
                name, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
            for name in COLLECTIONS
        }
        self._batch = min(self._client.get_max_batch_size(), 1000)

    def add(self, kind: str, ids: list[str], vectors: np.ndarray, texts: list[str],
            metadatas: list[dict]) -> None:
        collection = self._collections[kind]
        for i in range(0, len(ids), self._batch):
            part = slice(i, i + self._batch)
            collection.upsert(ids=ids[part], embeddings=vectors[part], documents=texts[part],
                              metadatas=metadatas[part])

    def delete(self, kind: str, ids: list[str]) -> None:
        collection = self._collections[kind]
        for i in range(0, len(ids), self._batch):
            collection.delete(ids=ids[i : i + self._batch])

    def count(self, kind: str) -> int:
        return self._collections[kind].count()

    def query(self, kind: str, vector: np.ndarray, n: int,
              sources: list[str] | None = None) -> list[StoredItem]:
        """The `n` nearest items, optionally only from the given documents."""
        where = {"source": {"$in": sources}} if sources else None
        result = self._collections[kind].query(
            query_embeddings=[vector], n_results=n, where=where,
            include=["documents", "metadatas", "distances"],
        )
        return [
            StoredItem(id_, text, meta, 1.0 - dist)
            for id_, text, meta, dist in zip(result["ids"][0], result["documents"][0],
                                             result["metadatas"][0], result["distances"][0])
        ]

    def get(self, kind: str, with_vectors: bool = False,
            ids: list[str] | None = None) -> tuple[list[StoredItem], np.ndarray | None]:
        """Every item (or those with these ids), and their vectors when asked for."""
        include = ["documents", "metadatas"] + (["embeddings"] if with_vectors else [])
        result = self._read(kind, ids, include)
        items = [StoredItem(i, t, m, 0.0) for i, t, m in
                 zip(result["ids"], result["documents"], result["metadatas"])]
        vectors = np.asarray(result["embeddings"], dtype=np.float32) if with_vectors else None
        return items, vectors

    def vectors(self, kind: str, ids: list[str]) -> tuple[list[str], np.ndarray]:
        """The vectors of the items with these ids that the collection holds, and their ids."""
        result = self._read(kind, ids, ["embeddings"])
        return result["ids"], np.asarray(result["embeddings"], dtype=np.float32)

    def _read(self, kind: str, ids: list[str] | None, include: list[str]) -> dict:
        if ids is not None and not ids:  # Chroma reads no ids as every id
            return {"ids": [], "documents": [], "metadatas": [], "embeddings": []}
        return self._collections[kind].get(ids=ids, include=include)

    def close(self) -> None:
        self._client.close()
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()
