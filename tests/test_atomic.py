"""A `qa index` run killed part-way leaves the previous index answering exactly as before."""

import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from qa.config import Settings
from qa.index import current_generation
from qa.service import QAService, run_index

from conftest import SEED_CORPUS, qa_command

pytestmark = [pytest.mark.integration, pytest.mark.slow]
QUESTION = "Which UK university did Chongqing Medical University set up a joint college with?"


def _wait_until_embedding(progress_log, index_dir, current, proc, timeout=120.0):
    """Wait until the run has written a new generation and embedded some passages into it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "indexing ended before it could be interrupted"
        started = re.search(r"\| ([1-9]\d*)/(\d+) ", progress_log.read_text())
        if started and int(started.group(1)) < int(started.group(2)):
            assert [p for p in index_dir.glob("gen-*") if p != current]
            return
        time.sleep(0.05)
    raise AssertionError("indexing never started embedding")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_index_run_changes_nothing_and_the_next_run_completes(tmp_path, sig):
    shutil.copytree(SEED_CORPUS, tmp_path / "corpus")
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    run_index(settings)
    before_generation = current_generation(settings.index_dir)
    reader = QAService(settings)
    before = reader.ask(QUESTION)
    reader.close()

    for i in range(60):
        sentences = " ".join(f"Extra note {i}.{j} describes exchange visit number {j} of college {i}."
                             for j in range(20))
        (settings.corpus_dir / f"extra-{i:02d}.txt").write_text(sentences)
    env = {**os.environ, "QA_CORPUS_DIR": str(settings.corpus_dir),
           "QA_INDEX_DIR": str(settings.index_dir)}
    progress_log = tmp_path / "progress.log"
    with open(progress_log, "w") as log:
        # as from a terminal: a shell's background job would start it with Ctrl-C ignored
        proc = subprocess.Popen(qa_command() + ["index"], env=env, stdout=log, stderr=log,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    _wait_until_embedding(progress_log, settings.index_dir, before_generation, proc)
    proc.send_signal(sig)
    proc.wait(timeout=120)  # Ctrl-C lands between embedding calls, which a loaded machine slows

    assert current_generation(settings.index_dir) == before_generation
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
    assert QAService(settings).stats()["documents"] == 65
