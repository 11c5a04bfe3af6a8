"""Question -> ranked sentences (hits) and ranked documents."""

from __future__ import annotations

from dataclasses import dataclass

from qa.embedders import Embedder
from qa.store import ChromaStore
from qa.text import terms
from qa.types import Hit, Sentence

# Weights of a sentence's score; their sum is 1 so scores stay in [0, 1].
W_SENTENCE, W_CHUNK, W_LEXICAL = 0.5, 0.2, 0.3
SENTENCES_PER_QUERY = 40


@dataclass(frozen=True)
class Retrieval:
    query: str
    hits: list[Hit]  # best first
    documents: list[dict]  # {"source", "title", "score"}, best first


def lexical_overlap(question_terms: set[str], text: str) -> float:
    """Share of the question's content terms that the text contains."""
    if not question_terms:
        return 0.0
    return len(question_terms & set(terms(text))) / len(question_terms)


class Retriever:
    """Dense retrieval of chunks, then scoring of the sentences of the best documents."""

    def __init__(self, store: ChromaStore, embedder: Embedder, documents: dict, top_k: int) -> None:
        self.store = store
        self.embedder = embedder
        self.documents = documents
        self.top_k = top_k

    def search(self, query: str) -> Retrieval:
        vector = self.embedder.embed([query])[0]
        doc_scores: dict[str, float] = {}
        for item in self.store.query("chunks", vector, self.top_k):
            source = item.metadata["source"]
            doc_scores[source] = max(doc_scores.get(source, -1.0), item.similarity)
        ranked = sorted(doc_scores, key=doc_scores.get, reverse=True)
        if not ranked:
            return Retrieval(query, [], [])
        question_terms = set(terms(query))
        hits = []
        for item in self.store.query("sentences", vector, SENTENCES_PER_QUERY, sources=ranked):
            meta = item.metadata
            source = meta["source"]
            lexical = lexical_overlap(question_terms, item.text)
            score = (W_SENTENCE * item.similarity + W_CHUNK * doc_scores[source]
                     + W_LEXICAL * lexical)
            hits.append(Hit(Sentence(item.id, source, item.text, meta["start"], meta["end"]),
                            meta["title"], score, item.similarity, lexical, ranked.index(source)))
        hits.sort(key=lambda h: h.score, reverse=True)
        documents = [{"source": s, "title": self.documents[s]["title"], "score": doc_scores[s]}
                     for s in ranked]
        return Retrieval(query, hits, documents)
