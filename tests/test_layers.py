"""An update writes only what changed, into a new layer, in a folder and on a real Chroma server:
the layers the current generation reads are never written again, a reader keeps its generation
while runs go on, and a generation reads at most MAX_LAYERS layers."""

import json
import time

import pytest

import numpy as np

from qa.bm25 import Scorer
from qa.generations import LOCK_STALE_S, MAX_LAYERS
from qa.index import LEXICAL, open_index, read_lexical
from qa.service import make_generations, run_index
from qa.store import KINDS, ChromaStore, server_client
from qa.text import terms

pytestmark = [pytest.mark.integration]
NEW = "A note about a joint programme between Quartz Institute and Harbour University."


@pytest.fixture(params=["folder", "server"])
def index_settings(request, settings):
    """The test's settings with the index in a folder, or on the session's Chroma server."""
    if request.param == "folder":
        return settings
    return request.getfixturevalue("server_settings")


def _layers(settings) -> list[list]:
    generations = make_generations(settings)
    name = generations.current()
    if settings.chroma_url:
        return json.loads(generations._record(name)["layers"])
    return json.loads((settings.index_dir / name / "generation.json").read_text())["layers"]


def _items(settings, layer: str) -> dict[str, list]:
    """Every item of each collection of a layer: id, text, metadata and vector."""
    if settings.chroma_url:
        client = server_client(settings.chroma_url)
        prefix = f"{settings.chroma_index}-{layer}-"
    else:
        from qa.store import folder_client

        client, prefix = folder_client(settings.index_dir / layer), ""
    store = ChromaStore(client, prefix, create=False)
    try:
        out = {}
        for kind in KINDS:
            items, vectors = store.get(kind, with_vectors=True)
            out[kind] = sorted((i.id, i.text, json.dumps(i.metadata, sort_keys=True),
                                tuple(v.tolist())) for i, v in zip(items, vectors))
        return out
    finally:
        store.close()


def _nearest(store, kind: str, vector) -> tuple[list[float], set[str]]:
    """The similarities of the nearest items, and the ids of those above the last (the hashing
    embedder gives ties, and either of two tied items may come last)."""
    found = store.query(kind, vector, 5)
    similarities = [round(i.similarity, 4) for i in found]  # a server, float32
    return similarities, {i.id for i, s in zip(found, similarities) if s > similarities[-1]}


def _manifest(settings) -> dict:
    store, manifest = open_index(make_generations(settings))
    store.close()
    return manifest


def test_an_update_writes_only_the_changed_documents_items(index_settings, fake_embedder,
                                                           corpus):
    run_index(index_settings, fake_embedder, multilingual=fake_embedder)
    [[base, []]] = _layers(index_settings)
    base_items = _items(index_settings, base)
    base_lexical = make_generations(index_settings).load(base, LEXICAL)

    (corpus / "quartz.txt").write_text(NEW)
    report = run_index(index_settings, fake_embedder, multilingual=fake_embedder)
    assert report.added == ["quartz.txt"] and len(report.unchanged) == 5
    [[first, []], [layer, []]] = _layers(index_settings)
    assert first == base and _items(index_settings, base) == base_items, "nothing rewritten"
    assert make_generations(index_settings).load(base, LEXICAL) == base_lexical, "nor its BM25"
    if not index_settings.chroma_url:  # and nothing copied: the generation's folder is small
        generation = index_settings.index_dir / make_generations(index_settings).current()
        assert sorted(p.name for p in generation.iterdir()) == [
            ".readers", "generation.json"]
        assert (index_settings.index_dir / layer / "lexical.npz").exists(), "its own BM25"
    quartz = _manifest(index_settings)["documents"]["quartz.txt"]
    added = _items(index_settings, layer)
    assert [i[0] for i in added["documents"]] == ["quartz.txt"]
    assert sorted(i[0] for i in added["chunks"] + added["chunks_zh"]) == sorted(quartz["chunk_ids"])
    assert sorted(i[0] for i in added["sentences"]) == sorted(quartz["sentence_ids"])

    # a changed document: its new items in a third layer, its old ones no longer read
    (corpus / "quartz.txt").write_text(NEW.replace("Harbour", "Cove"))
    report = run_index(index_settings, fake_embedder, multilingual=fake_embedder)
    assert report.updated == ["quartz.txt"]
    layers = _layers(index_settings)
    assert [name for name, _ in layers[:2]] == [base, layer] and len(layers) == 3
    assert all(dead == ["quartz.txt"] for _, dead in layers[:2])
    store, manifest = open_index(make_generations(index_settings))
    try:
        assert store.count("sentences") == sum(len(d["sentence_ids"])
                                               for d in manifest["documents"].values())
        found = store.query("sentences", fake_embedder.embed([NEW])[0], 3)
        assert "Cove" in found[0].text and not any("Harbour" in i.text for i in found)
        assert "Cove" in manifest["documents"]["quartz.txt"]["text"]
    finally:
        store.close()


