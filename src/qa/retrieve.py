"""Question -> ranked documents and scored sentences.

Three channels rank documents: dense chunks (MiniLM), dense sentences in a multilingual space
(USE, so a Chinese question finds English text) and BM25 over chunks (jieba words for Chinese).
Reciprocal-rank fusion merges them. The sentences of the best documents are then scored on
features that each channel gives, plus whether the sentence holds the kind of answer asked for.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from qa.embedders import Embedder
from qa.store import ChromaStore
from qa.text import answer_type, has_chinese, matches_type, term_set, terms
from qa.types import Hit, Sentence

RRF_K = 60
CHANNEL_DEPTH = 20  # items each channel ranks before fusion
DOCUMENTS_RETURNED = 10
RERANK_DEPTH = 20  # best sentences a cross-encoder re-scores
RERANK_SHARE = 0.7  # the cross-encoder's share of a re-ranked sentence's score
CONTEXT_SHARE = 0.8  # how much the previous sentence's words count towards a sentence's match


@dataclass(frozen=True)
class Weights:
    """How the features of a sentence add up to its score (chosen with benchmarks/tune.py)."""

    dense: float = 0.35  # MiniLM similarity of question and sentence
    multilingual: float = 0.10  # USE similarity of question and sentence
    lexical: float = 0.15  # IDF-weighted share of the question's terms in the sentence
    document: float = 0.0  # fused rank of the sentence's document
    wrong_type: float = 0.30  # taken off when a when/how-many question meets no date/number
    cross_offset: float = 0.10  # added to USE similarity across languages, which runs lower
    # RRF weight of each channel: dense, USE, BM25. BM25 at 1.75 was measured best on the domain
    # set, SQuAD and CMRC together (hit@5 0.975 -> 0.983 and 0.960 -> 0.968; nothing fell).
    channels: tuple[float, float, float] = (1.0, 1.0, 1.75)
    sentence_documents: int = 4  # documents whose sentences are scored


@dataclass(frozen=True)
class Features:
    dense: float
    multilingual: float
    lexical: float
    document: float
    typed: bool
    cross: bool


@dataclass(frozen=True)
class Retrieval:
    query: str
    hits: list[Hit]  # best first, headings left out
    documents: list[dict]  # {"source", "title", "score"}, best first


def score(f: Features, w: Weights) -> float:
    """A sentence's score from its features."""
    if f.cross:  # MiniLM and word overlap mean nothing across languages: USE stands in
        text = (w.dense + w.multilingual + w.lexical) * (f.multilingual + w.cross_offset)
    else:
        text = w.dense * f.dense + w.multilingual * f.multilingual + w.lexical * f.lexical
    return text + w.document * f.document - (0.0 if f.typed else w.wrong_type)


def is_heading(text: str) -> bool:
    """A line without a sentence end: a title or heading, which names a topic but answers nothing."""
    return not re.search(r"[.!?。！？;；:：”\"')）]$", text.strip())


class Lexical:
    """BM25 over chunks, built from the stored chunks when the service starts."""

    def __init__(self, store: ChromaStore) -> None:
        from rank_bm25 import BM25Okapi

        chunks, _ = store.get("chunks")
        self.sources = [c.metadata["source"] for c in chunks]
        tokenized = [terms(c.text) for c in chunks]
        self._bm25 = BM25Okapi(tokenized) if chunks else None
        frequency = Counter(t for tokens in tokenized for t in set(tokens))
        count = max(len(tokenized), 1)
        self.idf = {t: math.log(1 + count / n) for t, n in frequency.items()}
        self.unknown_idf = math.log(1 + count)

    def rank(self, query_terms: list[str], depth: int) -> list[str]:
        """Sources of the best chunks, best first."""
        if self._bm25 is None or not query_terms:
            return []
        scores = self._bm25.get_scores(query_terms)
        best = np.argsort(-scores)[:depth]
        return [self.sources[i] for i in best if scores[i] > 0]

    def coverage(self, query_terms: set[str], text: str) -> float:
        """IDF-weighted share of the query's terms found in the text."""
        if not query_terms:
            return 0.0
        found = term_set(text)
        weight = {t: self.idf.get(t, self.unknown_idf) for t in query_terms}
        return sum(w for t, w in weight.items() if t in found) / sum(weight.values())


def _fuse(rankings: list[list[str]], weights: tuple[float, ...]) -> dict[str, float]:
    """Reciprocal-rank fusion of ranked source lists, scaled so a unanimous first is 1."""
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, source in enumerate(dict.fromkeys(ranking)):
            fused[source] = fused.get(source, 0.0) + weight / (RRF_K + rank + 1)
    top = sum(weights) / (RRF_K + 1)
    return {source: value / top for source, value in fused.items()}


