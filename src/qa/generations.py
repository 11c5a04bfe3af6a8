"""Where an index's generations live: folders under QA_INDEX_DIR, or collections on a Chroma
server (QA_CHROMA_URL). `index.py` builds and reads generations through the `Generations`
protocol and does not know which one it has.

An index is kept in layers. A layer is a store (store.KINDS: the passages' collections and the
documents') that one `qa index` run writes and no run writes again. A generation is a short list
of layers, each with the documents it no longer holds (changed or removed by a later run): a
run writes only what changed into a new layer, and its generation reads the layers before plus
that one. A run killed part-way leaves a layer no generation lists, which the next run deletes;
the layers the current generation reads were never touched. At most MAX_LAYERS are read: the run
that would add one more merges every layer but the first into its own. A layer keeps the BM25
index of its own chunks (bm25.py) beside its collections, written once with it; a reader joins
its generation's, each less the documents it no longer holds.

A folder index::

    CURRENT          name of the generation that answers questions
    gen-<id>/        generation.json (its settings and layers)
      .readers       each reader of the generation holds a shared lock on it
    layer-<id>/      an embedded Chroma, and lexical.npz (the BM25 index of its chunks)
    .lock            held by the one indexing run allowed at a time

A server index named N (QA_CHROMA_INDEX) is a set of collections in one tenant and database::

    N-generations              small records: `current` (the pointer), one per generation
                               (its settings and layers; "writing" until complete), `lock` (the
                               run), `reader-<token>` (a reader's lease, renewed while it reads)
    N-layer-<id>-chunks, …     a layer's collections (store.KINDS)
    N-layer-<id>-lexical       the BM25 index of its chunks, as base64 text in parts

In both, a run switches the pointer once its generation is whole (a file rename, or one record
upserted), so a reader sees the old generation or the new one, never a part; and a generation a
reader holds is kept, with its layers, until the reader lets go.
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
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from qa.errors import IndexBusy, IndexOutdated
from qa.store import ChromaStore, LayeredStore, folder_client, unreachable

GENERATION = "generation.json"
EARLIER = "manifest.json"  # what a generation of the layout before layers (format 9) holds
READERS = ".readers"
MAX_LAYERS = 4

Layers = list[list]  # [[layer name, [sources it no longer holds]], …], oldest first


def new_generation_name() -> str:
    return f"gen-{_stamp()}"


def new_layer_name() -> str:
    return f"layer-{_stamp()}"


def _stamp() -> str:
    return f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"


def outdated(where: str) -> IndexOutdated:
    return IndexOutdated(f"The index in {where} was built by an earlier version of qa, which kept "
                         "it in another layout; rebuild it with `qa index`.")


def next_layers(layers: Layers, gone: set[str], new: str) -> tuple[Layers, Layers]:
    """The layers of the generation after one of `layers`: those, with the documents in `gone`
    no longer held by any, then `new`; and the layers whose items `new` takes in (when there
    would be more than MAX_LAYERS: every layer but the first, merged into `new`)."""
    kept = [[name, sorted(set(dead) | gone)] for name, dead in layers]
    if len(kept) < MAX_LAYERS:
        return [*kept, [new, []]], []
    return [kept[0], [new, []]], kept[1:]


@dataclass(frozen=True)
class Begun:
    """A generation being written: its name, its new layer's, the layers merged into that one
    (with the documents each no longer holds), and the store that writes the new layer."""

    name: str
    layer: str
    merged: Layers
    store: ChromaStore


class Generations(Protocol):
    """The generations of one index, and the pointer that names the one answering."""

    where: str  # the index as a person would name it: "index/", "http://h:8000, index 'qa'"

    def current(self) -> str | None:
        """The name of the generation that answers questions, or None before the first build."""

    def settings(self, name: str) -> dict:
        """What a complete generation was built with; IndexOutdated for one of an earlier
        layout."""

    def open(self, name: str) -> LayeredStore | None:
        """A reader's store of the generation, holding it until closed; None when it went
        before it could be opened."""

    def layers(self, name: str) -> Layers:
        """The layers the generation reads, oldest first, with the documents each no longer
        holds."""

    def lock(self) -> AbstractContextManager[None]:
        """Held by the one indexing run allowed at a time; IndexBusy while another holds it."""

    def tidy(self) -> None:
        """Remove what killed runs left, and generations and layers no reader needs any more."""

    def begin(self, after: str | None, gone: set[str]) -> Begun:
        """A new generation, not yet current: the layers of `after` without the documents in
        `gone` (or none), and a new layer, which holds what the layers merged into it still
        hold."""

    def save(self, layer: str, key: str, data: bytes) -> None:
        """Keep `data` under `key` with a layer that is being written (before the generation
        that lists it is committed)."""

    def load(self, layer: str, key: str) -> bytes | None:
        """What `save` kept under `key` with the layer; None if it has none."""

    def commit(self, name: str, settings: dict) -> None:
        """Mark the generation complete, built with `settings`, make it current, then tidy."""

    def remove(self) -> None:
        """Delete the whole index (a temporary one, such as an eval's)."""


def _layered(name: str, layers: Layers, open_layer: Callable[[str], ChromaStore],
             on_close: Callable[[], None] | None) -> LayeredStore:
    stores: list[tuple[ChromaStore, frozenset[str]]] = []
    try:
        for layer, dead in layers:
            stores.append((open_layer(layer), frozenset(dead)))
    except BaseException:
        for store, _ in stores:
            store.close()
        raise
    return LayeredStore(stores, name, on_close)


def _merge(store: ChromaStore, merged: Layers, open_layer: Callable[[str], ChromaStore]) -> None:
    """Copy into `store` what each layer of `merged` still holds."""
    for layer, dead in merged:
        old = open_layer(layer)
        try:
            store.copy_from(old, frozenset(dead))
        finally:
            old.close()


# --- folders -------------------------------------------------------------------------------

def current_generation(index_dir: Path) -> Path | None:
    """The generation folder that answers questions now, or None before the first build."""
    try:
        name = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path = index_dir / name
    return path if name and ((path / GENERATION).exists() or (path / EARLIER).exists()) else None


class FolderGenerations:
    """Generation folders and layers (each an embedded Chroma) under `index_dir`.

    A reader's store holds a lease (a shared lock) on its generation until it is closed: no
    run deletes the generation or its layers under it, and the last reader to leave a
    generation that is no longer current deletes it, and the layers no other one lists, then."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.where = f"{index_dir}/"

    def current(self) -> str | None:
        generation = current_generation(self.index_dir)
        return generation.name if generation else None

    def _record(self, name: str) -> dict:
        path = self.index_dir / name
        if not (path / GENERATION).exists() and (path / EARLIER).exists():
            raise outdated(self.where)
        return json.loads((path / GENERATION).read_text(encoding="utf-8"))

    def settings(self, name: str) -> dict:
        return self._record(name)["settings"]

    def _open_layer(self, layer: str, create: bool = False) -> ChromaStore:
        return ChromaStore(folder_client(self.index_dir / layer), create=create)

    def open(self, name: str) -> LayeredStore | None:
        generation = self.index_dir / name
        lease = _lease(generation)
        if lease is None:
            return None
        try:
            return _layered(name, self._record(name)["layers"], self._open_layer,
                            on_close=lambda: _leave(self.index_dir, generation, lease))
        except BaseException:
            lease.close()
            raise

    def layers(self, name: str) -> Layers:
        return self._record(name)["layers"]

    def lock(self) -> AbstractContextManager[None]:
        return _lock(self.index_dir)

    def tidy(self) -> None:
        keep = current_generation(self.index_dir)
        if keep is not None and not (keep / GENERATION).exists():
            keep = None  # of the earlier layout, which this run replaces
        for path in self.index_dir.glob("gen-*"):
            if path != keep:
                _free(path)
        _free_layers(self.index_dir)

    def begin(self, after: str | None, gone: set[str]) -> Begun:
        name, layer = new_generation_name(), new_layer_name()
        layers, merged = next_layers(self.layers(after) if after else [], gone, layer)
        generation = self.index_dir / name
        generation.mkdir(parents=True)
        (generation / READERS).touch()
        # listed before the layer exists, so that no reader leaving a generation deletes it
        _write_atomically(generation / GENERATION,
                          json.dumps({"settings": None, "layers": layers}, ensure_ascii=False))
        store = self._open_layer(layer, create=True)
        try:
            _merge(store, merged, self._open_layer)
        except BaseException:
            store.close()
            raise
        return Begun(name, layer, merged, store)

    def save(self, layer: str, key: str, data: bytes) -> None:
        target = self.index_dir / layer / key
        target.with_suffix(".part").write_bytes(data)
        os.replace(target.with_suffix(".part"), target)

    def load(self, layer: str, key: str) -> bytes | None:
        try:
            return (self.index_dir / layer / key).read_bytes()
        except FileNotFoundError:
            return None

    def commit(self, name: str, settings: dict) -> None:
        new = self.index_dir / name
        record = {**self._record(name), "settings": settings}
        _write_atomically(new / GENERATION, json.dumps(record, ensure_ascii=False))
        _write_atomically(self.index_dir / "CURRENT", name)
        self.tidy()

    def remove(self) -> None:
        shutil.rmtree(self.index_dir, ignore_errors=True)


def _lease(generation: Path) -> BinaryIO | None:
    """A reader's shared lock on the generation, held until the file is closed (or collected
    with the store that holds it), or None when the generation was deleted before the lock was
    held."""
    try:
        lease = open(generation / READERS, "rb")
    except FileNotFoundError:
        return None
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
    if current_generation(index_dir) != generation and _free(generation):
        _free_layers(index_dir)


def _free(generation: Path) -> bool:
    """Delete a generation no reader holds; False (and nothing deleted) while one does."""
    try:
        lock = open(generation / READERS, "rb")
    except FileNotFoundError:
        lock = None  # an unfinished one
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


def _free_layers(index_dir: Path) -> None:
    """Delete the layers no generation lists."""
    listed: set[str] = set()
    for record in index_dir.glob(f"gen-*/{GENERATION}"):
        try:
            layers = json.loads(record.read_text(encoding="utf-8"))["layers"]
        except FileNotFoundError:  # a generation deleted meanwhile
            continue
        listed |= {layer for layer, _ in layers}
    for layer in index_dir.glob("layer-*"):
        if layer.name not in listed:
            shutil.rmtree(layer, ignore_errors=True)


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


# --- a Chroma server -----------------------------------------------------------------------

LOCK_BEAT_S = 10.0  # how often a run says it is still alive, and a reader that it still reads
LOCK_STALE_S = 60.0  # a lock or lease not renewed for this long was left by a process that died
_PLACEHOLDER = [1.0]  # Chroma stores a vector with every record; the bookkeeping needs none
_GENERATION = re.compile(r"gen-\d{8}T\d{6}-[0-9a-f]{8}")
_LAYER = re.compile(r"layer-\d{8}T\d{6}-[0-9a-f]{8}")
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


def _beating(beat: Callable[[], None]) -> Callable[[], None]:
    """Call `beat` every LOCK_BEAT_S in a thread, until the function returned is called."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(LOCK_BEAT_S):
            try:
                beat()
            except Exception:  # the work itself meets the failure, and says what it is
                pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def stopped() -> None:
        stop.set()
        thread.join()
    return stopped


