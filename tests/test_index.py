"""Incremental, idempotent indexing through real Chroma on tmp_path, with the hashing embedder."""

import json
from pathlib import Path

import numpy as np
import pytest

from qa.embedders import HashingEmbedder
from qa.errors import IndexBusy, IndexMissing, IndexOutdated
from qa.index import _lock, current_generation, open_index
from qa.service import run_index


def _documents(index_dir: Path) -> dict:
    store, manifest = open_index(index_dir)
    store.close()
    return manifest["documents"]


def _ids(index_dir: Path) -> dict:
    return {k: (v["hash"], v["chunk_ids"]) for k, v in _documents(index_dir).items()}


def test_first_build_then_unchanged_rerun(settings, fake_embedder):
    first = run_index(settings, fake_embedder)
    assert len(first.added) == 5 and first.chunks > 5 and not first.skipped
    generation = current_generation(settings.index_dir)
    again = run_index(settings, fake_embedder)
    assert len(again.unchanged) == 5 and not again.changed and again.chunks_embedded == 0
    assert current_generation(settings.index_dir) == generation, "nothing changed, no new copy"
    store, manifest = open_index(settings.index_dir)
    assert store.count("chunks") + store.count("chunks_zh") == first.chunks
    assert store.count("sentences") == sum(len(d["sentence_ids"]) for d in manifest["documents"].values())
    store.close()


def test_changed_added_and_deleted_documents(settings, fake_embedder, corpus):
    run_index(settings, fake_embedder)
    before = _ids(settings.index_dir)
    changed = corpus / "chongqing-creation-vocational-college-international-office.txt"
    changed.write_text(changed.read_text() + "\nThe office also hosts visiting scholars from Kenya.")
    (corpus / "new.md").write_text("A new note about a joint programme with the University of Ghana.")
    (corpus / "china-education-opening-international-exchange-encyclopedia.txt").unlink()
    report = run_index(settings, fake_embedder)
    assert report.added == ["new.md"]
    assert report.updated == [changed.name]
    assert report.removed == ["china-education-opening-international-exchange-encyclopedia.txt"]
    assert len(report.unchanged) == 3
    after = _ids(settings.index_dir)
    assert set(after) == set(before) - {"china-education-opening-international-exchange-encyclopedia.txt"} | {"new.md"}
    for source in report.unchanged:
        assert after[source] == before[source]
    store, manifest = open_index(settings.index_dir)
    assert store.count("chunks") + store.count("chunks_zh") == sum(len(ids) for _, ids in after.values())
    found = store.query("sentences", fake_embedder.embed(["Kenya visiting scholars"])[0], 3)
    assert any("Kenya" in item.text for item in found)
    store.close()


def test_reindex_from_scratch_gives_the_same_ids(settings, fake_embedder, tmp_path):
    run_index(settings, fake_embedder)
    other = settings.model_copy(update={"index_dir": tmp_path / "other"})
    run_index(other, fake_embedder)
    assert _ids(settings.index_dir) == _ids(other.index_dir)


def test_a_new_chunk_size_rebuilds_everything(settings, fake_embedder):
    run_index(settings, fake_embedder)
    report = run_index(settings.model_copy(update={"chunk_chars": 400}), fake_embedder)
    assert len(report.added) == 5 and not report.unchanged


def test_broken_file_is_skipped_and_the_rest_indexed(settings, fake_embedder, corpus):
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (corpus / "blank.txt").write_text("   \n")
    report = run_index(settings, fake_embedder)
    assert len(report.added) == 5
    assert any("broken.pdf" in w for w in report.skipped)
    assert any("blank.txt" in w for w in report.skipped)


def test_missing_index_and_empty_index_say_what_to_run(settings, fake_embedder, corpus):
    with pytest.raises(IndexMissing, match="qa index"):
        open_index(settings.index_dir)
    for path in corpus.iterdir():
        path.unlink()
    run_index(settings, fake_embedder)
    with pytest.raises(IndexMissing, match="qa index"):
        open_index(settings.index_dir)


