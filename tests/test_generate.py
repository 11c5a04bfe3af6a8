"""Generative answers with a scripted fake chat model: prompts, citation parsing, the support
check and every fallback."""

import time

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from qa.config import Settings
from qa.errors import ConfigError
from qa.generate import build_messages, generate, split_cited, supported
from qa.llms import make_chat_model
from qa.retrieve import Retrieval
from qa.types import Answer, Citation, Hit, Sentence

DOC = ("The joint college of Chongqing Medical University and the University of Leicester trains "
       "doctors. The Jiangxi alliance was inaugurated on November 18 in Nanchang.")
DOCS = {"a.txt": {"title": "A", "text": DOC, "publisher": "P", "date": "2025-01-01"}}
FIRST = DOC[:DOC.index(" The Jiangxi")]
SECOND = DOC[len(FIRST) + 1:]


def _retrieval() -> Retrieval:
    hits = [Hit(Sentence("1", "a.txt", FIRST, 0, len(FIRST)), "A", 0.8),
            Hit(Sentence("2", "a.txt", SECOND, len(FIRST) + 1, len(DOC)), "A", 0.7)]
    return Retrieval("q", hits, [{"source": "a.txt", "title": "A", "score": 1.0}])


EXTRACTIVE = Answer(f"{FIRST} [1]", False, [Citation(1, "a.txt", "A", FIRST, 0, len(FIRST), 0.8)])


def fake(*replies: str) -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([AIMessage(r) for r in replies]))


def test_prompt_numbers_the_sources():
    system, user = build_messages("Who trains doctors?", _retrieval().hits)
    assert "[n]" not in system.content and "[1]" in system.content
    assert f"[1] {FIRST}" in user.content and f"[2] {SECOND}" in user.content
    assert user.content.endswith("Question: Who trains doctors?")


def test_split_cited():
    assert split_cited("Leicester trains doctors [1]. It opened in Nanchang [2][3]. Extra.") == [
        ("Leicester trains doctors.", [1]), ("It opened in Nanchang.", [2, 3]), ("Extra.", [])]


def test_support_check_needs_numbers_names_and_words():
    assert supported("The alliance was inaugurated on November 18.", [SECOND])
    assert not supported("The alliance was inaugurated on November 19.", [SECOND])
    assert not supported("The University of Oxford trains doctors.", [FIRST])
    assert not supported("Pandas eat bamboo every day.", [FIRST])


def test_a_supported_answer_is_kept_and_renumbered():
    tokens = []
    answer = generate("When was the alliance inaugurated?", _retrieval(), EXTRACTIVE, DOCS,
                      fake("The Jiangxi alliance was inaugurated on November 18 [2]."), None, 30,
                      tokens.append)
    assert answer.answer == "The Jiangxi alliance was inaugurated on November 18. [1]"
    assert answer.generation["mode"] == "llm" and answer.generation["dropped"] == 0
    [citation] = answer.citations
    assert citation.quote == SECOND and DOC[citation.start:citation.end] == SECOND
    assert "".join(tokens).startswith("The Jiangxi")


def test_unsupported_sentences_and_bad_markers_are_dropped():
    answer = generate("Q?", _retrieval(), EXTRACTIVE, DOCS,
                      fake("The alliance was inaugurated on November 18 [2]. It has 900 members [2]. "
                           "Leicester trains doctors [7]."), None, 30)
    assert answer.answer == "The alliance was inaugurated on November 18. [1]"
    assert answer.generation["dropped"] == 2


def test_nothing_supported_falls_back_to_the_extractive_answer():
    answer = generate("Q?", _retrieval(), EXTRACTIVE, DOCS, fake("Pandas eat bamboo [1]."), None, 30)
    assert answer.answer == EXTRACTIVE.answer
    assert answer.generation == {"mode": "fallback", "dropped": 1, "tokens": answer.generation["tokens"],
                                 "first_token_ms": answer.generation["first_token_ms"],
                                 "generate_ms": answer.generation["generate_ms"],
                                 "reason": "no sentence of the model's answer was supported by its sources"}
    abstaining = generate("Q?", _retrieval(), EXTRACTIVE, DOCS, fake("The documents don't say."),
                          None, 30)
    assert abstaining.generation["reason"] == "the model found no answer"