def test_layers_past_the_most_are_merged_and_read_as_a_fresh_build(index_settings,
                                                                   fake_embedder, corpus,
                                                                   tmp_path):
    run_index(index_settings, fake_embedder, multilingual=None)
    for k in range(MAX_LAYERS + 1):
        (corpus / f"note-{k % 3}.txt").write_text(f"Note {k}: {NEW}")
        run_index(index_settings, fake_embedder, multilingual=None)
        assert len(_layers(index_settings)) <= MAX_LAYERS
    fresh = index_settings.model_copy(update={"chroma_url": "", "index_dir": tmp_path / "fresh"})
    run_index(fresh, fake_embedder, multilingual=None)
    assert _manifest(index_settings)["documents"] == _manifest(fresh)["documents"]
    vector = fake_embedder.embed(["Note 4 Quartz Institute"])[0]
    merged, _ = open_index(make_generations(index_settings))
    again, _ = open_index(fresh.index_dir)
    try:
        for kind in ("chunks", "sentences", "contexts"):
            assert merged.count(kind) == again.count(kind)
            assert _nearest(merged, kind, vector) == _nearest(again, kind, vector)
    finally:
        merged.close()
        again.close()
    # the generation's BM25, its layers' joined (the merged one's written by the merge), scores
    # each chunk as a fresh build does
    joined = read_lexical(make_generations(index_settings), make_generations(index_settings).current())
    built = read_lexical(make_generations(fresh), make_generations(fresh).current())
    assert sorted(joined.ids) == sorted(built.ids)
    assert len(set(joined.sources)) == len(_manifest(fresh)["documents"])
    for query in map(terms, ("Note 4", "Quartz Institute", "Harbour University", "joint")):
        got = dict(zip(joined.ids, Scorer(joined).scores(query)))
        want = dict(zip(built.ids, Scorer(built).scores(query)))
        assert np.allclose([got[i] for i in built.ids], [want[i] for i in built.ids],
                           rtol=1e-12, atol=0), query
    if not index_settings.chroma_url:  # the layers no generation reads are deleted
        listed = {name for name, _ in _layers(index_settings)}
        assert {p.name for p in index_settings.index_dir.glob("layer-*")} == listed


def test_on_a_server_a_reader_keeps_its_generation_while_runs_commit_and_tidy(
        server_settings, fake_embedder, corpus):
    generations = make_generations(server_settings)
    run_index(server_settings, fake_embedder, multilingual=None)
    held = generations.current()
    reader, _ = open_index(generations)
    vector = fake_embedder.embed(["joint college with a UK university"])[0]
    before = [(i.id, i.text, i.similarity) for i in reader.query("sentences", vector, 5)]
    for k in range(3):  # past the one before the current, which is kept anyway
        (corpus / "quartz.txt").write_text(f"{NEW} Round {k}.")
        run_index(server_settings, fake_embedder, multilingual=None)
    assert generations.current() != held and held in generations.names(), "held: kept"
    assert [(i.id, i.text, i.similarity) for i in reader.query("sentences", vector, 5)] == before
    assert "quartz.txt" not in {i.metadata["source"] for i in reader.get("chunks")[0]}
    reader.close()  # its lease goes with it: the next run removes the generation
    (corpus / "quartz.txt").write_text(f"{NEW} Round 4.")
    run_index(server_settings, fake_embedder, multilingual=None)
    assert held not in generations.names()


def test_on_a_server_a_lease_not_renewed_is_taken_for_a_dead_reader(server_settings,
                                                                   fake_embedder, corpus):
    generations = make_generations(server_settings)
    run_index(server_settings, fake_embedder, multilingual=None)
    held = generations.current()
    generations._put("reader-dead", {"generation": held, "beat": time.time() - LOCK_STALE_S - 1})
    for k in range(3):
        (corpus / "quartz.txt").write_text(f"{NEW} Round {k}.")
        run_index(server_settings, fake_embedder, multilingual=None)
    assert held not in generations.names()
    assert generations._record("reader-dead") is None
