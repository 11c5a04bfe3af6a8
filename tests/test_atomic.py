"""A `qa index` run killed part-way leaves the previous index answering exactly as before."""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from qa.config import Settings
from qa.index import current_generation
from qa.service import QAService, make_generations, run_index

from conftest import SEED_CORPUS, qa_command

pytestmark = [pytest.mark.integration, pytest.mark.slow]
QUESTION = "Which UK university did Chongqing Medical University set up a joint college with?"


def _wait_until_embedding(progress_log, new_generations, proc, timeout=120.0):
    """Wait until the run has written a new generation and embedded some passages into it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "indexing ended before it could be interrupted"
        started = re.search(r"\| ([1-9]\d*)/(\d+) ", progress_log.read_text())
        if started and int(started.group(1)) < int(started.group(2)):
            assert new_generations()
            return
        time.sleep(0.05)
    raise AssertionError("indexing never started embedding")


def _layer_items(index_dir, generation) -> dict[str, str]:
    """A hash of every item (id, text, metadata, vector) of each layer a generation reads.
    (Not of the files: an embedded Chroma rewrites some of them when it opens, reading only.)"""
    from qa.store import KINDS, ChromaStore, folder_client

    layers = json.loads((generation / "generation.json").read_text())["layers"]
    out = {}
    for name, _ in layers:
        store = ChromaStore(folder_client(index_dir / name), create=False)
        for kind in KINDS:
            items, vectors = store.get(kind, with_vectors=True)
            rows = sorted(repr((i.id, i.text, sorted(i.metadata.items()), v.tolist()))
                          for i, v in zip(items, vectors))
            out[f"{name}/{kind}"] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        store.close()
    return out


def _add_extra_documents(corpus) -> None:
    for i in range(60):
        sentences = " ".join(f"Extra note {i}.{j} describes exchange visit number {j} of college {i}."
                             for j in range(20))
        (corpus / f"extra-{i:02d}.txt").write_text(sentences)


def _start_index_run(env, progress_log):
    with open(progress_log, "w") as log:
        # as from a terminal: a shell's background job would start it with Ctrl-C ignored
        return subprocess.Popen(qa_command() + ["index"], env=env, stdout=log, stderr=log,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_index_run_changes_nothing_and_the_next_run_completes(tmp_path, sig):
    shutil.copytree(SEED_CORPUS, tmp_path / "corpus")
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    run_index(settings)
    before_generation = current_generation(settings.index_dir)
    reader = QAService(settings)
    before = reader.ask(QUESTION)
    reader.close()
    before_items = _layer_items(settings.index_dir, before_generation)

    _add_extra_documents(settings.corpus_dir)
    env = {**os.environ, "QA_CORPUS_DIR": str(settings.corpus_dir),
           "QA_INDEX_DIR": str(settings.index_dir)}
    progress_log = tmp_path / "progress.log"
    proc = _start_index_run(env, progress_log)
    _wait_until_embedding(progress_log, lambda: [p for p in settings.index_dir.glob("gen-*")
                                                 if p != before_generation], proc)
    proc.send_signal(sig)
    proc.wait(timeout=120)  # Ctrl-C lands between embedding calls, which a loaded machine slows

    assert current_generation(settings.index_dir) == before_generation
    assert _layer_items(settings.index_dir, before_generation) == before_items, \
        "the layers the current generation reads were not written"
    after_kill = QAService(settings)
    assert after_kill.stats()["documents"] == 5
    answer = after_kill.ask(QUESTION)
    assert (answer.answer, answer.citations) == (before.answer, before.citations)

    finished = subprocess.run(qa_command() + ["index"], env=env, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert "60 added, 0 updated, 0 removed, 5 unchanged documents" in finished.stdout
    # the generation after_kill still reads is kept for it, and freed when it lets go
    current = current_generation(settings.index_dir)
    assert sorted(p.name for p in settings.index_dir.glob("gen-*")) == sorted(
        [before_generation.name, current.name])
    assert after_kill.ask(QUESTION).answer == before.answer
    after_kill.close()
    assert [p.name for p in settings.index_dir.glob("gen-*")] == [current.name]
    # the killed run's layer is gone; the new generation reads the old layer and its own
    layers = [name for name, _ in json.loads((current / "generation.json").read_text())["layers"]]
    assert sorted(p.name for p in settings.index_dir.glob("layer-*")) == sorted(layers)
    assert len(layers) == 2
    assert _layer_items(settings.index_dir, current).items() >= before_items.items()
    assert QAService(settings).stats()["documents"] == 65


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_on_a_chroma_server_a_killed_run_changes_nothing_and_the_next_run_completes(
        tmp_path, chroma_server, sig):
    shutil.copytree(SEED_CORPUS, tmp_path / "corpus")
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index",
                        chroma_url=chroma_server, chroma_index=f"atomic-{sig.name.lower()}")
    generations = make_generations(settings)
    run_index(settings)
    before_generation = generations.current()
    reader = QAService(settings)
    before = reader.ask(QUESTION)
    reader.close()

    _add_extra_documents(settings.corpus_dir)
    env = {**os.environ, "QA_CORPUS_DIR": str(settings.corpus_dir),
           "QA_INDEX_DIR": str(settings.index_dir), "QA_CHROMA_URL": chroma_server,
           "QA_CHROMA_INDEX": settings.chroma_index}
    progress_log = tmp_path / "progress.log"
    proc = _start_index_run(env, progress_log)
    _wait_until_embedding(progress_log, lambda: generations.names() - {before_generation}, proc)
    proc.send_signal(sig)
    proc.wait(timeout=120)

    assert generations.current() == before_generation
    after_kill = QAService(settings)
    assert after_kill.stats()["documents"] == 5
    answer = after_kill.ask(QUESTION)
    assert (answer.answer, answer.citations) == (before.answer, before.citations)

    finished = subprocess.run(qa_command() + ["index"], env=env, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert "60 added, 0 updated, 0 removed, 5 unchanged documents" in finished.stdout
    # the killed run's generation is gone; the one before is kept for the readers still on it
    current = generations.current()
    assert generations.names() == {before_generation, current}
    assert after_kill.ask(QUESTION).answer == before.answer
    after_kill.close()
    assert QAService(settings).stats()["documents"] == 65
    assert not settings.index_dir.exists(), "a server index keeps nothing in the folder"
