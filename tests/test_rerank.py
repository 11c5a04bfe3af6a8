"""The pluggable cross-encoder path, with a tiny BERT cross-encoder built locally from a config
(random weights: this tests the machinery, not relevance)."""

import numpy as np
import pytest

from qa.rerankers import CrossEncoderReranker, make_reranker
from qa.retrieve import RERANK_DEPTH, rerank
from qa.types import Hit, Sentence

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory) -> str:
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    folder = tmp_path_factory.mktemp("tiny-ce")
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "which", "university", "leicester",
             "chongqing", "medical", "joint", "college", "the", "of", "and", "weather", "is"]
    (folder / "vocab.txt").write_text("\n".join(words) + "\n")
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(str(folder))
    config = BertConfig(vocab_size=len(words), hidden_size=16, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=32, num_labels=1)
    BertForSequenceClassification(config).save_pretrained(str(folder))
    return str(folder)


def _hit(n: int, score: float) -> Hit:
    text = "the joint college of chongqing medical and leicester" if n % 2 else "the weather is"
    return Hit(Sentence(str(n), "a.txt", f"{text} {n}", 0, 10), "A", score)


def test_cross_encoder_rescores_the_best_hits(tiny_cross_encoder):
    reranker = CrossEncoderReranker(tiny_cross_encoder)
    relevance = reranker.score("which university", ["the joint college", "the weather is"])
    assert relevance.shape == (2,) and np.all((relevance > 0) & (relevance < 1))
    hits = [_hit(n, 1.0 - n / 100) for n in range(RERANK_DEPTH + 5)]
    reranked = rerank(reranker, "which university", hits)
    head = reranked[:RERANK_DEPTH]
    assert [h.score for h in head] == sorted((h.score for h in head), reverse=True)
    assert {h.sentence.id for h in head} == {h.sentence.id for h in hits[:RERANK_DEPTH]}
    assert reranked[RERANK_DEPTH:] == hits[RERANK_DEPTH:], "the rest keep their place"


def test_no_reranker_by_default():
    assert make_reranker("none") is None
    assert isinstance(make_reranker("/some/folder"), CrossEncoderReranker)


def test_the_service_answers_through_a_reranker(indexed_corpus, tiny_cross_encoder):
    from qa.config import Settings
    from qa.service import QAService

    service = QAService(Settings(corpus_dir=indexed_corpus["QA_CORPUS_DIR"],
                                 index_dir=indexed_corpus["QA_INDEX_DIR"],
                                 reranker=tiny_cross_encoder, min_score=0.0))
    assert isinstance(service.retriever.reranker, CrossEncoderReranker)
    answer = service.ask("Which UK university set up a joint college with Chongqing Medical University?")
    assert answer.citations
    for c in answer.citations:
        assert service.documents[c.source]["text"][c.start:c.end] == c.quote
