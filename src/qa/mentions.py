"""Where a question names a document by its metadata ("the iChongqing article of June 2025",
"according to the Jiangxi Provincial Education Department", "He Yu's piece"): those words pick
documents, they are not words the answer must match."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.text import terms

MONTHS = ("january february march april may june july august september october november "
          "december").split()
_MONTH = "|".join(m[:3] + r"\w*\.?" for m in MONTHS)
_DATES = [  # (pattern, the groups that give year, month, day)
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), (1, 2, 3)),
    (re.compile(rf"\b({_MONTH})\s+(\d{{1,2}}),?\s+(\d{{4}})\b", re.I), (3, 1, 2)),
    (re.compile(rf"\b(\d{{1,2}})\s+({_MONTH})\s+(\d{{4}})\b", re.I), (3, 2, 1)),
    (re.compile(rf"\b({_MONTH})\s+(?:of\s+)?(\d{{4}})\b", re.I), (2, 1, None)),
    (re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?"), (1, 2, 3)),
]
# what is left of a mention once its name is gone ("according to", "'s", "the … article of")
_BEFORE = re.compile(r"(?:\b(?:according to|as reported by|reported by|by|for|in|from|of|on|"
                     r"dated))?\s*(?:\bthe\s+)?$", re.I)
_AFTER = re.compile(r"'s|’s")  # matched where the mention ends


def _month(text: str) -> int:
    if text.isdigit():
        return int(text)
    return next((i for i, m in enumerate(MONTHS, start=1) if m.startswith(text[:3].lower())), 0)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    sources: frozenset[str]


class DocumentMentions:
    """Finds the publishers, authors and dates of documents that a question names."""

    def __init__(self, documents: dict) -> None:
        self._names: dict[str, set[str]] = {}  # a publisher or author as a pattern -> sources
        self._dates: dict[tuple[int, int, int], set[str]] = {}
        for source, doc in documents.items():
            for name in self._forms(str(doc.get("publisher") or ""), author=False) + \
                    self._forms(str(doc.get("author") or ""), author=True):
                self._names.setdefault(name, set()).add(source)
            parts = [int(p) for p in re.findall(r"\d+", str(doc.get("date") or ""))[:3]]
            if len(parts) >= 2 and len(str(parts[0])) == 4:
                day = parts[2] if len(parts) > 2 else 0
                self._dates.setdefault((parts[0], parts[1], day), set()).add(source)
        self._pattern = re.compile(
            "|".join(f"(?<!\\w){n}(?!\\w)" for n in sorted(self._names, key=len, reverse=True)),
            re.I) if self._names else None
        self._lookup = {re.compile(n, re.I): s for n, s in self._names.items()}

    @staticmethod
    def _forms(name: str, author: bool) -> list[str]:
        """Patterns for a name: a publisher as written and without a bracketed part or a leading
        "The"; an author's words in either order ("Feng, Xiaolou": Feng Xiaolou, Xiaolou Feng)."""
        name = re.sub(r"\s*\([^)]*\)", "", name).strip()
        if len(name) < 3:
            return []
        if author:
            words = [w for w in re.split(r"[\s,]+", name) if w]
            if len(words) < 2:
                return [re.escape(name)]
            joint = r"[\s,]+"
            return [joint.join(map(re.escape, words)), joint.join(map(re.escape, words[::-1]))]
        forms = [re.escape(name)]
        if name.lower().startswith("the "):
            forms.append(re.escape(name[4:]))
        return forms

    def find(self, question: str) -> list[Mention]:
        found: list[Mention] = []
        if self._pattern is not None:
            for match in self._pattern.finditer(question):
                sources = next(s for p, s in self._lookup.items() if p.fullmatch(match.group(0)))
                found.append(Mention(match.start(), match.end(), frozenset(sources)))
        for pattern, (y, m, d) in _DATES:
            for match in pattern.finditer(question):
                year, month = int(match.group(y)), _month(match.group(m))
                day = int(match.group(d)) if d and match.group(d) else 0
                sources = {s for (yy, mm, dd), ss in self._dates.items() for s in ss
                           if (yy, mm) == (year, month) and (not day or dd == day)}
                if sources and not any(f.start <= match.start() < f.end for f in found):
                    found.append(Mention(match.start(), match.end(), frozenset(sources)))
        return sorted(found, key=lambda f: f.start)

    def strip(self, question: str) -> tuple[str, list[str]]:
        """The question without the words that name documents, and the documents they name
        (those named by every mention first). Unchanged when nothing else would be left."""
        mentions = self.find(question)
        if not mentions:
            return question, []
        pieces, at = [], 0
        for m in mentions:
            pieces.append(_BEFORE.sub(" ", question[at:m.start], count=1))
            at = m.end
            after = _AFTER.match(question, at)
            at = after.end() if after else at
        pieces.append(question[at:])
        stripped = re.sub(r"\s+", " ", "".join(pieces)).strip()
        stripped = re.sub(r"\s+([,?.!？，])", r"\1", stripped).lstrip(" ,，")
        common = frozenset.intersection(*(m.sources for m in mentions))
        named = sorted(common) + sorted(set().union(*(m.sources for m in mentions)) - common)
        if len(terms(stripped)) < 2:  # "What did Tech Daily say?": the mention is the question
            return question, named
        return stripped, named
