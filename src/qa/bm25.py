"""The lexical channel's index: BM25 over chunks, kept as a few arrays with each layer of the
index (the layer's own chunks, written once with it) and joined for a generation at start, so
that neither an update nor a service tokenises or rewrites the chunks it did not change.

It scores as rank-bm25's BM25Okapi did when the channel was rebuilt at each start (same
parameters, same formula, same order of operations: the same scores, tested), from the
term counts of each chunk kept as postings (term -> chunks, counts).
"""

from __future__ import annotations

import io
import math
from collections import Counter
from collections.abc import Collection, Iterable
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
        index: dict[str, int] = {}
        ids, sources, lengths, terms_, chunk_of, count_of = [], [], [], [], [], []
        for id_, source, bag in chunks:
            k = len(ids)
            ids.append(id_)
            sources.append(source)
            lengths.append(sum(bag.values()))
            for term, n in bag.items():
                terms_.append(index.setdefault(term, len(index)))
                chunk_of.append(k)
                count_of.append(n)
        return cls._of_postings(ids, sources, list(index), np.asarray(terms_, dtype=np.int64),
                                np.asarray(chunk_of, dtype=np.int64),
                                np.asarray(count_of, dtype=np.int32),
                                np.asarray(lengths, dtype=np.int64))

    @classmethod
    def joined(cls, parts: Iterable[tuple["BM25", Collection[str]]]) -> "BM25":
        """The indexes one after another, each less its chunks of the sources in the set beside
        it: what `build` makes of the chunks kept, in that order (a generation's layers, each
        without the documents it no longer holds). Arrays carried over, nothing tokenised."""
        index: dict[str, int] = {}
        ids: list[str] = []
        sources: list[str] = []
        terms_, chunk_of, count_of, lengths = [], [], [], []
        for part, dead in parts:
            keep = np.asarray([s not in dead for s in part.sources], dtype=bool)
            renumbered = np.cumsum(keep) + (len(ids) - 1)
            live = keep[part.chunks]
            # a term's number here: the part's vocabulary in its order, new terms after
            number = np.asarray([index.setdefault(t, len(index)) for t in part.vocabulary],
                                dtype=np.int64)
            terms_.append(np.repeat(number, np.diff(part.starts))[live])
            chunk_of.append(renumbered[part.chunks[live]])
            count_of.append(part.counts[live])
            lengths.append(part.lengths[keep])
            ids += [i for i, kept in zip(part.ids, keep.tolist()) if kept]
            sources += [s for s, kept in zip(part.sources, keep.tolist()) if kept]

        def joined(arrays: list[np.ndarray], dtype) -> np.ndarray:
            return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype=dtype)
        return cls._of_postings(ids, sources, list(index), joined(terms_, np.int64),
                                joined(chunk_of, np.int64), joined(count_of, np.int32),
                                joined(lengths, np.int64))

    @classmethod
    def _of_postings(cls, ids: list[str], sources: list[str], vocabulary: list[str],
                     terms_: np.ndarray, chunk_of: np.ndarray, count_of: np.ndarray,
                     lengths: np.ndarray) -> "BM25":
        """The index of postings (term number, chunk, count) in chunk order; the terms no
        posting uses (those of chunks left out only) dropped."""
        used = np.bincount(terms_, minlength=len(vocabulary)) > 0
        terms_ = (np.cumsum(used) - 1)[terms_]
        order = np.argsort(terms_, kind="stable")  # by term, each term's chunks in order
        starts = np.zeros(int(used.sum()) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms_, minlength=len(starts) - 1), out=starts[1:])
        return cls(ids, sources, [t for t, u in zip(vocabulary, used.tolist()) if u], starts,
                   chunk_of[order].astype(np.int32), count_of[order].astype(np.int32), lengths)

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
