"""Frozen records passed between the stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SourceDoc:
    """One corpus document after cleaning; offsets in chunks point into `text`."""

    source: str  # path relative to the corpus root, with forward slashes
    text: str
    title: str
    publisher: str = ""
    date: str = ""
    author: str = ""
    language: str = "en"
    content_hash: str = ""


@dataclass(frozen=True)
class Chunk:
    """A span of a document's cleaned text, the unit that is embedded and retrieved."""

    id: str
    source: str
    title: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Sentence:
    """One sentence of a document's cleaned text, or a run of clauses of a long one: the unit an
    answer quotes."""

    id: str
    source: str
    text: str
    start: int
    end: int
    sentence_start: int = -1  # the whole sentence a run of clauses comes from (-1: this one)
    sentence_end: int = -1
    leans_on: tuple[int, int] | None = None  # the earlier sentence of its paragraph that its
    # sentence points back at ("During the conference…": the one about the conference)

    @property
    def sentence_span(self) -> tuple[int, int]:
        return (self.sentence_start, self.sentence_end) if self.sentence_start >= 0 \
            else (self.start, self.end)


@dataclass(frozen=True)
class Hit:
    """A retrieved sentence, its score, and the features the score was made of."""

    sentence: Sentence
    title: str
    score: float
    features: Any = None


@dataclass(frozen=True)
class Citation:
    n: int
    source: str
    title: str
    quote: str
    start: int
    end: int
    score: float
    publisher: str = ""
    date: str = ""
    author: str = ""


@dataclass(frozen=True)
class Answer:
    answer: str
    abstained: bool
    citations: list[Citation]
    query: str = ""
    retrieved: list[dict] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    generation: dict = field(default_factory=dict)  # with an LLM: mode, dropped sentences, reason
    lead: str = ""  # the phrase that answers (a name, date, number…), the answer's first line
