"""Where an index's generations live: folders under QA_INDEX_DIR, or collections on a Chroma
server (QA_CHROMA_URL). `index.py` builds and reads generations through the `Generations`
protocol and does not know which one it has.

A folder index::

    CURRENT          name of the generation that answers questions
    gen-<id>/        a whole index: chroma/ (vectors), manifest.json (documents) and
                     lexical.npz (the BM25 index, bm25.py)
      .readers       each reader of the generation holds a shared lock on it
    .lock            held by the one indexing run allowed at a time

A server index named N (QA_CHROMA_INDEX) is a set of collections in one tenant and database::

    N-generations              small records: `current` (the pointer), one per generation
                               (its settings; "writing" until complete), `lock` (the run)
    N-gen-<id>-chunks, …       the generation's collections (store.COLLECTIONS)
    N-gen-<id>-documents       one record a document: its text, and what the manifest says of it
    N-gen-<id>-lexical         the BM25 index (bm25.py), as base64 text in parts

In both, a run writes a new generation aside and then switches the pointer (a file rename, or
one record upserted), so a reader sees the old generation or the new one, never a part.
"""

from __future__ import annotations

import base64
import fcntl
import functools
import json
import os
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol

from qa.errors import IndexBusy
from qa.store import COLLECTIONS, ChromaStore, folder_client, unreachable

MANIFEST = "manifest.json"
READERS = ".readers"


def new_generation_name() -> str:
    return f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"


class Generations(Protocol):
    """The generations of one index, and the pointer that names the one answering."""

    where: str  # the index as a person would name it: "index/", "http://h:8000, index 'qa'"

    def current(self) -> str | None:
        """The name of the generation that answers questions, or None before the first build."""

    def manifest(self, name: str) -> dict:
        """What a generation holds: {"settings": …, "documents": {source: {…, "text": …}}}."""

    def open(self, name: str) -> ChromaStore | None:
        """A reader's store of the generation; None when it went before it could be opened."""

    def lock(self) -> AbstractContextManager[None]:
        """Held by the one indexing run allowed at a time; IndexBusy while another holds it."""

    def tidy(self) -> None:
        """Remove what killed runs left and generations no reader needs any more."""

    def begin(self, copy_of: str | None, leave_out: set[str]) -> tuple[str, ChromaStore]:
        """A new generation, not yet current: a copy of `copy_of` (the items whose ids are in
        `leave_out` may be left out) or empty; its name and a store to write it with."""

    def save(self, name: str, key: str, data: bytes) -> None:
        """Keep `data` under `key` with a generation that is being written (before commit)."""

    def load(self, name: str, key: str) -> bytes | None:
        """What `save` kept under `key` with the generation; None if it has none."""

    def commit(self, name: str, manifest: dict) -> None:
        """Store the generation's manifest, make it current, then tidy."""

    def remove(self) -> None:
        """Delete the whole index (a temporary one, such as an eval's)."""


# --- folders -------------------------------------------------------------------------------

def current_generation(index_dir: Path) -> Path | None:
    """The generation folder that answers questions now, or None before the first build."""
    try:
        name = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path = index_dir / name
    return path if name and (path / MANIFEST).exists() else None


def read_manifest(generation: Path) -> dict:
    return json.loads((generation / MANIFEST).read_text(encoding="utf-8"))


