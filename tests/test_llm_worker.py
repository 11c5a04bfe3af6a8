"""The local model runs in a child process: a crash, a hang, an abandoned stream or two
questions at once cost an answer's generation, never the service (fake workers here; the real
SmolLM2 is in test_llm_real.py)."""

import sys
import threading
import time
from pathlib import Path

import pytest

from qa.errors import ModelFailed
from qa.llms import LlamaWorker

FAKE = [sys.executable, str(Path(__file__).with_name("fake_llama_worker.py"))]


def _worker(behaviour: str) -> LlamaWorker:
    worker = LlamaWorker(behaviour, 0, 1)
    worker.argv = FAKE + [behaviour]
    return worker


def _ask(worker: LlamaWorker, text: str, timeout_s: float = 10) -> str:
    return "".join(worker.stream({"messages": [{"role": "user", "content": text}],
                                  "max_tokens": 16}, timeout_s))


def test_tokens_come_back_in_order():
    worker = _worker("echo")
    assert _ask(worker, "one two three") == "one two three "
    worker.stop()


def test_a_crashing_model_fails_the_request_and_not_the_process():
    worker = _worker("crash")
    with pytest.raises(ModelFailed, match="SIGSEGV"):
        _ask(worker, "anything")
    with pytest.raises(ModelFailed, match="SIGSEGV"):  # a new child is started, and fails alike
        _ask(worker, "again")


def test_a_hanging_model_times_out_and_is_stopped():
    worker = _worker("hang")
    started = time.monotonic()
    with pytest.raises(ModelFailed, match="longer than 0.5 s"):
        _ask(worker, "anything", timeout_s=0.5)
    assert time.monotonic() - started < 5
    assert worker._proc is None, "the hung child was stopped"


def test_an_abandoned_stream_stops_the_child_and_the_next_request_works():
    worker = _worker("slow")
    stream = worker.stream({"messages": [{"role": "user", "content": "a b c d e f"}],
                            "max_tokens": 16}, 10)
    assert next(stream) == "a "
    child = worker._proc
    stream.close()
    assert child.poll() is not None, "the child was stopped, not left writing"
    assert _ask(worker, "x y") == "x y "
    worker.stop()


def test_questions_at_once_get_their_own_answers():
    worker = _worker("slow")
    results: dict[int, str] = {}

    def ask(n: int) -> None:
        results[n] = _ask(worker, f"q{n} " * 5)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {n: f"q{n} " * 5 for n in range(4)}
    worker.stop()


def test_a_busy_model_refuses_after_the_timeout():
    worker = _worker("hang")
    blocked = threading.Thread(target=lambda: pytest.raises(ModelFailed, _ask, worker, "x", 2))
    blocked.start()
    time.sleep(0.3)
    with pytest.raises(ModelFailed, match="busy"):
        _ask(worker, "y", timeout_s=0.5)
    blocked.join()


def test_generate_falls_back_when_the_local_model_crashes():
    from test_generate import DOCS, EXTRACTIVE, _retrieval

    from qa.generate import generate
    from qa.llms import LlamaCppChat

    llm = LlamaCppChat(model_path="crash", worker_command=FAKE, timeout_s=10)
    answer = generate("Who trains doctors?", _retrieval(), EXTRACTIVE, DOCS, llm, None, 10)
    assert answer.generation["mode"] == "fallback"
    assert "SIGSEGV" in answer.generation["reason"]
    assert answer.answer == EXTRACTIVE.answer
