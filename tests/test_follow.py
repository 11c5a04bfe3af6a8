"""A running `qa serve` follows the index: when `qa index` makes a new generation current, the
next question is answered from it, with no restart and no failed request, and the generation it
replaces is freed once the server has let go of it."""

import json
import os
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import Server, qa_command

pytestmark = [pytest.mark.integration, pytest.mark.slow]
NEW_QUESTION = "Which university did the Quartz Institute open a joint campus with?"


def _get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {"error": exc.read().decode(errors="replace")}


def _ask(url: str, question: str) -> tuple[int, dict]:
    request = urllib.request.Request(url + "/api/ask", method="POST",
                                     data=json.dumps({"question": question}).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {"error": exc.read().decode(errors="replace")}


def test_a_running_server_follows_a_new_generation_without_a_failed_request(indexed_corpus,
                                                                            tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(indexed_corpus["QA_CORPUS_DIR"], corpus)
    shutil.copytree(indexed_corpus["QA_INDEX_DIR"], index)  # the index already built, copied
    (tmp_path / "data").mkdir()
    env = {"QA_CORPUS_DIR": str(corpus), "QA_INDEX_DIR": str(index),
           "QA_DATA_DIR": str(tmp_path / "data"), "QA_RATE_LIMIT_PER_MINUTE": "0"}
    old = (index / "CURRENT").read_text().strip()
    with Server(env) as server:
        status, health = _get(server.url + "/api/health")
        assert (status, health["generation"]) == (200, old)
        before = health["documents"]
        failures: list = []
        polls = [0]
        indexed_at = threading.Event()  # set once `qa index` has switched CURRENT and exited
        after: list[str] = []  # the generation each health check made after that reported

        def poll() -> None:  # questions and health checks through the re-index, and 5 after
            rounds_after = 0
            while rounds_after < 5:
                done = indexed_at.is_set()
                for status, body in (_ask(server.url, "Which institution chairs the Jiangxi "
                                                      "alliance?"),
                                     _get(server.url + "/api/health")):
                    polls[0] += 1
                    if status != 200:
                        failures.append((status, body))
                if done:
                    rounds_after += 1
                    after.append(body.get("generation"))

        pollers = [threading.Thread(target=poll) for _ in range(3)]
        for poller in pollers:
            poller.start()
        try:
            (corpus / "quartz-institute.txt").write_text(
                "The Quartz Institute opened a joint campus with Harbour University in 2024. "
                "The campus teaches marine engineering.\n")
            indexed = subprocess.run(qa_command() + ["index"], env={**os.environ, **env},
                                     capture_output=True, text=True)
        finally:
            indexed_at.set()
            for poller in pollers:
                poller.join()
        assert indexed.returncode == 0, indexed.stderr
        assert "1 added" in indexed.stdout
        new = (index / "CURRENT").read_text().strip()
        assert new != old
        assert polls[0] >= 30 and failures == []
        assert after == [new] * 15, "each request after the switch answered from the new one"
        # the first question after the switch is answered from the new generation
        status, answer = _ask(server.url, NEW_QUESTION)
        assert status == 200 and "Harbour University" in answer["answer"], answer
        assert answer["citations"][0]["source"] == "quartz-institute.txt"
        status, health = _get(server.url + "/api/health")
        assert (status, health["generation"], health["documents"]) == (200, new, before + 1)
        # the server let go of the old generation, which was freed then
        assert sorted(p.name for p in index.glob("gen-*")) == [new]
        log = Path(tmp_path / "data" / f"server-{server.port}.log").read_text()
    assert "Traceback" not in log, log