class FolderGenerations:
    """Generation folders under `index_dir`, each with its own embedded Chroma.

    A reader's store holds a lease (a shared lock) on its generation until it is closed: no
    run deletes the generation under it, and the last reader to leave a generation that is no
    longer current deletes it then."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.where = f"{index_dir}/"

    def current(self) -> str | None:
        generation = current_generation(self.index_dir)
        return generation.name if generation else None

    def manifest(self, name: str) -> dict:
        return read_manifest(self.index_dir / name)

    def open(self, name: str) -> ChromaStore | None:
        generation = self.index_dir / name
        lease = _lease(generation)
        if lease is None:
            return None
        try:
            return ChromaStore(folder_client(generation / "chroma"), generation=name,
                               on_close=lambda: _leave(self.index_dir, generation, lease))
        except BaseException:
            lease.close()
            raise

    def lock(self) -> AbstractContextManager[None]:
        return _lock(self.index_dir)

    def tidy(self) -> None:
        _remove_other_generations(self.index_dir, keep=current_generation(self.index_dir))

    def begin(self, copy_of: str | None, leave_out: set[str]) -> tuple[str, ChromaStore]:
        name = new_generation_name()
        new = self.index_dir / name
        if copy_of is not None:
            shutil.copytree(self.index_dir / copy_of, new)  # whole: `leave_out` is deleted after
        else:
            new.mkdir(parents=True)
        (new / READERS).touch()
        return name, ChromaStore(folder_client(new / "chroma"), generation=name)

    def save(self, name: str, key: str, data: bytes) -> None:
        target = self.index_dir / name / key
        target.with_suffix(".part").write_bytes(data)
        os.replace(target.with_suffix(".part"), target)

    def load(self, name: str, key: str) -> bytes | None:
        try:
            return (self.index_dir / name / key).read_bytes()
        except FileNotFoundError:
            return None

    def commit(self, name: str, manifest: dict) -> None:
        new = self.index_dir / name
        _write_atomically(new / MANIFEST, json.dumps(manifest, ensure_ascii=False))
        _write_atomically(self.index_dir / "CURRENT", name)
        _remove_other_generations(self.index_dir, keep=new)

    def remove(self) -> None:
        shutil.rmtree(self.index_dir, ignore_errors=True)


def _lease(generation: Path) -> BinaryIO | None:
    """A reader's shared lock on the generation, held until the file is closed (or collected
    with the store that holds it), or None when the generation was deleted before the lock was
    held."""
    try:
        lease = open(generation / READERS, "rb")
    except FileNotFoundError:
        if not (generation / MANIFEST).exists():
            return None
        lease = open(generation / READERS, "ab+")  # a generation built before leases
    fcntl.flock(lease.fileno(), fcntl.LOCK_SH)  # waits while a run deletes it
    try:
        held = os.fstat(lease.fileno()).st_ino == os.stat(generation / READERS).st_ino
    except FileNotFoundError:
        held = False
    if not held:
        lease.close()
        return None
    return lease


def _leave(index_dir: Path, generation: Path, lease: BinaryIO) -> None:
    """Let go of a reader's lease; the last reader of a generation no longer current frees it."""
    lease.close()
    if current_generation(index_dir) != generation:
        _free(generation)


def _free(generation: Path) -> bool:
    """Delete a generation no reader holds; False (and nothing deleted) while one does."""
    try:
        lock = open(generation / READERS, "rb")
    except FileNotFoundError:
        lock = None  # an unfinished copy, or a generation built before leases
    try:
        if lock is not None:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
        shutil.rmtree(generation, ignore_errors=True)
        return True
    finally:
        if lock is not None:
            lock.close()


@contextmanager
def _lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexBusy(f"another `qa index` run is updating {index_dir}/; wait for it") from exc
        yield


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _remove_other_generations(index_dir: Path, keep: Path | None) -> None:
    """Delete every generation but `keep` that no reader holds (the last reader of one that
    is held deletes it when it leaves)."""
    for path in index_dir.glob("gen-*"):
        if path != keep:
            _free(path)


# --- a Chroma server -----------------------------------------------------------------------

LOCK_BEAT_S = 10.0  # how often a run says it is still alive
LOCK_STALE_S = 60.0  # a lock not renewed for this long was left by a run that died
_PLACEHOLDER = [1.0]  # Chroma stores a vector with every record; the bookkeeping needs none
_GENERATION = re.compile(r"gen-\d{8}T\d{6}-[0-9a-f]{8}")
_RUNNING: set[str] = set()  # the tokens of the locks this process's runs hold now


