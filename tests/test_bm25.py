"""The saved BM25 index: the scores rank-bm25 gave, kept and updated with the generation."""

from collections import Counter

import numpy as np
from rank_bm25 import BM25Okapi

from qa.bm25 import BM25, Scorer
from qa.index import LEXICAL, read_lexical
from qa.generations import FolderGenerations
from qa.ingest import chunk_document, list_corpus, load_document
from qa.service import QAService, run_index
from qa.text import terms

CHINESE = "重庆大学与英国莱斯特大学合作举办医学项目。该项目每年招收学生一百二十名。"


def _chunks(corpus) -> list[tuple[str, str, list[str]]]:
    out = []
    for path in list_corpus(corpus):
        doc = load_document(path, corpus)
        out += [(c.id, doc.source, terms(c.text)) for c in chunk_document(doc, 800, 150)]
    return out


QUERIES = [["chongq", "univers"], ["partnership", "partnership", "kenya"], ["the"],
           ["no-such-term"], ["莱斯特", "大学", "医学"], ["programm", "重庆"]]


def test_scores_are_bm25okapis_to_the_last_bit(corpus):
    (corpus / "leicester.txt").write_text(CHINESE, encoding="utf-8")
    chunks = _chunks(corpus)
    okapi = BM25Okapi([tokens for _, _, tokens in chunks])
    scorer = Scorer(BM25.build((i, s, Counter(t)) for i, s, t in chunks))
    for query in QUERIES:
        assert np.array_equal(scorer.scores(query), okapi.get_scores(query)), query
    assert any(okapi.get_scores(q).any() for q in QUERIES[-2:]), "Chinese terms are scored too"


def test_an_update_scores_as_a_build_of_the_same_chunks(corpus):
    chunks = [(i, s, Counter(t)) for i, s, t in _chunks(corpus)]
    gone = {i for i, s, _ in chunks if s == chunks[0][1]}
    new = [("new#0", "new.txt", Counter(terms("A joint programme with the University of Ghana.")))]
    updated = BM25.updated(BM25.build(chunks), gone, new)
    again = BM25.build([c for c in chunks if c[0] not in gone] + new)
    assert updated.ids == again.ids and "new#0" in updated.ids and not gone & set(updated.ids)
    for query in QUERIES + [["ghana"]]:
        assert np.allclose(Scorer(updated).scores(query), Scorer(again).scores(query),
                           rtol=1e-12, atol=0)


def test_it_reads_back_as_it_was_saved(corpus):
    index = BM25.build((i, s, Counter(t)) for i, s, t in _chunks(corpus))
    back = BM25.from_bytes(index.to_bytes())
    assert back.ids == index.ids and back.sources == index.sources
    assert back.vocabulary == index.vocabulary
    for name in ("starts", "chunks", "counts", "lengths"):
        assert np.array_equal(getattr(back, name), getattr(index, name))


def test_the_index_is_saved_with_each_generation_and_read_at_start(settings, fake_embedder):
    run_index(settings, fake_embedder, multilingual=None)
    generations = FolderGenerations(settings.index_dir)
    assert (settings.index_dir / generations.current() / LEXICAL).exists()
    (settings.corpus_dir / "new.md").write_text("A joint programme with the University of Ghana.")
    (settings.corpus_dir / "china-education-opening-international-exchange-encyclopedia.txt").unlink()
    run_index(settings, fake_embedder, multilingual=None)
    saved = read_lexical(generations, generations.current())
    service = QAService(settings, embedder=fake_embedder)
    assert sorted(saved.ids) == sorted(c.id for c in service.store.get("chunks")[0])
    assert service.retriever.lexical.sources == saved.sources
    assert service.retriever.lexical.rank(["ghana"], 5) == ["new.md"]
    service.store.close()


def test_a_generation_saved_without_one_is_scored_from_its_chunks(settings, fake_embedder):
    from qa.retrieve import Lexical

    run_index(settings, fake_embedder, multilingual=None)
    generations = FolderGenerations(settings.index_dir)
    saved = read_lexical(generations, generations.current())
    (settings.index_dir / generations.current() / LEXICAL).unlink()
    service = QAService(settings, embedder=fake_embedder)
    rebuilt = service.retriever.lexical
    for query in QUERIES:
        assert rebuilt.rank(query, 20) == Lexical(service.store, saved).rank(query, 20)
    assert rebuilt.rank(["chongq"], 20)
    service.store.close()
