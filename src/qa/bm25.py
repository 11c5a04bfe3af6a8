"""The lexical channel's index: BM25 over chunks, built when the index is and kept with its
generation as a few arrays, so that a service reads it at start instead of tokenising every chunk.

It scores as rank-bm25's BM25Okapi did when the channel was rebuilt at each start (same
parameters, same formula, same order of operations: the same scores, tested), from the
term counts of each chunk kept as postings (term -> chunks, counts).
"""

from __future__ import annotations

import io
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

K1, B, EPSILON = 1.5, 0.75, 0.25  # BM25Okapi's defaults, which the channel was tuned with


@dataclass
class BM25:
    ids: list[str]  # chunk ids, in the order the index holds them
    sources: list[str]  # each chunk's document
    vocabulary: list[str]  # every term, in order of first use
    starts: np.ndarray  # term t's postings are [starts[t], starts[t + 1])
    chunks: np.ndarray  # per posting: the chunk (an index into ids)
    counts: np.ndarray  # per posting: how often the term occurs in the chunk
    lengths: np.ndarray  # terms per chunk

    @classmethod
    def build(cls, chunks: Iterable[tuple[str, str, Counter]]) -> "BM25":
        """From (chunk id, source, term counts) in the index's order."""
        empty = cls([], [], [], np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int32),
                    np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64))
        return empty.updated(set(), chunks)

    def updated(self, gone: set[str], new: Iterable[tuple[str, str, Counter]]) -> "BM25":
        """The index less the chunks with ids in `gone`, plus `new` after them: the postings of
        the chunks kept are carried over as arrays, and only `new` is counted."""
        keep = np.asarray([id_ not in gone for id_ in self.ids], dtype=bool)
        renumbered = np.cumsum(keep) - 1
        term_of = np.repeat(np.arange(len(self.vocabulary)), np.diff(self.starts))
        live = keep[self.chunks]
        index = {term: t for t, term in enumerate(self.vocabulary)}
        ids = [id_ for id_, kept in zip(self.ids, keep.tolist()) if kept]
        sources = [s for s, kept in zip(self.sources, keep.tolist()) if kept]
        lengths = self.lengths[keep].tolist()
        terms_, chunk_of, count_of = [], [], []
        for id_, source, bag in new:
            k = len(ids)
            ids.append(id_)
            sources.append(source)
            lengths.append(sum(bag.values()))
            for term, n in bag.items():
                terms_.append(index.setdefault(term, len(index)))
                chunk_of.append(k)
                count_of.append(n)
        vocabulary = list(index)
        all_terms = np.concatenate([term_of[live], np.asarray(terms_, dtype=np.int64)])
        used = np.bincount(all_terms, minlength=len(vocabulary)) > 0  # terms of gone chunks only
        all_terms = (np.cumsum(used) - 1)[all_terms]
        order = np.argsort(all_terms, kind="stable")  # by term, each term's chunks in order
        starts = np.zeros(int(used.sum()) + 1, dtype=np.int64)
        np.cumsum(np.bincount(all_terms, minlength=len(starts) - 1), out=starts[1:])
        chunks = np.concatenate([renumbered[self.chunks[live]],
                                 np.asarray(chunk_of, dtype=np.int64)])[order]
        counts = np.concatenate([self.counts[live], np.asarray(count_of, dtype=np.int32)])[order]
        return BM25(ids, sources, [t for t, u in zip(vocabulary, used.tolist()) if u], starts,
                    chunks.astype(np.int32), counts.astype(np.int32),
                    np.asarray(lengths, dtype=np.int64))

    def document_frequency(self) -> np.ndarray:
        return np.diff(self.starts)

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        np.savez(out, ids=np.asarray(self.ids, dtype=str), sources=np.asarray(self.sources, dtype=str),
                 vocabulary=np.asarray(self.vocabulary, dtype=str), starts=self.starts,
                 chunks=self.chunks, counts=self.counts, lengths=self.lengths)
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "BM25":
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            return cls(arrays["ids"].tolist(), arrays["sources"].tolist(),
                       arrays["vocabulary"].tolist(), arrays["starts"], arrays["chunks"],
                       arrays["counts"], arrays["lengths"])


class Scorer:
    """BM25Okapi's scores of every chunk for a query, from the postings."""

    def __init__(self, index: BM25) -> None:
        self.index = index
        self._term = {t: i for i, t in enumerate(index.vocabulary)}
        size = len(index.ids)
        frequency = index.document_frequency().tolist()
        # as BM25Okapi: math.log, summed in order of first use; a term in over half of the
        # chunks gets EPSILON times the average instead of a negative IDF
        idf = [math.log(size - n + 0.5) - math.log(n + 0.5) for n in frequency]
        average = sum(idf) / len(idf) if idf else 0.0
        idf = np.asarray([v if v >= 0 else EPSILON * average for v in idf], dtype=np.float64)
        length = index.lengths.astype(np.float64)
        mean = float(index.lengths.sum()) / size if size else 1.0
        tf = index.counts.astype(np.float64)
        per_posting = length[index.chunks]
        # BM25Okapi's expression, term by term, in its order of operations
        self._weights = np.repeat(idf, np.diff(index.starts)) * (
            tf * (K1 + 1) / (tf + K1 * (1 - B + B * per_posting / mean)))

    def scores(self, query_terms: list[str]) -> np.ndarray:
        out = np.zeros(len(self.index.ids))
        for term in query_terms:
            t = self._term.get(term)
            if t is not None:
                a, b = self.index.starts[t], self.index.starts[t + 1]
                out[self.index.chunks[a:b]] += self._weights[a:b]
        return out


def of_store(store) -> BM25:
    """The BM25 index of a store's chunks, tokenised here: for a generation saved without one."""
    from qa.text import terms

    chunks = store.get("chunks")[0] + store.get("chunks_zh")[0]
    return BM25.build((c.id, c.metadata["source"], Counter(terms(c.text))) for c in chunks)