def _reaching(method):
    """The method, with a server that stopped answering told as such (with its URL)."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        import httpx

        try:
            return method(self, *args, **kwargs)
        except httpx.TransportError as exc:
            raise unreachable(self.url, exc) from exc
    return call


class ServerGenerations:
    """Generations as collections on a Chroma server, shared by every client of it.

    Readers hold no lease there (a server cannot see who reads). The rule instead: a run keeps
    the generation it replaces, for the readers still answering from it, and removes it at
    the next run; a `qa serve` moves to the new generation at its next request."""

    def __init__(self, connect: Callable[[], object], name: str, url: str) -> None:
        self._connect = connect  # a new client for each store, so that closing one is safe
        self.name = name
        self.url = url
        self.where = f"the Chroma server at {url} (index {name!r})"
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _prefix(self, generation: str) -> str:
        return f"{self.name}-{generation}-"

    def _records(self):
        return self.client.get_or_create_collection(f"{self.name}-generations",
                                                    embedding_function=None)

    def _record(self, id_: str) -> dict | None:
        found = self._records().get(ids=[id_], include=["metadatas"])
        return found["metadatas"][0] if found["ids"] else None

    def _put(self, id_: str, record: dict) -> None:
        self._records().upsert(ids=[id_], embeddings=[_PLACEHOLDER], metadatas=[record])

    @_reaching
    def current(self) -> str | None:
        pointer = self._record("current")
        return pointer["generation"] if pointer else None

    @_reaching
    def manifest(self, name: str) -> dict:
        record = self._record(name)
        if record is None or record.get("state") != "complete":
            raise KeyError(f"generation {name} is not complete on {self.where}")
        docs = self.client.get_collection(self._prefix(name) + "documents",
                                          embedding_function=None)
        documents = {}
        batch = self.client.get_max_batch_size()
        for offset in range(0, docs.count(), batch):
            part = docs.get(limit=batch, offset=offset, include=["documents", "metadatas"])
            for source, text, meta in zip(part["ids"], part["documents"], part["metadatas"]):
                documents[source] = {**json.loads(meta["record"]), "text": text}
        return {"settings": json.loads(record["settings"]), "documents": documents}

    @_reaching
    def open(self, name: str) -> ChromaStore | None:
        from chromadb.errors import NotFoundError

        client = self._connect()
        try:
            return ChromaStore(client, self._prefix(name), generation=name, create=False,
                               on_close=None)
        except NotFoundError:  # removed by a run since the pointer was read
            client.close()
            return None

    @contextmanager
    def lock(self) -> Iterator[None]:
        import httpx

        me = {"host": socket.gethostname(), "pid": os.getpid(), "token": uuid.uuid4().hex}
        held = self._record("lock")
        if held and held.get("token") and not _stale(held):
            raise IndexBusy(f"another `qa index` run (on {held['host']}, process {held['pid']}) "
                            f"is updating {self.where}; wait for it")
        self._put("lock", {**me, "beat": time.time()})
        time.sleep(0.2)  # Chroma has no compare-and-set: of two runs that start together,
        held = self._record("lock")  # the one whose lock was written last goes on
        if not held or held.get("token") != me["token"]:
            raise IndexBusy(f"another `qa index` run is updating {self.where}; wait for it")
        _RUNNING.add(me["token"])
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(LOCK_BEAT_S):
                try:
                    self._put("lock", {**me, "beat": time.time()})
                except Exception:  # the run itself meets the failure, and says what it is
                    pass

        beating = threading.Thread(target=beat, daemon=True)
        beating.start()
        try:
            yield
        except httpx.TransportError as exc:  # the server went away during the run
            raise unreachable(self.url, exc) from exc
        finally:
            _RUNNING.discard(me["token"])
            stop.set()
            beating.join()
            try:
                self._put("lock", {"token": "", "host": "", "pid": 0, "beat": time.time()})
            except httpx.TransportError:  # left to go stale; the error that matters is above
                pass

    @_reaching
    def names(self) -> set[str]:
        """Every generation with a record or a collection on the server."""
        names = {id_ for id_ in self._records().get(include=[])["ids"]
                 if _GENERATION.fullmatch(id_)}
        for collection in self.client.list_collections():
            found = re.fullmatch(re.escape(self.name) + r"-(" + _GENERATION.pattern + r")-\w+",
                                 collection.name)
            if found:
                names.add(found.group(1))
        return names

    def _drop(self, name: str) -> None:
        from chromadb.errors import NotFoundError

        self._records().delete(ids=[name])  # first: a manifest is never read half-dropped
        for kind in (*COLLECTIONS, "documents", *SAVED):
            try:
                self.client.delete_collection(self._prefix(name) + kind)
            except NotFoundError:
                pass

    @_reaching
    def tidy(self) -> None:
        pointer = self._record("current") or {}
        keep = {pointer.get("generation"), pointer.get("previous")}
        for name in self.names() - keep:
            self._drop(name)

    @_reaching
    def begin(self, copy_of: str | None, leave_out: set[str]) -> tuple[str, ChromaStore]:
        name = new_generation_name()
        self._put(name, {"state": "writing", "settings": "{}", "created": time.time()})
        store = ChromaStore(self._connect(), self._prefix(name), generation=name)
        if copy_of is not None:
            old = self.open(copy_of)
            if old is None:
                store.close()
                raise IndexBusy(f"generation {copy_of} was removed from {self.where} while "
                                "it was being copied; run `qa index` again")
            try:
                store.copy_from(old, leave_out)
            except BaseException:
                store.close()
                raise
            finally:
                old.close()
        return name, store

    @_reaching
    def save(self, name: str, key: str, data: bytes) -> None:
        parts = self.client.get_or_create_collection(self._prefix(name) + _saved(key),
                                                     embedding_function=None)
        text = base64.b64encode(data).decode("ascii")
        pieces = [text[i : i + SAVED_PART] for i in range(0, len(text), SAVED_PART)] or [""]
        for i, piece in enumerate(pieces):
            parts.upsert(ids=[f"{i:06d}"], embeddings=[_PLACEHOLDER], documents=[piece])

    @_reaching
    def load(self, name: str, key: str) -> bytes | None:
        from chromadb.errors import NotFoundError

        try:
            parts = self.client.get_collection(self._prefix(name) + _saved(key),
                                               embedding_function=None)
        except NotFoundError:
            return None
        found = parts.get(include=["documents"])
        pieces = sorted(zip(found["ids"], found["documents"]))
        return base64.b64decode("".join(piece for _, piece in pieces)) if pieces else None

    @_reaching
    def commit(self, name: str, manifest: dict) -> None:
        docs = self.client.get_or_create_collection(self._prefix(name) + "documents",
                                                    embedding_function=None)
        items = list(manifest["documents"].items())
        batch = min(self.client.get_max_batch_size(), 500)
        for i in range(0, len(items), batch):
            part = items[i : i + batch]
            docs.upsert(ids=[source for source, _ in part],
                        embeddings=[_PLACEHOLDER] * len(part),
                        documents=[doc["text"] for _, doc in part],
                        metadatas=[{"record": json.dumps(
                            {k: v for k, v in doc.items() if k != "text"}, ensure_ascii=False)}
                            for _, doc in part])
        self._put(name, {"state": "complete", "created": time.time(),
                         "settings": json.dumps(manifest["settings"])})
        # the switch: one record, written once the generation is whole
        self._put("current", {"generation": name, "previous": self.current() or ""})
        self.tidy()

    @_reaching
    def remove(self) -> None:
        for name in self.names():
            self._drop(name)
        self.client.delete_collection(f"{self.name}-generations")


SAVED = ("lexical",)  # the collections `save` writes, by key less its suffix
SAVED_PART = 4_000_000  # base64 characters a record


def _saved(key: str) -> str:
    name = key.split(".")[0]
    assert name in SAVED, f"add {name!r} to SAVED, so that a generation's removal drops it"
    return name


def _stale(lock: dict) -> bool:
    """Whether a run's lock was left by a run that is no longer running."""
    if time.time() - float(lock.get("beat", 0)) > LOCK_STALE_S:
        return True
    if lock.get("host") == socket.gethostname():
        if int(lock["pid"]) == os.getpid():  # a run of this process that ended without release
            return lock.get("token") not in _RUNNING
        try:
            os.kill(int(lock["pid"]), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
    return False
