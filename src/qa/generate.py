"""Generative answers: the LLM writes from numbered sources; its output is checked, not trusted.

Every sentence must cite a source that exists and that supports it (numbers and names it states
appear in the source; enough of its words or meaning does too). Unsupported sentences are dropped;
when none survives, or the model fails or times out, the extractive answer stands.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from qa.answer import cite, near_duplicate
from qa.errors import ModelFailed
from qa.prompts import GROUNDED_SYSTEM, GROUNDED_USER, REWRITE_SYSTEM, REWRITE_USER
from qa.retrieve import Retrieval
from qa.text import term_set
from qa.types import Answer, Hit

MAX_SOURCES = 5
MIN_WORD_SUPPORT = 0.5  # share of a sentence's content words found in its sources
MIN_MEANING_SUPPORT = 0.6  # or: cosine similarity of sentence and source embeddings
_MARKER = re.compile(r"\s*\[(\d+)\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:of\s+|and\s+)?[A-Z][a-z]+)+")
_ABSTAIN = re.compile(r"don'?t say|do not say|not (mentioned|stated|given|in the sources)|"
                      r"no information|cannot answer|没有提到|未提及", re.I)


def pick_sources(retrieval: Retrieval, limit: int = MAX_SOURCES) -> list[Hit]:
    """The best distinct sentences, to number and hand to the model."""
    chosen: list[Hit] = []
    for hit in retrieval.hits:
        if not near_duplicate(hit.sentence.text, [h.sentence.text for h in chosen]):
            chosen.append(hit)
        if len(chosen) == limit:
            break
    return chosen


def build_messages(question: str, sources: list[Hit]) -> list:
    from langchain_core.messages import HumanMessage, SystemMessage

    numbered = "\n".join(f"[{n}] {hit.sentence.text}" for n, hit in enumerate(sources, start=1))
    return [SystemMessage(GROUNDED_SYSTEM),
            HumanMessage(GROUNDED_USER.format(sources=numbered, question=question))]


def split_cited(text: str) -> list[tuple[str, list[int]]]:
    """Sentences of the model's answer, each with the source numbers it cites."""
    pieces = re.split(r"(?<=[.!?。！？])\s+|(?<=\])\s+(?=[A-Z\u4e00-\u9fff])", text.strip())
    out = []
    for piece in pieces:
        numbers = [int(n) for n in _MARKER.findall(piece)]
        sentence = _MARKER.sub("", piece).strip()
        if sentence:
            out.append((sentence, numbers))
    return out


def supported(sentence: str, sources: list[str], embed: Callable | None = None) -> bool:
    """Whether the cited sources back the sentence (an offline check: no model judges it)."""
    joined = " ".join(sources)
    if any(n not in joined for n in _NUMBER.findall(sentence)):
        return False
    lowered = joined.lower()
    if any(name.lower() not in lowered for name in _NAME.findall(sentence)):
        return False
    words = term_set(sentence)
    if words and len(words & term_set(joined)) / len(words) >= MIN_WORD_SUPPORT:
        return True
    if embed is not None:
        vectors = embed([sentence] + sources)
        return float(np.max(vectors[1:] @ vectors[0])) >= MIN_MEANING_SUPPORT
    return False


def generate(question: str, retrieval: Retrieval, extractive: Answer, documents: dict, llm,
             embed: Callable | None, timeout_s: float,
             on_token: Callable[[str], None] | None = None) -> Answer:
    """The model's checked answer, or the extractive one with the reason it stands."""
    if extractive.abstained:  # abstention is decided by the calibrated evidence threshold
        return replace(extractive, generation={"mode": "abstained"})
    sources = pick_sources(retrieval)
    started = time.perf_counter()
    tokens: list[str] = []
    first_token_ms = None
    try:
        for chunk in llm.stream(build_messages(question, sources)):
            token = str(chunk.content)
            if first_token_ms is None:
                first_token_ms = (time.perf_counter() - started) * 1000
            tokens.append(token)
            if on_token:
                on_token(token)
            if time.perf_counter() - started > timeout_s:
                return _fallback(extractive, f"the model took longer than {timeout_s:g} s")
    except ModelFailed as exc:  # the local model's own account of what went wrong
        return _fallback(extractive, f"the model failed ({exc})")
    except Exception as exc:  # any backend failure: say so, answer extractively
        return _fallback(extractive, f"the model failed ({type(exc).__name__})")
    text = "".join(tokens).strip()
    stats = {"first_token_ms": round(first_token_ms or 0.0, 1), "tokens": len(tokens),
             "generate_ms": round((time.perf_counter() - started) * 1000, 1)}
    kept: list[tuple[str, list[int]]] = []
    dropped = 0
    for sentence, numbers in split_cited(text):
        valid = sorted({n for n in numbers if 1 <= n <= len(sources)})
        if valid and supported(sentence, [sources[n - 1].sentence.text for n in valid], embed):
            kept.append((sentence, valid))
        else:
            dropped += 1
    if not kept:
        reason = "the model found no answer" if _ABSTAIN.search(text) else \
            "no sentence of the model's answer was supported by its sources"
        return _fallback(extractive, reason, dropped=dropped, **stats)
    return _renumber(kept, sources, retrieval, documents, extractive, dropped, stats)


def _fallback(extractive: Answer, reason: str, **details) -> Answer:
    return replace(extractive, generation={"mode": "fallback", "reason": reason, **details})


def _renumber(kept, sources, retrieval, documents, extractive, dropped, stats) -> Answer:
    """Citations numbered in order of first use; each quotes its source sentence exactly."""
    order: dict[int, int] = {}
    parts = []
    for sentence, numbers in kept:
        marks = []
        for n in numbers:
            order.setdefault(n, len(order) + 1)
            marks.append(f"[{order[n]}]")
        parts.append(f"{sentence} {''.join(marks)}")
    citations = []
    for original, n in order.items():
        hit = sources[original - 1]
        s = hit.sentence
        doc = documents.get(s.source, {})
        citations.append(cite(n, s.source, hit.title, hit.score, s.text, s.start, s.end, doc))
    return Answer(" ".join(parts), False, citations, retrieval.query, retrieval.documents,
                  extractive.timings_ms, {"mode": "llm", "dropped": dropped, **stats})


def rewrite_query(llm, question: str, history: list[dict]) -> str | None:
    """A standalone form of a follow-up question, by the model; None when it cannot help."""
    from langchain_core.messages import HumanMessage, SystemMessage

    turns = "\n".join(f"{t['role']}: {t['content']}" for t in history[-4:])
    try:
        reply = llm.invoke([SystemMessage(REWRITE_SYSTEM),
                            HumanMessage(REWRITE_USER.format(history=turns, question=question))])
    except Exception:
        return None
    text = str(reply.content).strip().splitlines()[0].strip() if str(reply.content).strip() else ""
    return text if 3 <= len(text) <= 500 else None
