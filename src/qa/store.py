"""The vector store adapter: Chroma collections of chunks and of sentences, in a folder
(PersistentClient) or on a Chroma server (HttpClient), made by one factory.

An index is kept in layers (generations.py): each `qa index` run writes what it changes into a
new one and never writes an older one again. `LayeredStore` reads one generation's layers as a
single store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.errors import ConfigError, StoreUnreachable

# *_ml: the multilingual vectors; runs of clauses of long sentences have theirs apart, so that
# searching whole sentences needs no filter. contexts: a whole sentence read after the one
# before it ("The city now hosts…" after the sentence that names Chongqing), MiniLM.
# chunks_zh: the chunks of Chinese documents, which MiniLM does not rank: their text, for BM25.
COLLECTIONS = ("chunks", "chunks_zh", "sentences", "sentences_ml", "runs_ml", "contexts")
DOCUMENTS = "documents"  # one item a document: its text, and its record (`record` metadata)
KINDS = (*COLLECTIONS, DOCUMENTS)  # the collections of one layer
PLACEHOLDER = [1.0]  # Chroma stores a vector with every item; a document's record needs none


@dataclass(frozen=True)
class StoredItem:
    id: str
    text: str
    metadata: dict
    similarity: float


def folder_client(path: Path):
    """An embedded Chroma keeping its files under `path`."""
    import chromadb

    return chromadb.PersistentClient(path=str(path),
                                     settings=chromadb.Settings(anonymized_telemetry=False))


def server_client(url: str, tenant: str = "default_tenant", database: str = "default_database",
                  headers: dict[str, str] | None = None):
    """A client of the Chroma server at `url` (http://HOST:PORT or https://…); ConfigError,
    naming the URL and what to run, when it cannot be reached."""
    import chromadb
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"QA_CHROMA_URL={url!r} is not a server's address; write it as "
                          "http://HOST:PORT (or https://HOST:PORT)")
    ssl = parts.scheme == "https"
    try:
        return chromadb.HttpClient(host=parts.hostname, port=parts.port or (443 if ssl else 80),
                                   ssl=ssl, headers=headers or None, tenant=tenant,
                                   database=database,
                                   settings=chromadb.Settings(anonymized_telemetry=False))
    except Exception as exc:  # chromadb says ValueError, httpx its own; the person needs the URL
        raise unreachable(url, exc) from exc


def unreachable(url: str, exc: BaseException) -> StoreUnreachable:
    reason = str(exc).strip() or type(exc).__name__
    return StoreUnreachable(
        f"cannot use the Chroma server at {url} ({reason}). Start one with "
        "`chroma run --path DIR --host HOST --port PORT`, check QA_CHROMA_TENANT, "
        "QA_CHROMA_DATABASE and QA_CHROMA_HEADERS, or unset QA_CHROMA_URL to keep the index "
        "in QA_INDEX_DIR instead"
    )


class ChromaStore:
    """The collections of one layer, named `prefix` + kind, through a Chroma client; vectors
    always come from our embedder."""

    def __init__(self, client, prefix: str = "", create: bool = True,
                 owns_client: bool = True) -> None:
        """`create=False`: a reader's store, which opens the collections and never makes them
        (chromadb's NotFoundError when they are gone); `owns_client=False`: a client shared with
        other stores, which `close` leaves open."""
        self._client = client
        self._owns_client = owns_client
        # embedding_function=None: chromadb's default would download a model.
        if create:
            self._collections = {
                name: client.get_or_create_collection(
                    prefix + name, embedding_function=None, metadata={"hnsw:space": "cosine"})
                for name in KINDS}
        else:
            self._collections = {name: client.get_collection(prefix + name,
                                                             embedding_function=None)
                                 for name in KINDS}
        self._batch = min(client.get_max_batch_size(), 1000)

    def copy_from(self, other: "ChromaStore", dead: frozenset[str]) -> None:
        """Every item of `other` but those of the documents in `dead`, vectors included."""
        for kind in KINDS:
            source = other._collections[kind]
            for offset in range(0, source.count(), self._batch):
                part = source.get(limit=self._batch, offset=offset,
                                  include=["documents", "metadatas", "embeddings"])
                keep = [i for i, meta in enumerate(part["metadatas"])
                        if meta["source"] not in dead]
                if keep:
                    self._collections[kind].add(
                        ids=[part["ids"][i] for i in keep],
                        embeddings=np.asarray(part["embeddings"])[keep],
                        documents=[part["documents"][i] for i in keep],
                        metadatas=[part["metadatas"][i] for i in keep])

    def add_documents(self, texts: dict[str, str], records: dict[str, str]) -> None:
        """Each document's text and its record (JSON), under its source."""
        sources = list(texts)
        self.add(DOCUMENTS, sources, np.asarray([PLACEHOLDER] * len(sources)),
                 [texts[s] for s in sources],
                 [{"source": s, "record": records[s]} for s in sources])

    def add(self, kind: str, ids: list[str], vectors: np.ndarray, texts: list[str],
            metadatas: list[dict]) -> None:
        collection = self._collections[kind]
        for i in range(0, len(ids), self._batch):
            part = slice(i, i + self._batch)
            collection.upsert(ids=ids[part], embeddings=vectors[part], documents=texts[part],
                              metadatas=metadatas[part])

    def count(self, kind: str, where: dict | None = None) -> int:
        if where is None:
            return self._collections[kind].count()
        return len(self._collections[kind].get(where=where, include=[])["ids"])

    def query(self, kind: str, vector: np.ndarray, n: int,
              where: dict | None = None) -> list[StoredItem]:
        """The `n` nearest items (of those `where` picks, a Chroma filter)."""
        result = self._collections[kind].query(
            query_embeddings=[vector], n_results=n, where=where,
            include=["documents", "metadatas", "distances"],
        )
        return [
            StoredItem(id_, text, meta, 1.0 - dist)
            for id_, text, meta, dist in zip(result["ids"][0], result["documents"][0],
                                             result["metadatas"][0], result["distances"][0])
        ]

    def get(self, kind: str, with_vectors: bool = False, ids: list[str] | None = None,
            text: bool = True) -> tuple[list[StoredItem], np.ndarray | None]:
        """Every item (or those with these ids), and their vectors when asked for; their texts
        left empty when not `text`."""
        include = (["documents"] if text else []) + ["metadatas"] + (
            ["embeddings"] if with_vectors else [])
        result = self._read(kind, ids, include)
        if not text:
            result["documents"] = [""] * len(result["ids"])
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
        if self._owns_client:
            self._client.close()


class LayeredStore:
    """One generation's layers read as one store: each layer's items but those of the
    documents it no longer holds (`dead`: changed or removed by a later run)."""

    def __init__(self, layers: list[tuple[ChromaStore, frozenset[str]]], generation: str,
                 on_close: Callable[[], None] | None = None) -> None:
        self.generation = generation  # the name of the generation it reads
        self._layers = layers
        self._on_close = on_close  # told once the store is closed (a reader's lease)

    def query(self, kind: str, vector: np.ndarray, n: int,
              sources: list[str] | None = None) -> list[StoredItem]:
        """The `n` nearest items, optionally only from the given documents."""
        found: list[StoredItem] = []
        for store, dead in self._layers:
            if sources:
                wanted = [s for s in sources if s not in dead]
                if not wanted:
                    continue
                where = {"source": {"$in": wanted}}
            else:
                where = {"source": {"$nin": sorted(dead)}} if dead else None
            found += store.query(kind, vector, n, where)
        return sorted(found, key=lambda item: -item.similarity)[:n]

    def get(self, kind: str, with_vectors: bool = False, ids: list[str] | None = None,
            text: bool = True) -> tuple[list[StoredItem], np.ndarray | None]:
        """Every item (or those with these ids, in their order), and their vectors when asked
        for."""
        items: list[StoredItem] = []
        vectors: list[np.ndarray] = []
        for store, dead in self._layers:
            got, got_vectors = store.get(kind, with_vectors, ids, text)
            keep = [k for k, item in enumerate(got) if item.metadata["source"] not in dead]
            items += [got[k] for k in keep]
            if with_vectors and keep:
                vectors.append(got_vectors[keep])
        order = list(range(len(items)))
        if ids is not None:
            place = {id_: k for k, id_ in enumerate(ids)}
            order.sort(key=lambda k: place[items[k].id])
        if not with_vectors:
            return [items[k] for k in order], None
        stacked = np.concatenate(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)
        return [items[k] for k in order], stacked[order] if order else stacked

    def vectors(self, kind: str, ids: list[str]) -> tuple[list[str], np.ndarray]:
        """The vectors of the items with these ids that the generation holds, and their ids."""
        items, vectors = self.get(kind, with_vectors=True, ids=ids, text=False)
        return [i.id for i in items], vectors

    def count(self, kind: str) -> int:
        return sum(store.count(kind, {"source": {"$nin": sorted(dead)}} if dead else None)
                   for store, dead in self._layers)

    def close(self) -> None:
        for store, _ in self._layers:
            store.close()
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()