def test_missing_corpus_folder(settings, fake_embedder, tmp_path):
    with pytest.raises(IndexMissing, match="does not exist"):
        run_index(settings.model_copy(update={"corpus_dir": tmp_path / "nope"}), fake_embedder)


def test_one_indexing_run_at_a_time(settings, fake_embedder):
    with _lock(settings.index_dir):
        with pytest.raises(IndexBusy, match="another"):
            run_index(settings, fake_embedder)


def test_leftover_of_a_killed_run_is_cleaned(settings, fake_embedder):
    run_index(settings, fake_embedder)
    stale, layer = settings.index_dir / "gen-killed", settings.index_dir / "layer-killed"
    stale.mkdir()
    (layer / "half-written").mkdir(parents=True)
    report = run_index(settings, fake_embedder)
    assert not report.changed
    assert not stale.exists() and not layer.exists()
    assert json.loads((current_generation(settings.index_dir) / "generation.json").read_text())


def test_runs_of_clauses_are_stored_with_their_sentence(settings, fake_embedder):
    run_index(settings, fake_embedder, multilingual=fake_embedder)
    store, manifest = open_index(settings.index_dir)
    whole, _ = store.get("sentences_ml")
    runs, _ = store.get("runs_ml")
    assert all(i.metadata["sentence_start"] == -1 for i in whole)
    assert runs, "the seed corpus has sentences of over 40 words"
    for run in runs:
        text = manifest["documents"][run.metadata["source"]]["text"]
        assert text[run.metadata["start"]:run.metadata["end"]] == run.text
        assert run.metadata["sentence_start"] <= run.metadata["start"] < run.metadata["end"] \
            <= run.metadata["sentence_end"]
    vector = fake_embedder.embed([runs[0].text])[0]
    assert store.query("runs_ml", vector, 1)[0].text == runs[0].text
    store.close()


def test_each_short_sentence_but_a_documents_first_is_stored_read_after_the_one_before(
        settings, fake_embedder):
    from qa.ingest import LONG_SENTENCE_WORDS
    from qa.text import word_count

    run_index(settings, fake_embedder, multilingual=fake_embedder)
    store, _ = open_index(settings.index_dir)
    whole = sorted((i for i in store.get("sentences")[0] if i.metadata["sentence_start"] < 0),
                   key=lambda i: (i.metadata["source"], i.metadata["start"]))
    contexts = {i.id: i.text for i in store.get("contexts")[0]}
    pairs = [(a, b) for a, b in zip(whole, whole[1:]) if a.metadata["source"] == b.metadata["source"]]
    expected = {b.id: f"{a.text} {b.text}" for a, b in pairs
                if word_count(b.text) <= LONG_SENTENCE_WORDS}
    assert expected and contexts == expected
    assert len(expected) < len(pairs), "the seed corpus has long sentences, matched by their runs"
    store.close()


def test_items_and_vectors_are_read_by_id_and_no_ids_read_none(settings, fake_embedder):
    run_index(settings, fake_embedder)
    store, _ = open_index(settings.index_dir)
    items, vectors = store.get("sentences", with_vectors=True)
    ids, got = store.vectors("sentences", [items[1].id, items[0].id, "no-such-id"])
    assert sorted(ids) == sorted([items[0].id, items[1].id])
    assert np.allclose(got[ids.index(items[0].id)], vectors[0])
    by_id, _ = store.get("sentences", ids=[items[2].id])
    assert [i.text for i in by_id] == [items[2].text]
    ids, got = store.vectors("sentences", [])
    assert ids == [] and got.size == 0  # not every vector, as Chroma reads no ids
    assert store.get("sentences", ids=[], with_vectors=True)[0] == []
    store.close()


