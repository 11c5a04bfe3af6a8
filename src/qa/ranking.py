"""How sentences are scored and answers composed: every tuned weight, reach and switchable rule
in one checked object, handed to the retriever and the composer.

The history of each value (what was measured, on which half) is in docs/decisions.md.
`benchmarks/ablate.py` turns each rule off in turn; `benchmarks/tune.py` sweeps the weights.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace

from qa.errors import ConfigError
from qa.kinds import KIND_NAMES, KINDS, Kind

# Rules that can be switched off one at a time (benchmarks/ablate.py measures each).
RULES = frozenset({
    "asking_sentences",  # a sentence that is itself a question answers nothing
    "restating_sentences",  # a sentence of nothing but the question's words holds no answer
    "introductions",  # a sentence introducing what a Chinese question asks about scores more
    "sentence_context",  # a sentence is also matched as read after the one before it
    "leaning_sentences",  # "During the conference…" holds what the sentence it points at holds
    "unknown_names",  # a name or number no best document has in any form: refused, naming it
    "metadata_names",  # publishers, authors and dates of documents count as known names
    "metadata_mentions",  # words naming a document's publisher, author or date pick documents
    "only_typed",  # "when" without a date, "what share" without one…: refused
    "negation",  # a negated question needs a passage that negates
    "continuations",  # a quoted sentence runs on into the next one that completes it
})


def _bounded(default: float, low: float, high: float, doc: str):
    return field(default=default, metadata={"low": low, "high": high, "doc": doc})


@dataclass(frozen=True)
class Ranking:
    """Weights and reaches of scoring and composition, checked when built. The defaults are the
    values in use, chosen with benchmarks/tune.py."""

    # a sentence's score: the sum of its features times these
    dense: float = _bounded(0.25, 0, 2, "MiniLM similarity of question and sentence")
    multilingual: float = _bounded(0.1, 0, 2, "USE similarity of question and sentence")
    lexical: float = _bounded(0.25, 0, 2, "IDF-weighted share of the question's terms in the sentence")
    document: float = _bounded(0.0, 0, 2, "fused rank of the sentence's document")
    wrong_type: float = _bounded(0.15, 0, 2, "taken off a sentence without an answer of the kind asked")
    introduction: float = _bounded(0.04, 0, 1, "added to a sentence introducing a Chinese question's subject")
    cross_offset: float = _bounded(0.2, 0, 1, "added to USE similarity across languages, which runs lower")
    channels: tuple[float, float, float] = field(
        default=(1.0, 1.0, 1.75), metadata={"doc": "RRF weights of MiniLM, USE and BM25"})
    sentence_documents: int = _bounded(4, 1, 20, "best fused documents whose sentences are scored")
    context_share: float = _bounded(0.8, 0, 1, "how much the previous sentence's words count")
    dense_context_share: float = _bounded(0.9, 0, 1, "how much MiniLM of a sentence in context counts")
    # composition
    factoid_margin: float = _bounded(0.03, 0, 1, "how close to the best a second factoid sentence scores")
    list_margin: float = _bounded(0.1, 0, 1, "how close to the best a list item scores")
    continuation_margin: float = _bounded(0.1, 0, 1, "how close to the best a run-on sentence scores")
    polar_yes: float = _bounded(0.6, 0, 1, "share of a yes/no question's other words a passage must hold to say yes")
    polar_no: float = _bounded(0.5, 0, 1, "share it must hold to say no, by negating or by giving another value")
    rules: frozenset[str] = field(default=RULES, metadata={"doc": "rules switched on"})
    kinds: frozenset[str] = field(default=frozenset(KIND_NAMES),
                                  metadata={"doc": "answer kinds (rows of qa.kinds.KINDS) asked for"})

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("rules", "kinds"):
                valid = RULES if f.name == "rules" else frozenset(KIND_NAMES)
                unknown = set(value) - valid
                if unknown:
                    raise ConfigError(f"Ranking: unknown {f.name} {sorted(unknown)}; "
                                      f"valid: {', '.join(sorted(valid))}")
                continue
            if f.name == "channels":
                if len(value) != 3 or any(not math.isfinite(v) or v < 0 for v in value):
                    raise ConfigError(f"Ranking.channels={value!r}: three weights of 0 or more")
                continue
            low, high = f.metadata["low"], f.metadata["high"]
            if not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not low <= value <= high:
                raise ConfigError(f"Ranking.{f.name}={value!r}: must lie between {low} and "
                                  f"{high} ({f.metadata['doc']})")

    def on(self, rule: str) -> bool:
        return rule in self.rules

    def table(self) -> tuple[Kind, ...]:
        """The rows of the answer-kind table in use, in the table's order."""
        return tuple(k for k in KINDS if k.name in self.kinds)

    def without(self, rule: str) -> "Ranking":
        """The same ranking with one rule, or one answer kind ("kind:date"), switched off."""
        if rule.startswith("kind:") and rule[5:] in KIND_NAMES:
            return replace(self, kinds=self.kinds - {rule[5:]})
        if rule not in RULES:
            raise ConfigError(f"unknown rule {rule!r}; valid: {', '.join(sorted(SWITCHES))}")
        return replace(self, rules=self.rules - {rule})


# everything benchmarks/ablate.py can switch off: the rules, and each kind of answer
SWITCHES = RULES | {f"kind:{name}" for name in KIND_NAMES}