def rerank(reranker, query: str, hits: list[Hit]) -> list[Hit]:
    """The best sentences re-scored: mostly the cross-encoder, partly the features."""
    head, tail = hits[:RERANK_DEPTH], hits[RERANK_DEPTH:]
    relevance = reranker.score(query, [h.sentence.text for h in head])
    head = [replace(h, score=RERANK_SHARE * float(r) + (1 - RERANK_SHARE) * h.score)
            for h, r in zip(head, relevance)]
    head.sort(key=lambda h: h.score, reverse=True)
    return head + tail


def _previous_sentences(items: list) -> dict[str, str]:
    """For each sentence id, the text of the sentence before it in the same document."""
    ordered = sorted(items, key=lambda i: (i.metadata["source"], i.metadata["start"]))
    return {b.id: a.text for a, b in zip(ordered, ordered[1:])
            if a.metadata["source"] == b.metadata["source"]}


class Retriever:
    def __init__(self, store: ChromaStore, embedder: Embedder, multilingual: Embedder | None,
                 documents: dict, weights: Weights | None = None, reranker=None) -> None:
        self.store = store
        self.embedder = embedder
        self.multilingual = multilingual
        self.documents = documents
        self.weights = weights or Weights()
        self.lexical = Lexical(store)
        self.reranker = reranker
        self._cache: dict[str, tuple[list, np.ndarray, np.ndarray]] = {}  # per document

    def search(self, query: str) -> Retrieval:
        w = self.weights
        dense_q = self.embedder.embed([query])[0]
        multi_q = self.multilingual.embed([query])[0] if self.multilingual else None
        query_terms = terms(query)
        rankings = [[i.metadata["source"] for i in self.store.query("chunks", dense_q, CHANNEL_DEPTH)],
                    [i.metadata["source"] for i in self.store.query("sentences_ml", multi_q,
                                                                    CHANNEL_DEPTH)]
                    if multi_q is not None else [],
                    self.lexical.rank(query_terms, CHANNEL_DEPTH)]
        fused = _fuse(rankings, w.channels)
        ranked = sorted(fused, key=fused.get, reverse=True)
        documents = [{"source": s, "title": self.documents[s]["title"], "score": round(fused[s], 4)}
                     for s in ranked[:DOCUMENTS_RETURNED]]
        hits = self._sentences(query, ranked[: w.sentence_documents], fused, dense_q, multi_q,
                               set(query_terms))
        if self.reranker is not None:
            hits = rerank(self.reranker, query, hits)
        return Retrieval(query, hits, documents)

    def _sentences(self, query: str, sources: list[str], fused: dict[str, float],
                   dense_q: np.ndarray, multi_q: np.ndarray | None,
                   query_terms: set[str]) -> list[Hit]:
        if not sources:
            return []
        items, vectors, ml_vectors = self._load_sentences(sources)
        dense = vectors @ dense_q
        multi = ml_vectors @ multi_q if multi_q is not None else np.zeros(len(items))
        kind = answer_type(query)
        chinese_question = has_chinese(query)
        previous = _previous_sentences(items)
        hits = []
        for item, d, m in zip(items, dense, multi):
            if is_heading(item.text):
                continue
            meta = item.metadata
            # a sentence often leans on the one before it ("these partnerships ... total 75")
            lexical = max(self.lexical.coverage(query_terms, item.text),
                          CONTEXT_SHARE * self.lexical.coverage(
                              query_terms, previous.get(item.id, "") + " " + item.text))
            features = Features(
                dense=float(d), multilingual=float(m), lexical=lexical,
                document=fused[meta["source"]], typed=matches_type(kind, item.text),
                cross=multi_q is not None and chinese_question != has_chinese(item.text))
            hits.append(Hit(Sentence(item.id, meta["source"], item.text, meta["start"], meta["end"]),
                            meta["title"], score(features, self.weights), features))
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits

    def _load_sentences(self, sources: list[str]) -> tuple[list, np.ndarray, np.ndarray]:
        """Sentences and their vectors for these documents, read from the store once each."""
        missing = [s for s in sources if s not in self._cache]
        if missing:
            items, vectors = self.store.get("sentences", missing, with_vectors=True)
            ml_by_id = {}
            if self.multilingual:
                ml_items, ml_vectors = self.store.get("sentences_ml", missing, with_vectors=True)
                ml_by_id = dict(zip((i.id for i in ml_items), ml_vectors))
            for source in missing:
                rows = [k for k, item in enumerate(items) if item.metadata["source"] == source]
                ml = [ml_by_id.get(items[k].id) for k in rows] if ml_by_id else []
                self._cache[source] = ([items[k] for k in rows], vectors[rows],
                                       np.asarray(ml, dtype=np.float32).reshape(len(rows), -1))
        parts = [self._cache[s] for s in sources]
        return ([i for p in parts for i in p[0]], np.concatenate([p[1] for p in parts]),
                np.concatenate([p[2] for p in parts]))

    def rescore(self, retrieval: Retrieval, weights: Weights) -> Retrieval:
        """The same candidates scored with other weights (for tuning)."""
        hits = [replace(h, score=score(h.features, weights)) for h in retrieval.hits]
        hits.sort(key=lambda h: h.score, reverse=True)
        return replace(retrieval, hits=hits)