class ServerGenerations:
    """Generations and layers as collections on a Chroma server, shared by every client of it.

    A reader holds a lease, a record it renews while it reads: no run removes a generation with
    a lease renewed within LOCK_STALE_S, nor the generation the pointer named before the
    current one (for a reader that read the pointer just before it moved, and has yet to write
    its lease)."""

    def __init__(self, connect: Callable[[], object], name: str, url: str) -> None:
        self._connect = connect  # a new client for each store, so that closing one is safe
        self.name = name
        self.url = url
        self.where = f"the Chroma server at {url} (index {name!r})"
        self._client = None
        self._records_collection = None

    @property
    def client(self):
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _records(self):
        if self._records_collection is None:
            self._records_collection = self.client.get_or_create_collection(
                f"{self.name}-generations", embedding_function=None)
        return self._records_collection

    def _record(self, id_: str) -> dict | None:
        found = self._records().get(ids=[id_], include=["metadatas"])
        return found["metadatas"][0] if found["ids"] else None

    def _put(self, id_: str, record: dict) -> None:
        self._records().upsert(ids=[id_], embeddings=[_PLACEHOLDER], metadatas=[record])

    def _open_layer(self, layer: str, client) -> ChromaStore:
        """A reader's store of a layer, through `client` (which the store does not close)."""
        return ChromaStore(client, f"{self.name}-{layer}-", create=False, owns_client=False)

    def _layers(self, record: dict) -> Layers:
        if "layers" not in record:
            raise outdated(self.where)
        return json.loads(record["layers"])

    @_reaching
    def current(self) -> str | None:
        pointer = self._record("current")
        return pointer["generation"] if pointer else None

    @_reaching
    def settings(self, name: str) -> dict:
        record = self._record(name)
        if record is None or record.get("state") != "complete":
            raise KeyError(f"generation {name} is not complete on {self.where}")
        self._layers(record)
        return json.loads(record["settings"])

    @_reaching
    def open(self, name: str) -> LayeredStore | None:
        from chromadb.errors import NotFoundError

        lease = f"reader-{uuid.uuid4().hex}"

        def renew() -> None:
            self._put(lease, {"generation": name, "beat": time.time()})

        renew()  # before the generation is read: a run that tidies after this sees it held
        record = self._record(name)
        client = self._connect()  # the layers' stores share it
        try:
            if record is None:  # removed by a run since the pointer was read
                raise NotFoundError(name)
            stop = _beating(renew)
            try:
                return _layered(name, self._layers(record),
                                lambda layer: self._open_layer(layer, client),
                                on_close=lambda: self._leave(lease, stop, client))
            except BaseException:
                stop()
                raise
        except NotFoundError:
            client.close()
            self._records().delete(ids=[lease])
            return None
        except BaseException:
            client.close()
            self._records().delete(ids=[lease])
            raise

    def _leave(self, lease: str, stop: Callable[[], None], client) -> None:
        import httpx

        stop()
        client.close()
        try:
            self._records().delete(ids=[lease])
        except httpx.TransportError:  # left to go stale
            pass

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
        stop = _beating(lambda: self._put("lock", {**me, "beat": time.time()}))
        try:
            yield
        except httpx.TransportError as exc:  # the server went away during the run
            raise unreachable(self.url, exc) from exc
        finally:
            _RUNNING.discard(me["token"])
            stop()
            try:
                self._put("lock", {"token": "", "host": "", "pid": 0, "beat": time.time()})
            except httpx.TransportError:  # left to go stale; the error that matters is above
                pass

    def _collections(self) -> dict[str, list[str]]:
        """The collections on the server of each generation and each layer, by its name."""
        owned: dict[str, list[str]] = {}
        pattern = re.escape(self.name) + rf"-({_GENERATION.pattern}|{_LAYER.pattern})-\w+"
        for collection in self.client.list_collections():
            match = re.fullmatch(pattern, collection.name)
            if match:
                owned.setdefault(match.group(1), []).append(collection.name)
        return owned

    @_reaching
    def names(self) -> set[str]:
        """Every generation with a record or a collection on the server."""
        ids = self._records().get(include=[])["ids"]
        return {i for i in [*ids, *self._collections()] if _GENERATION.fullmatch(i)}

    @_reaching
    def layer_names(self) -> set[str]:
        """Every layer with a collection on the server."""
        return {name for name in self._collections() if _LAYER.fullmatch(name)}

    def _drop(self, name: str, collections: list[str]) -> None:
        """Remove a generation (its record first: it is never read half-dropped) or a layer,
        and its collections."""
        if _GENERATION.fullmatch(name):
            self._records().delete(ids=[name])
        for collection in collections:
            self.client.delete_collection(collection)

    @_reaching
    def tidy(self) -> None:
        found = self._records().get(include=["metadatas"])
        records = dict(zip(found["ids"], found["metadatas"]))
        pointer = records.get("current") or {}
        keep = {pointer.get("generation"), pointer.get("previous")}
        for id_, record in records.items():
            if id_.startswith("reader-"):
                if time.time() - float(record["beat"]) > LOCK_STALE_S:
                    self._records().delete(ids=[id_])  # left by a reader that died
                else:
                    keep.add(record["generation"])
        keep |= {layer for name in keep if name in records and "layers" in records[name]
                 for layer, _ in json.loads(records[name]["layers"])}
        collections = self._collections()
        for name in {i for i in records if _GENERATION.fullmatch(i)} | set(collections):
            if name not in keep:
                self._drop(name, collections.get(name, []))

    @_reaching
    def layers(self, name: str) -> Layers:
        record = self._record(name)
        if record is None:
            raise KeyError(f"generation {name} is not on {self.where}")
        return self._layers(record)

    @_reaching
    def begin(self, after: str | None, gone: set[str]) -> Begun:
        name, layer = new_generation_name(), new_layer_name()
        record = self._record(after) if after else None
        layers, merged = next_layers(self._layers(record) if record else [], gone, layer)
        self._put(name, {"state": "writing", "settings": "{}", "created": time.time(),
                         "layers": json.dumps(layers, ensure_ascii=False)})
        # the run's own client (a new one costs four requests and about 0.13 s)
        store = ChromaStore(self.client, f"{self.name}-{layer}-", owns_client=False)
        try:
            _merge(store, merged, lambda old: self._open_layer(old, self.client))
        except BaseException:
            store.close()
            raise
        return Begun(name, layer, merged, store)

    @_reaching
    def save(self, layer: str, key: str, data: bytes) -> None:
        parts = self.client.get_or_create_collection(f"{self.name}-{layer}-{_saved(key)}",
                                                     embedding_function=None)
        text = base64.b64encode(data).decode("ascii")
        pieces = [text[i : i + SAVED_PART] for i in range(0, len(text), SAVED_PART)] or [""]
        for i, piece in enumerate(pieces):
            parts.upsert(ids=[f"{i:06d}"], embeddings=[_PLACEHOLDER], documents=[piece])

    @_reaching
    def load(self, layer: str, key: str) -> bytes | None:
        from chromadb.errors import NotFoundError

        try:
            parts = self.client.get_collection(f"{self.name}-{layer}-{_saved(key)}",
                                               embedding_function=None)
        except NotFoundError:
            return None
        found = parts.get(include=["documents"])
        pieces = sorted(zip(found["ids"], found["documents"]))
        return base64.b64decode("".join(piece for _, piece in pieces)) if pieces else None

    @_reaching
    def commit(self, name: str, settings: dict) -> None:
        self._put(name, {**self._record(name), "state": "complete", "created": time.time(),
                         "settings": json.dumps(settings)})
        # the switch: one record, written once the generation is whole
        self._put("current", {"generation": name, "previous": self.current() or ""})
        self.tidy()

    @_reaching
    def remove(self) -> None:
        for name, collections in self._collections().items():
            self._drop(name, collections)
        self.client.delete_collection(f"{self.name}-generations")
        self._records_collection = None


SAVED = ("lexical",)  # the collections `save` writes, by key less its suffix
SAVED_PART = 4_000_000  # base64 characters a record


def _saved(key: str) -> str:
    name = key.split(".")[0]
    assert name in SAVED, f"add {name!r} to SAVED"
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