class Broken(GenericFakeChatModel):
    def _stream(self, *args, **kwargs):
        raise ConnectionError("refused by http://secret-host with key sk-123")


class Slow(GenericFakeChatModel):
    def _stream(self, *args, **kwargs):
        for chunk in super()._stream(*args, **kwargs):
            time.sleep(0.2)
            yield chunk


def test_failures_and_timeouts_fall_back_with_a_clear_reason():
    failed = generate("Q?", _retrieval(), EXTRACTIVE, DOCS, Broken(messages=iter([])), None, 30)
    assert failed.answer == EXTRACTIVE.answer
    assert failed.generation == {"mode": "fallback", "reason": "the model failed (ConnectionError)"}
    slow = Slow(messages=iter([AIMessage("one two three four five six seven eight")]))
    timed_out = generate("Q?", _retrieval(), EXTRACTIVE, DOCS, slow, None, 0.3)
    assert timed_out.generation["reason"] == "the model took longer than 0.3 s"


def test_no_model_call_when_the_evidence_says_abstain():
    abstained = Answer("The documents don't say.", True, [])
    answer = generate("Q?", _retrieval(), abstained, DOCS, Broken(messages=iter([])), None, 30)
    assert answer.abstained and answer.generation == {"mode": "abstained"}


def test_backend_factory():
    assert make_chat_model(Settings(llm="none")) is None
    with pytest.raises(ConfigError, match="valid: none \\| openai"):
        make_chat_model(Settings(llm="gpt4all:model"))
    with pytest.raises(ConfigError, match="names no model"):
        make_chat_model(Settings(llm="openai"))
    with pytest.raises(ConfigError, match="no GGUF file"):
        make_chat_model(Settings(llm="llamacpp:/nowhere/model.gguf"))
    settings = Settings(llm="openai:m", llm_api_key="sk-very-secret", llm_base_url="http://x/v1")
    model = make_chat_model(settings)
    assert "sk-very-secret" not in repr(model) and "sk-very-secret" not in repr(settings)


def test_service_streams_tokens_then_the_checked_answer(settings, fake_embedder):
    from qa.service import QAService, run_index

    run_index(settings, fake_embedder, multilingual=None)
    reply = ("Jiangxi University of Finance and Economics serves as the alliance's chair "
             "institution [1].")
    service = QAService(settings.model_copy(update={"min_score": -1.0}), embedder=fake_embedder,
                        llm=fake(reply))
    items = list(service.ask_stream("Which institution is the chair of the Jiangxi alliance?"))
    tokens, answer = items[:-1], items[-1]
    assert "".join(tokens) == reply and all(isinstance(t, str) for t in tokens)
    assert isinstance(answer, Answer) and answer.generation["mode"] in ("llm", "fallback")
    assert "generate" in answer.timings_ms


def test_ollama_backend_is_built_without_connecting():
    model = make_chat_model(Settings(llm="ollama:qwen2.5", llm_base_url="http://127.0.0.1:1"))
    assert type(model).__name__ == "ChatOllama" and model.model == "qwen2.5"


def test_the_model_rewrites_a_follow_up(settings, fake_embedder):
    from qa.service import QAService, run_index

    run_index(settings, fake_embedder, multilingual=None)
    llm = fake("When did Nanchang Hangkong University sign with Belarusian State University?",
               "The documents don't say.")
    service = QAService(settings, embedder=fake_embedder, llm=llm)
    history = [{"role": "user", "content": "Which university signed with Belarusian State University?"},
               {"role": "assistant", "content": "Nanchang Hangkong University. [1]"}]
    answer = service.ask("When was that signed?", history)
    assert answer.query == "When did Nanchang Hangkong University sign with Belarusian State University?"