def test_links_out_of_the_corpus_are_never_read(settings, fake_embedder, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("root:x:0:0:root:/root:/bin/bash\n")
    corpus = settings.corpus_dir
    (corpus / "passwd_link.txt").symlink_to(outside / "secret.txt")  # a file outside
    (corpus / "elsewhere").symlink_to(outside, target_is_directory=True)  # a folder outside
    (corpus / "loop").symlink_to(corpus, target_is_directory=True)  # a loop
    (corpus / "gone.txt").symlink_to(tmp_path / "nothing.txt")  # a dangling link
    (corpus / "self.txt").symlink_to("self.txt")  # links that loop: to itself, to each other
    (corpus / "ping.txt").symlink_to("pong.txt")
    (corpus / "pong.txt").symlink_to("ping.txt")
    inside = corpus / "sub"
    inside.mkdir()
    (inside / "note.txt").write_text("The Lotus Institute partners with Lakeside University.")
    (corpus / "note_link.txt").symlink_to(inside / "note.txt")  # a link inside: followed
    report = run_index(settings, fake_embedder, multilingual=None)
    indexed = _documents(settings.index_dir)
    assert "passwd_link.txt" not in indexed and "gone.txt" not in indexed
    assert not any(s.startswith(("elsewhere/", "loop/")) for s in indexed)
    assert {"sub/note.txt", "note_link.txt"} <= set(indexed)
    assert all("root:x:0:0" not in d.get("text", "") for d in indexed.values())
    warnings = "\n".join(report.skipped)
    assert not {"self.txt", "ping.txt", "pong.txt"} & set(indexed)
    for name in ("passwd_link.txt", "gone.txt", "elsewhere", "loop", "self.txt", "ping.txt",
                 "pong.txt"):
        assert name in warnings
    assert str(tmp_path) not in warnings, "warnings name files relative to the corpus"


def test_each_file_left_out_or_repaired_is_told_as_it_is_found(settings, fake_embedder, corpus):
    from qa.config import Settings

    assert Settings().max_file_mb == 5  # the default
    (corpus / "sub").mkdir()
    (corpus / "sub" / "huge.txt").write_text("A long document about nothing. " * 40_000)  # 1.2 MB
    (corpus / "blank.txt").write_text("   \n")
    (corpus / "damaged.txt").write_bytes(
        "重庆市教育委员会与莱斯特大学合作举办学院。".encode() * 20 + b"\xff"
        + b" The college opened in 2013.")
    heard: list[tuple[str, int]] = []  # each warning, with how many passages were embedded then
    embedded = [0]

    def progress(done: int, total: int) -> None:
        embedded[0] = done

    report = run_index(settings.model_copy(update={"max_file_mb": 1}), fake_embedder,
                       on_progress=progress, multilingual=None,
                       on_warning=lambda w: heard.append((w, embedded[0])))
    assert [w for w, _ in heard] == [
        "skipped sub/huge.txt: 1.2 MB, over the 1 MB limit for one file (QA_MAX_FILE_MB); "
        "not read",
        "skipped blank.txt: holds no usable text",
        "damaged.txt: 1 byte sequence that is not UTF-8 left out; the rest is read as UTF-8"]
    assert all(at == 0 for _, at in heard), "told before any embedding, not at the end"
    assert report.skipped == [w.removeprefix("skipped ") for w, _ in heard[:2]]
    assert report.repaired == [heard[2][0]]
    indexed = _documents(settings.index_dir)
    assert "sub/huge.txt" not in indexed and "damaged.txt" in indexed
    assert "opened in 2013" in indexed["damaged.txt"]["text"]
    # a file that grows over the limit is no longer indexed
    (corpus / "damaged.txt").write_text("A long document about nothing. " * 40_000)
    again = run_index(settings.model_copy(update={"max_file_mb": 1}), fake_embedder,
                      multilingual=None)
    assert again.removed == ["damaged.txt"]
    assert "damaged.txt" not in _documents(settings.index_dir)


def test_a_generation_is_kept_while_a_reader_holds_it_and_freed_when_it_leaves(
        settings, fake_embedder, corpus):
    run_index(settings, fake_embedder, multilingual=None)
    old = current_generation(settings.index_dir)
    store, _ = open_index(settings.index_dir)  # a reader: a server answering from it
    (corpus / "new.txt").write_text("The Quartz Institute opened a campus with Harbour University.")
    run_index(settings, fake_embedder, multilingual=None)
    new = current_generation(settings.index_dir)
    assert new != old and old.exists(), "not deleted under its reader"
    assert store.count("chunks") > 0  # and it still reads
    other, _ = open_index(settings.index_dir)  # a reader of the new generation
    store.close()  # the last reader of the old one leaves: it is freed
    assert sorted(settings.index_dir.glob("gen-*")) == [new]
    other.close()  # the current generation stays, read or not
    assert sorted(settings.index_dir.glob("gen-*")) == [new]
    # a generation no one reads any more is freed by the next run
    store, _ = open_index(settings.index_dir)
    (corpus / "new.txt").write_text("The Quartz Institute opened a campus with Bay University.")
    run_index(settings, fake_embedder, multilingual=None)
    assert new.exists()
    del store
    import gc

    gc.collect()  # a reader dropped without closing lets go when it is collected
    (corpus / "new.txt").write_text("The Quartz Institute opened a campus with Cove University.")
    run_index(settings, fake_embedder, multilingual=None)
    assert sorted(settings.index_dir.glob("gen-*")) == [current_generation(settings.index_dir)]


CHINESE = ("重庆市与英国莱斯特大学合作举办医学专业本科教育项目。该项目每年招收学生一百二十名，"
           "学制五年。\n学生毕业后获得两校的学位证书。")


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, keeping every text it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.texts += texts
        return super().embed(texts)


def test_chunks_of_chinese_documents_get_no_minilm_vectors(settings):
    (settings.corpus_dir / "leicester.txt").write_text(CHINESE, encoding="utf-8")
    minilm, use = CountingEmbedder(), CountingEmbedder()
    run_index(settings, minilm, multilingual=use)
    store, manifest = open_index(settings.index_dir)
    chinese = [d for d in manifest["documents"].values() if d["language"] == "zh"]
    english = [d for d in manifest["documents"].values() if d["language"] != "zh"]
    assert len(chinese) == 1 and english
    doc = chinese[0]
    assert store.vectors("chunks", doc["chunk_ids"])[0] == []
    assert sorted(i.id for i in store.get("chunks_zh", ids=doc["chunk_ids"])[0]) \
        == sorted(doc["chunk_ids"])
    # its sentences keep theirs: MiniLM scores Chinese sentences (docs/decisions.md)
    assert len(store.vectors("sentences", doc["sentence_ids"])[0]) == len(doc["sentence_ids"])
    chunk_texts = {i.text for i in store.get("chunks_zh", ids=doc["chunk_ids"])[0]}
    assert not chunk_texts & set(minilm.texts) and chunk_texts - set(minilm.texts)
    for doc in english:
        assert len(store.vectors("chunks", doc["chunk_ids"])[0]) == len(doc["chunk_ids"])
    store.close()


def test_an_index_of_the_layout_before_layers_is_rebuilt_with_a_message(settings,
                                                                       fake_embedder):
    old = settings.index_dir / "gen-20261201T000000-0123abcd"
    (old / "chroma").mkdir(parents=True)
    (old / "manifest.json").write_text(json.dumps({"settings": {"format": 9}, "documents": {}}))
    (old / ".readers").touch()
    (settings.index_dir / "CURRENT").write_text(old.name)
    with pytest.raises(IndexOutdated, match="earlier version of qa.*`qa index`"):
        open_index(settings.index_dir)
    warnings = []
    report = run_index(settings, fake_embedder, on_warning=warnings.append)
    assert len(report.added) == 5
    assert warnings == [f"The index in {settings.index_dir}/ was built by an earlier version of "
                        "qa, which kept it in another layout; rebuild it with `qa index`. It is "
                        "rebuilt whole now."]
    assert not old.exists() and len(_documents(settings.index_dir)) == 5
