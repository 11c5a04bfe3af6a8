"""The saved BM25 index: the scores rank-bm25 gave, kept with each layer and joined for its
generation."""

import json
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


def _layers(corpus) -> tuple[list[tuple[BM25, set[str]]], list[tuple[str, str, Counter]]]:
    """Three layers as a generation reads them (each less the documents a later one changed or
    removed), and the chunks they hold, in order."""
    (corpus / "leicester.txt").write_text(CHINESE, encoding="utf-8")
    chunks = [(i, s, Counter(t)) for i, s, t in _chunks(corpus)]
    sources = list(dict.fromkeys(s for _, s, _ in chunks))
    first = [c for c in chunks if c[1] != sources[-1]]
    second = [c for c in chunks if c[1] == sources[-1]] + [
        ("new#0", "new.txt", Counter(terms("A joint programme with the University of Ghana.")))]
    third = [(sources[1] + "#0", sources[1], Counter(terms("Changed: Kenya's universities.")))]
    layers = [(first, {sources[0], sources[1]}), (second, {"new.txt"}), (third, set())]
    held = [c for part, dead in layers for c in part if c[1] not in dead]
    return [(BM25.build(part), dead) for part, dead in layers], held


def test_layers_joined_score_as_a_build_of_the_chunks_they_hold(corpus):
    layers, held = _layers(corpus)
    joined, again = BM25.joined(layers), BM25.build(held)
    assert joined.ids == again.ids and joined.sources == again.sources
    assert sorted(joined.vocabulary) == sorted(again.vocabulary), "no term of masked chunks only"
    assert np.array_equal(joined.lengths, again.lengths)
    for query in QUERIES + [["ghana"], ["kenya"], ["joint", "univers"]]:
        assert np.allclose(Scorer(joined).scores(query), Scorer(again).scores(query),
                           rtol=1e-12, atol=0), query
    assert not Scorer(joined).scores(["ghana"]).any(), "a masked document scores nothing"
    assert Scorer(joined).scores(["kenya"]).any()


def test_joined_postings_are_a_builds_in_its_vocabulary_order(corpus):
    """The same postings, term by term, as a build of the chunks held: only the order of the
    vocabulary may differ (a layer's own first use, not the generation's)."""
    layers, held = _layers(corpus)
    joined, again = BM25.joined(layers), BM25.build(held)

    def postings(index: BM25) -> dict[str, list[tuple[int, int]]]:
        return {term: list(zip(index.chunks[a:b].tolist(), index.counts[a:b].tolist()))
                for term, a, b in zip(index.vocabulary, index.starts[:-1], index.starts[1:])}
    assert postings(joined) == postings(again)
    assert BM25.joined([]).ids == [] and BM25.joined([(BM25.build([]), set())]).ids == []
    one, _ = layers[0]
    assert BM25.joined([(one, set())]).to_bytes() == one.to_bytes(), "one layer: itself"


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
    [[layer, _]] = generations.layers(generations.current())
    assert (settings.index_dir / layer / LEXICAL).exists()
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
    [[layer, _]] = generations.layers(generations.current())
    (settings.index_dir / layer / LEXICAL).unlink()
    service = QAService(settings, embedder=fake_embedder)
    rebuilt = service.retriever.lexical
    for query in QUERIES:
        assert rebuilt.rank(query, 20) == Lexical(service.store, saved).rank(query, 20)
    assert rebuilt.rank(["chongq"], 20)
    service.store.close()


def test_an_index_of_format_11_answers_from_its_chunks_until_it_is_rebuilt(settings,
                                                                           fake_embedder):
    """Format 11 kept the whole BM25 index with each generation, none with its layers."""
    run_index(settings, fake_embedder, multilingual=None)
    generations = FolderGenerations(settings.index_dir)
    name = generations.current()
    [[layer, _]] = generations.layers(name)
    (settings.index_dir / layer / LEXICAL).rename(settings.index_dir / name / LEXICAL)
    record = json.loads((settings.index_dir / name / "generation.json").read_text())
    record["settings"]["format"] = 11
    (settings.index_dir / name / "generation.json").write_text(json.dumps(record))
    service = QAService(settings, embedder=fake_embedder)
    assert service.outdated, "the commands say to run `qa index`"
    assert service.retriever.lexical.rank(["chongq"], 20)
    service.store.close()
    report = run_index(settings, fake_embedder, multilingual=None)
    assert report.added and not report.unchanged, "rebuilt whole"
    [[rebuilt, _]] = generations.layers(generations.current())
    assert (settings.index_dir / rebuilt / LEXICAL).exists()
