"""Build and update the index: incremental by content hash, atomic by generation swap.

Layout of the index folder::

    CURRENT          name of the generation that answers questions
    gen-<id>/        a whole index: chroma/ (vectors) and manifest.json (documents)
      .readers       each reader of the generation holds a shared lock on it
    .lock            held by the one indexing run allowed at a time

A run copies the current generation, applies its changes to the copy and only then
rewrites CURRENT (write, fsync, rename). A run killed at any point leaves CURRENT, and
so the answers, as they were; the next run deletes the unfinished copy and starts over.

A generation that is no longer current is deleted only once no reader holds it: a run
deletes those no one reads, and the last reader to leave one (a server that moved on to
the new generation) deletes it then.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from qa.embedders import Embedder
from qa.errors import DocumentError, IndexBusy, IndexMissing
from qa.ingest import (LONG_SENTENCE_WORDS, chunk_document, file_hash, list_corpus,
                       load_document, sentences_of)
from qa.partnerships import of_document as extract_partnerships
from qa.store import COLLECTIONS, ChromaStore
from qa.text import word_count
from qa.types import SourceDoc

MANIFEST = "manifest.json"
READERS = ".readers"
# Bump whenever what is stored changes: the collections, or the cleaning and splitting rules that
# make the text (an index of another version is rebuilt whole by the next `qa index`). 2: runs of
# clauses of long sentences; 3: their USE vectors apart; 4: sentences read after the one before
# them; 5: the version alone marks the cleaning and splitting rules (no longer a hash of code);
# 6: UTF-8 with a few damaged bytes read without them (not as mojibake), NUL characters removed.
# 7: each document's partnership facts in its manifest entry ("partnerships").
FORMAT_VERSION = 7
DOC_FIELDS = ("title", "publisher", "date", "author", "language")
EMBED_BATCH = 128  # passages embedded and written between two progress updates

Progress = Callable[[int, int], None]
Warn = Callable[[str], None]  # "skipped NAME: why" or "NAME: what was repaired", as it happens


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # warnings naming each unreadable file
    repaired: list[str] = field(default_factory=list)  # warnings naming each file read repaired
    documents: int = 0
    chunks: int = 0
    chunks_embedded: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def built_by_this_version(manifest: dict) -> bool:
    """Whether the index was built by this code's format and cleaning and splitting rules (an
    older one still answers, less well, until `qa index` rebuilds it)."""
    built = manifest["settings"]
    return built.get("format") == FORMAT_VERSION


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


def open_index(index_dir: Path) -> tuple[ChromaStore, dict]:
    """The store and manifest of the current generation; IndexMissing if there is none.

    The store holds a reader's lease on its generation until it is closed: no `qa index` run
    deletes the generation under it, and closing it frees a generation no longer current."""
    for _ in range(100):  # each turn: CURRENT moved on, and its old generation went, meanwhile
        generation = current_generation(index_dir)
        if generation is None:
            raise IndexMissing(
                f"No index in {index_dir}/. Build it with `qa index` (documents are read from "
                "QA_CORPUS_DIR, default corpus/)."
            )
        lease = _lease(generation)
        if lease is None:
            continue
        try:
            manifest = read_manifest(generation)
            if not manifest["documents"]:
                raise IndexMissing(
                    f"The index in {index_dir}/ holds no documents. Put files in the corpus "
                    "folder and run `qa index`."
                )
            return ChromaStore(generation / "chroma",
                               on_close=lambda: _leave(index_dir, generation, lease)), manifest
        except BaseException:
            lease.close()
            raise
    raise IndexBusy(f"the index in {index_dir}/ changes faster than it can be opened; try again")


def generation_of(store: ChromaStore) -> str:
    """The name of the generation a store opened by `open_index` reads."""
    return store.path.parent.name


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


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    chunk_chars: int,
    chunk_overlap: int,
    on_progress: Progress | None = None,
    multilingual: Embedder | None = None,
    max_file_bytes: int | None = None,
    on_warning: Warn | None = None,
) -> IndexReport:
    """Bring the index in line with the corpus, re-embedding only what changed. Each file left
    out (over `max_file_bytes`, unreadable, a link out of the corpus) and each file read with a
    repair is told to `on_warning` as it is found, and listed in the report."""
    started = time.perf_counter()
    if not corpus_dir.is_dir():
        raise IndexMissing(f"corpus folder {corpus_dir}/ does not exist; create it and add documents")
    settings = {"format": FORMAT_VERSION,
                "embedding_model": embedder.name,
                "multilingual_model": multilingual.name if multilingual else None,
                "chunk_chars": chunk_chars, "chunk_overlap": chunk_overlap}
    report = IndexReport()

    def skip(warning: str) -> None:
        report.skipped.append(warning)
        if on_warning:
            on_warning(f"skipped {warning}")

    def repaired(warning: str) -> None:
        report.repaired.append(warning)
        if on_warning:
            on_warning(warning)

    with _lock(index_dir):
        old = current_generation(index_dir)
        _remove_other_generations(index_dir, keep=old)  # leftovers of a killed run
        manifest = read_manifest(old) if old else None
        if manifest is None or manifest["settings"] != settings:
            old, known = None, {}
        else:
            known = manifest["documents"]

        to_load: list[tuple[Path, str]] = []
        present: set[str] = set()
        for path in list_corpus(corpus_dir, skip, max_file_bytes):
            source = path.relative_to(corpus_dir).as_posix()
            try:
                digest = file_hash(path)
            except OSError as exc:
                skip(f"{source}: cannot be read ({exc.strerror or exc})")
                continue
            present.add(source)
            if source in known and known[source]["hash"] == digest:
                report.unchanged.append(source)
            else:
                to_load.append((path, source))
        report.removed = sorted(set(known) - present)

        docs: list[SourceDoc] = []
        for path, source in to_load:
            try:
                docs.append(load_document(path, corpus_dir, repaired))
            except DocumentError as exc:
                skip(str(exc))
                if source in known:  # a file that broke is no longer indexed
                    report.removed.append(source)
                continue
            (report.updated if source in known else report.added).append(source)

        documents = {k: v for k, v in known.items()
                     if k not in report.removed and k not in report.updated}
        if report.changed or old is None:
            documents.update(_apply_changes(index_dir, old, known, report, docs,
                                            (embedder, multilingual), settings, documents,
                                            chunk_chars, chunk_overlap, on_progress))
        report.documents = len(documents)
        report.chunks = sum(len(d["chunk_ids"]) for d in documents.values())
    report.seconds = time.perf_counter() - started
    return report


def _apply_changes(index_dir: Path, old: Path | None, known: dict, report: IndexReport,
                   docs: list[SourceDoc], embedders: tuple[Embedder, Embedder | None],
                   settings: dict, kept: dict,
                   chunk_chars: int, chunk_overlap: int,
                   on_progress: Progress | None) -> dict:
    """Write a new generation holding `kept` plus `docs`, then make it current."""
    new = index_dir / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    if old is not None:
        shutil.copytree(old, new)
    else:
        new.mkdir(parents=True)
    (new / READERS).touch()
    store = ChromaStore(new / "chroma")
    try:
        for source in report.removed + report.updated:
            store.delete("chunks", known[source]["chunk_ids"])
            store.delete("sentences", known[source]["sentence_ids"])
            store.delete("sentences_ml", known[source]["sentence_ids"])
            store.delete("runs_ml", known[source]["sentence_ids"])
            store.delete("contexts", known[source]["sentence_ids"])
        rows: list[tuple[str, str, str, dict]] = []  # (collection, id, text, metadata)
        added: dict[str, dict] = {}
        for doc in docs:
            chunks = chunk_document(doc, chunk_chars, chunk_overlap)
            sentences = sentences_of(doc)
            meta = {"source": doc.source, "title": doc.title}
            rows += [("chunks", c.id, c.text, {**meta, "start": c.start, "end": c.end})
                     for c in chunks]
            before = None  # the whole sentence before this one
            for s in sentences:
                row = {**meta, "start": s.start, "end": s.end,
                       "sentence_start": s.sentence_start, "sentence_end": s.sentence_end}
                rows.append(("sentences", s.id, s.text, row))
                if embedders[1]:
                    kind = "sentences_ml" if s.sentence_start < 0 else "runs_ml"
                    rows.append((kind, s.id, s.text, row))
                # a sentence read after the one before it; not a long one, which its runs of
                # clauses match (measured: the same figures on the three sets, less to embed)
                if s.sentence_start < 0:
                    if before is not None and word_count(s.text) <= LONG_SENTENCE_WORDS:
                        rows.append(("contexts", s.id, f"{before.text} {s.text}", row))
                    before = s
            report.chunks_embedded += len(chunks)
            added[doc.source] = {
                "hash": doc.content_hash,
                **{k: getattr(doc, k) for k in DOC_FIELDS},
                "text": doc.text,
                "chunk_ids": [c.id for c in chunks],
                "sentence_ids": [s.id for s in sentences],
                "partnerships": extract_partnerships(doc),
            }
        for start in range(0, len(rows), EMBED_BATCH):
            batch = rows[start : start + EMBED_BATCH]
            for kind in COLLECTIONS:
                picked = [row for row in batch if row[0] == kind]
                if picked:
                    embedder = embedders[1] if kind.endswith("_ml") else embedders[0]
                    store.add(kind, [r[1] for r in picked], embedder.embed([r[2] for r in picked]),
                              [r[2] for r in picked], [r[3] for r in picked])
            if on_progress:
                on_progress(start + len(batch), len(rows))
    finally:
        store.close()
    manifest = {"settings": settings, "documents": {**kept, **added}}
    _write_atomically(new / MANIFEST, json.dumps(manifest, ensure_ascii=False))
    _write_atomically(index_dir / "CURRENT", new.name)
    _remove_other_generations(index_dir, keep=new)
    return added
