"""The one place where concrete backends are chosen; `QAService.ask` is what every edge calls."""

from __future__ import annotations

import math
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace

from qa.answer import compose_parts
from qa.config import Settings
from qa.embedders import Embedder, SentenceTransformerEmbedder, make_multilingual
from qa.errors import BadQuestion
from qa.generate import generate, rewrite_query
from qa.generations import FolderGenerations, Generations, ServerGenerations
from qa.index import (IndexReport, Progress, build_index, built_by_this_version, open_index,
                      read_lexical)
from qa.llms import make_chat_model
from qa.partnerships import rows_of
from qa.prompts import ABSTAIN
from qa.questions import Query, analyse, search_for
from qa.ranking import Ranking
from qa.rerankers import make_reranker
from qa.retrieve import Retrieval, Retriever, merge
from qa.types import Answer

def validate_question(question: object, max_chars: int) -> str:
    """The question stripped of surrounding space; BadQuestion when it cannot be asked."""
    if not isinstance(question, str):
        raise BadQuestion("The question must be text.")
    text = question.strip()
    if not text:
        raise BadQuestion("The question is empty. Type a question about the documents.")
    if len(text) > max_chars:
        raise BadQuestion(
            f"The question is {len(text)} characters long; the limit is {max_chars}. "
            "Ask something shorter."
        )
    if not re.search(r"\w", text):
        raise BadQuestion("The question has no words in it. Type a question about the documents.")
    if not readable(text):
        raise BadQuestion("The question holds characters that are not text (control characters "
                          "or a lone UTF-16 surrogate). Type it again.")
    return text


def readable(text: str) -> bool:
    """Text without lone surrogates or control characters other than tab and line breaks."""
    return not any(0xD800 <= ord(c) <= 0xDFFF or (ord(c) < 32 and c not in "\t\n\r")
                   or ord(c) == 0x7F for c in text)


HISTORY_TURNS = 40  # the most earlier turns a question is read with
ANSWER_TURN_CHARS = 4000  # the most characters of an earlier answer it is read with


def bounded_history(history: list[dict] | None, max_question_chars: int) -> list[dict]:
    """The conversation a question is read with: its last HISTORY_TURNS turns, an earlier
    question cut to the length a question may have and an earlier answer to ANSWER_TURN_CHARS,
    so that no history makes one question's search longer than a question's own."""
    kept = []
    for turn in (history or [])[-HISTORY_TURNS:]:
        limit = max_question_chars if turn.get("role") == "user" else ANSWER_TURN_CHARS
        kept.append({**turn, "content": str(turn.get("content", ""))[:limit]})
    return kept


def _best_score(retrieval: Retrieval) -> float:
    return retrieval.hits[0].score if retrieval.hits else -math.inf


def make_embedder(settings: Settings) -> Embedder:
    return SentenceTransformerEmbedder(settings.embedding_model)


def make_generations(settings: Settings) -> Generations:
    """Where the index lives: the Chroma server of QA_CHROMA_URL, or else QA_INDEX_DIR."""
    if not settings.chroma_url:
        return FolderGenerations(settings.index_dir)
    from qa.store import server_client

    headers = {k: v.get_secret_value() for k, v in settings.chroma_headers.items()}
    return ServerGenerations(
        lambda: server_client(settings.chroma_url, settings.chroma_tenant,
                              settings.chroma_database, headers),
        settings.chroma_index, settings.chroma_url)


