"""Build and update the index: incremental by content hash, atomic by generation swap.

A run writes what changed (the passages and records of the documents added or changed) into a
new layer, and only then makes current the generation that reads it with the layers before
(generations.py: folders under QA_INDEX_DIR, or collections on a Chroma server). A run killed at
any point leaves the current generation, and so the answers, as they were; the next run deletes
the unfinished one and starts over.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.bm25 import BM25
from qa.embedders import Embedder
from qa.errors import DocumentError, IndexBusy, IndexMissing, IndexOutdated
# current_generation and _lock: a folder index's own, imported from here before
from qa.generations import (FolderGenerations, Generations, _lock,  # noqa: F401
                            current_generation)
from qa.ingest import (LONG_SENTENCE_WORDS, chunk_document, file_hash, list_corpus,
                       load_document, sentences_of)
from qa.partnerships import of_document as extract_partnerships
from qa.store import COLLECTIONS, DOCUMENTS, LayeredStore
from qa.text import terms, word_count
from qa.types import SourceDoc

# Bump whenever what is stored changes: the collections, or the cleaning and splitting rules that
# make the text (an index of another version is rebuilt whole by the next `qa index`). 2: runs of
# clauses of long sentences; 3: their USE vectors apart; 4: sentences read after the one before
# them; 5: the version alone marks the cleaning and splitting rules (no longer a hash of code);
# 6: UTF-8 with a few damaged bytes read without them (not as mojibake), NUL characters removed.
# 7: each document's partnership facts in its manifest entry ("partnerships"). 8: no MiniLM
# vectors for the chunks of Chinese documents (chunks_zh, for BM25 alone). 9: the BM25 index
# saved with the generation (LEXICAL). 10: layers (a run writes only what changed); each
# document's text and record in the store, not in one manifest.json. 11: a page's editor byline
# kept in its cleaned text. 12: each layer keeps the BM25 index of its own chunks, not each
# generation the whole one.
FORMAT_VERSION = 12
LEXICAL = "lexical.npz"
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


def _generations(where: Path | Generations) -> Generations:
    return FolderGenerations(where) if isinstance(where, Path) else where


def open_index(where: Path | Generations,
               with_text: bool = True) -> tuple[LayeredStore, dict]:
    """The store and manifest ({"settings", "documents"}, with their texts unless not
    `with_text`) of the current generation (of the folder, or of `where`); IndexMissing if
    there is none, IndexOutdated if it is of an earlier layout.

    The store is a reader's until it is closed: no `qa index` run removes its generation under
    it while it is open."""
    generations = _generations(where)
    for _ in range(100):  # each turn: the pointer moved on, and its old generation went, meanwhile
        name = generations.current()
        if name is None:
            raise IndexMissing(
                f"No index in {generations.where}. Build it with `qa index` (documents are read "
                "from QA_CORPUS_DIR, default corpus/)."
            )
        store = generations.open(name)
        if store is None:
            continue
        try:
            manifest = {"settings": generations.settings(name),
                        "documents": documents_of(store, with_text)}
            if not manifest["documents"]:
                raise IndexMissing(
                    f"The index in {generations.where} holds no documents. Put files in the "
                    "corpus folder and run `qa index`."
                )
            return store, manifest
        except BaseException:
            store.close()
            raise
    raise IndexBusy(f"the index in {generations.where} changes faster than it can be opened; "
                    "try again")


def documents_of(store: LayeredStore, with_text: bool = True) -> dict:
    """What a generation holds of each document: {source: {"hash", "title", …, "chunk_ids",
    "sentence_ids", "partnerships", and "text" when asked for}}."""
    items, _ = store.get(DOCUMENTS, text=with_text)
    return {item.id: {**json.loads(item.metadata["record"]),
                      **({"text": item.text} if with_text else {})} for item in items}


def generation_of(store: LayeredStore) -> str:
    """The name of the generation a store opened by `open_index` reads."""
    return store.generation


def build_index(
    corpus_dir: Path,
    where: Path | Generations,
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

    generations = _generations(where)
    with generations.lock():
        old = generations.current()
        try:
            built = generations.settings(old) if old else None
        except IndexOutdated as exc:
            if on_warning:
                on_warning(f"{exc} It is rebuilt whole now.")
            old = built = None
        generations.tidy()  # leftovers of a killed run, and an index of an earlier layout
        if built != settings:
            old = None
        previous = generations.open(old) if old else None
        try:
            known = documents_of(previous, with_text=False) if previous else {}
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
                documents.update(_apply_changes(generations, old, report, docs,
                                                (embedder, multilingual), settings,
                                                chunk_chars, chunk_overlap, on_progress))
            report.documents = len(documents)
            report.chunks = sum(len(d["chunk_ids"]) for d in documents.values())
        finally:
            if previous is not None:
                previous.close()
    report.seconds = time.perf_counter() - started
    return report


def _apply_changes(generations: Generations, old: str | None, report: IndexReport,
                   docs: list[SourceDoc],
                   embedders: tuple[Embedder, Embedder | None], settings: dict,
                   chunk_chars: int, chunk_overlap: int,
                   on_progress: Progress | None) -> dict:
    """Write `docs` into the new layer of a generation that no longer holds the documents
    removed or changed, then make it current; what it holds of each document in `docs`."""
    gone = report.removed + report.updated
    begun = generations.begin(old, set(gone))
    store = begun.store
    try:
        rows: list[tuple[str, str, str, dict]] = []  # (collection, id, text, metadata)
        added: dict[str, dict] = {}
        lexical: list[tuple[str, str, Counter]] = []  # the new chunks' terms, for BM25
        for doc in docs:
            chunks = chunk_document(doc, chunk_chars, chunk_overlap)
            lexical += [(c.id, doc.source, Counter(terms(c.text))) for c in chunks]
            sentences = sentences_of(doc)
            meta = {"source": doc.source, "title": doc.title}
            # MiniLM ranks chunks of documents not in Chinese only (retrieve.dense_ranking)
            rows += [("chunks_zh" if doc.language == "zh" else "chunks", c.id, c.text,
                      {**meta, "start": c.start, "end": c.end}) for c in chunks]
            before = None  # the whole sentence before this one
            for s in sentences:
                row = {**meta, "start": s.start, "end": s.end,
                       "sentence_start": s.sentence_start, "sentence_end": s.sentence_end}
                # MiniLM scores Chinese sentences too: with USE in its place CMRC fell from
                # 0.892 to 0.808 on its tune half (docs/decisions.md)
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
                "text": doc.text,  # kept as the document's item's text, not in its record
                "chunk_ids": [c.id for c in chunks],
                "sentence_ids": [s.id for s in sentences],
                "partnerships": extract_partnerships(doc),
            }
        store.add_documents({source: record.pop("text") for source, record in added.items()},
                            {source: json.dumps(record, ensure_ascii=False)
                             for source, record in added.items()})
        for start in range(0, len(rows), EMBED_BATCH):
            batch = rows[start : start + EMBED_BATCH]
            for kind in COLLECTIONS:
                picked = [row for row in batch if row[0] == kind]
                if picked:
                    store.add(kind, [r[1] for r in picked], _vectors(kind, picked, embedders),
                              [r[2] for r in picked], [r[3] for r in picked])
            if on_progress:
                on_progress(start + len(batch), len(rows))
        bm25 = BM25.build(lexical)
        if begun.merged:  # the new layer holds theirs too, before its own
            bm25 = BM25.joined([*_lexical_of(generations, begun.merged), (bm25, ())])
        generations.save(begun.layer, LEXICAL, bm25.to_bytes())
    finally:
        store.close()
    generations.commit(begun.name, settings)
    return added


def _vectors(kind: str, rows: list[tuple[str, str, str, dict]],
             embedders: tuple[Embedder, Embedder | None]):
    """The vectors of a collection's rows: USE for *_ml, none for chunks_zh (BM25 reads their
    text; Chroma stores a vector with every item, so each gets a one-number placeholder),
    MiniLM for the rest."""
    if kind == "chunks_zh":
        return np.ones((len(rows), 1), dtype=np.float32)
    embedder = embedders[1] if kind.endswith("_ml") else embedders[0]
    return embedder.embed([r[2] for r in rows])


def read_lexical(generations: Generations, name: str) -> BM25 | None:
    """The BM25 index of a generation: its layers', joined, less the documents each no longer
    holds; None when a layer was saved without one."""
    try:
        return BM25.joined(_lexical_of(generations, generations.layers(name)))
    except LookupError:
        return None


def _lexical_of(generations: Generations, layers: list[list]) -> list[tuple[BM25, set[str]]]:
    """Each layer's BM25 index, with the documents it no longer holds; LookupError for a layer
    saved without one."""
    parts = []
    for layer, dead in layers:
        data = generations.load(layer, LEXICAL)
        if data is None:
            raise LookupError(f"layer {layer} has no {LEXICAL}")
        parts.append((BM25.from_bytes(data), set(dead)))
    return parts
