"""Question + retrieved sentences -> a short answer whose every sentence carries its citation."""

from __future__ import annotations

import re

from qa.prompts import ABSTAIN
from qa.retrieve import Retrieval
from qa.text import terms, word_count
from qa.types import Answer, Citation, Hit

FACTOID_WORDS, LIST_WORDS = 70, 120
FACTOID_MARGIN, LIST_MARGIN = 0.03, 0.10
MAX_SENTENCES = 5
_LIST_QUESTION = re.compile(
    r"^\s*(which|list|name|enumerate)\b|\b(what|who) (are|were)\b|\ball\b|\bmeasures\b"
    r"|哪些|列出|列举|有哪",
    re.I,
)


def is_list_question(question: str) -> bool:
    return bool(_LIST_QUESTION.search(question))


def _near_duplicate(text: str, chosen: list[Hit]) -> bool:
    mine = set(terms(text))
    for hit in chosen:
        theirs = set(terms(hit.sentence.text))
        if mine and theirs and len(mine & theirs) / min(len(mine), len(theirs)) > 0.8:
            return True
    return False


def select_sentences(question: str, hits: list[Hit], min_score: float) -> list[Hit]:
    """The best supporting sentences: one or two for a fact, more for a list question."""
    if not hits or hits[0].score < min_score:
        return []
    listing = is_list_question(question)
    margin, budget = (LIST_MARGIN, LIST_WORDS) if listing else (FACTOID_MARGIN, FACTOID_WORDS)
    limit = MAX_SENTENCES if listing else 2
    best = hits[0]
    chosen = [best]
    words = word_count(best.sentence.text)
    for hit in hits[1:]:
        if len(chosen) >= limit or hit.score < max(min_score, best.score - margin):
            break
        length = word_count(hit.sentence.text)
        if words + length > budget or _near_duplicate(hit.sentence.text, chosen):
            continue
        chosen.append(hit)
        words += length
    return chosen


def compose(question: str, retrieval: Retrieval, documents: dict, min_score: float) -> Answer:
    """Build the answer from the retrieval; abstain when no sentence scores `min_score`."""
    chosen = select_sentences(question, retrieval.hits, min_score)
    if not chosen:
        return Answer(ABSTAIN.format(question=question.strip()), True, [], retrieval.query,
                      retrieval.documents)
    citations = []
    parts = []
    for n, hit in enumerate(chosen, start=1):
        doc = documents.get(hit.sentence.source, {})
        s = hit.sentence
        citations.append(Citation(n, s.source, hit.title, s.text, s.start, s.end,
                                  round(hit.score, 4), doc.get("publisher", ""),
                                  doc.get("date", "")))
        parts.append(f"{s.text} [{n}]")
    return Answer(" ".join(parts), False, citations, retrieval.query, retrieval.documents)