class QAService:
    """Answers questions from the index: retrieval, then answer composition, as one LCEL chain."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None,
                 multilingual: Embedder | None = None, llm=None,
                 ranking: Ranking | None = None) -> None:
        from langchain_core.runnables import RunnableLambda

        self.settings = settings
        generations = make_generations(settings)
        self.store, manifest = open_index(generations)
        lexical = read_lexical(generations, self.store.generation)
        self.documents = manifest["documents"]
        self.outdated = not built_by_this_version(manifest)
        self.partnerships = rows_of(self.documents)
        self.embedder = embedder or make_embedder(settings)
        if multilingual is None and manifest["settings"].get("multilingual_model"):
            multilingual = make_multilingual(manifest["settings"]["multilingual_model"])
        self.ranking = ranking or Ranking()
        self.retriever = Retriever(self.store, self.embedder, multilingual, self.documents,
                                   self.ranking, reranker=make_reranker(settings.reranker),
                                   lexical=lexical)
        self.llm = llm if llm is not None else make_chat_model(settings)
        # one search at a time: each already uses both cores (BLAS), and searches side by side
        # only contend for them and for the interpreter
        self._searching = threading.Lock()
        self.chain = RunnableLambda(self._retrieve) | RunnableLambda(self._compose)
        if self.llm is not None:
            self.chain = self.chain | RunnableLambda(self._generate)

    def analyse(self, question: str, history: list[dict] | None = None) -> Query:
        """The question read once, with the documents its words name by their metadata."""
        mentions = self.retriever.mentions() if self.ranking.on("metadata_mentions") else None
        return analyse(question, history, mentions, self.ranking.table())

    def retrieve_parts(self, query: Query,
                       history: list[dict] | None) -> list[tuple[Query, Retrieval]]:
        """Each part of the question with its retrieval. A part that leans on something earlier
        is searched with it: the first part with the conversation, a later part with the first
        ("…, and what did the partnership create?"); it is also searched alone, and keeps
        whichever search finds the better sentence: "How many of them are joint institutions?"
        after a question on Chongqing's total is answered by "nine joint institutions", which
        the earlier turn's words would outweigh."""
        parts = []
        for i, part in enumerate(query.each()):
            if part.follow_up and self.llm is not None:  # with an LLM, outside the lock
                part = self._rewritten(part, history if i == 0 else
                                       [{"role": "user", "content": query.each()[0].text}])
            with self._searching:
                retrieval = self.retriever.search(part)
                if part.follow_up:
                    retrieval = max(retrieval, self.retriever.search(part.alone()),
                                    key=_best_score)
            parts.append((part, retrieval))
        return parts

    def _rewritten(self, part: Query, history: list[dict] | None) -> Query:
        """The follow-up searched as the model rewrites it to stand alone, where it can."""
        rewritten = rewrite_query(self.llm, part.text, history or [])
        if not rewritten:
            return part
        mentions = self.retriever.mentions() if self.ranking.on("metadata_mentions") else None
        return part.searching(search_for(rewritten, mentions))

    def _retrieve(self, state: dict) -> dict:
        started = time.perf_counter()
        parts = self.retrieve_parts(state["query"], state["history"])
        state["timings_ms"]["retrieve"] = (time.perf_counter() - started) * 1000
        return {**state, "parts": parts, "retrieval": merge([r for _, r in parts])}

    def _compose(self, state: dict) -> dict:
        started = time.perf_counter()
        answer = compose_parts(state["parts"], self.documents, self.settings.min_score,
                               self.ranking, self.partnerships)
        state["timings_ms"]["answer"] = (time.perf_counter() - started) * 1000
        return {**state, "answer": answer} if self.llm is not None else answer

    def _generate(self, state: dict) -> Answer:
        started = time.perf_counter()
        answer = generate(state["query"].text, state["retrieval"], state["answer"], self.documents,
                          self.llm, self.embedder.embed, self.settings.llm_timeout_s,
                          state.get("on_token"))
        state["timings_ms"]["generate"] = (time.perf_counter() - started) * 1000
        return answer

    def ask(self, question: str, history: list[dict] | None = None,
            on_token: Callable[[str], None] | None = None) -> Answer:
        """Answer a question; with an LLM configured, `on_token` receives its tokens as they come
        (the returned answer is the checked one, which may drop unsupported sentences)."""
        started = time.perf_counter()
        text = validate_question(question, self.settings.max_question_chars)
        history = bounded_history(history, self.settings.max_question_chars)
        if history and not all(readable(str(t.get("content", ""))) for t in history):
            raise BadQuestion("A turn of the conversation holds characters that are not text "
                              "(control characters or a lone UTF-16 surrogate).")
        timings: dict[str, float] = {}
        query = self.analyse(text, history)
        if not query.text:  # nothing but orders to the assistant: there is nothing to look up
            return Answer(ABSTAIN.format(question=question.strip()), True, [], "",
                          timings_ms={"total": round((time.perf_counter() - started) * 1000, 2)})
        state = {"query": query, "history": history, "timings_ms": timings,
                 "on_token": on_token}
        answer = self.chain.invoke(state)
        timings["total"] = (time.perf_counter() - started) * 1000
        return replace(answer, timings_ms={k: round(v, 2) for k, v in timings.items()})

    def ask_stream(self, question: str, history: list[dict] | None = None) -> Iterator[str | Answer]:
        """The model's tokens as they come, then the checked Answer (errors are raised)."""
        channel: queue.Queue = queue.Queue()

        def work() -> None:
            try:
                channel.put(self.ask(question, history, on_token=channel.put))
            except Exception as exc:  # handed to the consumer, raised there
                channel.put(exc)

        threading.Thread(target=work, daemon=True).start()
        while True:
            item = channel.get()
            if isinstance(item, Exception):
                raise item
            yield item
            if isinstance(item, Answer):
                return

    def stats(self) -> dict:
        return {"documents": len(self.documents),
                "chunks": sum(len(d["chunk_ids"]) for d in self.documents.values())}

    def close(self) -> None:
        """Let go of the index: a generation `qa index` has replaced is freed once no one reads
        it (the models are left to whoever else uses them)."""
        self.store.close()


def run_index(settings: Settings, embedder: Embedder | None = None,
              on_progress: Progress | None = None,
              multilingual: Embedder | None | bool = True,
              on_warning: Callable[[str], None] | None = None) -> IndexReport:
    """Index the corpus named by the settings (multilingual=True: the one the settings name);
    `on_warning` hears of each file skipped or repaired as it happens."""
    if multilingual is True:
        multilingual = make_multilingual(settings.multilingual_model)
    return build_index(settings.corpus_dir, make_generations(settings),
                       embedder or make_embedder(settings),
                       settings.chunk_chars, settings.chunk_overlap_chars, on_progress,
                       multilingual or None, int(settings.max_file_mb * 1024 * 1024), on_warning)


def partnership_table(settings: Settings) -> tuple[list, bool]:
    """Every partnership the current index holds (in a folder or on a Chroma server), and
    whether the index was built by an earlier version (one without the table: `qa index`
    rebuilds it). IndexMissing when there is none. Reads only the documents' records: no model
    is loaded."""
    from qa.partnerships import rows_of

    store, manifest = open_index(make_generations(settings), with_text=False)
    store.close()
    return rows_of(manifest["documents"]), not built_by_this_version(manifest)
