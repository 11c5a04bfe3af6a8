"""Yes or no: whether a passage states what a yes/no question asks, denies it, or does neither.

A passage says yes when it holds everything the question names (its names, numbers, countries
and cities, in any of their forms) and most of its other words, with the same polarity. It says
no when it negates what the question states, or when, holding the rest, it gives another value
of the same sort where the question names one ("inaugurated in Beijing?": the passage says
Nanchang; "with an Australian university?": it says New Zealand's). A question that asks whether
something exists at all ("Is there a partnership with a Japanese university?") is never answered
no for want of one: that the documents name none does not say there is none."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from qa.kinds import has_number_phrase
from qa.places import city_spans, country_names, country_spans, mentions_country
from qa.text import has_chinese, stem, term_set, terms

if TYPE_CHECKING:
    from qa.questions import Query

YES, NO = "Yes", "No"
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}


def _number_forms(number: str) -> set[str]:
    digits = _NUMBER_WORDS.get(number.lower(), number)
    return {digits} | {w for w, d in _NUMBER_WORDS.items() if d == digits}


class _Item:
    """One thing a question names, how a passage is found to hold it, and how a passage gives
    another of its sort instead."""

    def __init__(self, words: str, found: Callable[[str], bool],
                 other: Callable[[str], bool] | None) -> None:
        self.words = words
        self.found = found
        self.other = other  # None: nothing of its sort can stand in for it


def _items(q: "Query") -> list[_Item]:
    items: list[_Item] = []
    asked = q.term_set
    countries = {n for w in q.names for n in country_names(w)}
    for word in q.names:
        names = country_names(word)
        if names:
            items.append(_Item(word, lambda t, n=names: mentions_country(t, n),
                               lambda t: _other_country(t, countries)))
        else:
            items.append(_Item(word, lambda t, w=word: stem(w.lower()) in term_set(t) or w in t,
                               _other_name(word, asked)))
    numbers = [n for n in q.numbers] + [w for w in re.findall(r"[a-z]+", q.own.text.lower())
                                        if w in _NUMBER_WORDS]
    for number in dict.fromkeys(numbers):
        forms = _number_forms(number)
        items.append(_Item(number, lambda t, f=forms: bool(f & set(re.findall(r"\w+", t.lower()))),
                           lambda t, f=forms: has_number_phrase(t, exclude=f)))
    for chinese, english in (*q.places, *q.countries):
        items.append(_Item(chinese, lambda t, c=chinese, e=tuple(english):
                           c in t or any(n in t for n in e), None))
    return items


def _other_country(text: str, asked: set[str]) -> bool:
    return any(text[a:b] not in asked for a, b in country_spans(text) if not has_chinese(text[a:b]))


def _other_name(word: str, asked: frozenset[str]) -> Callable[[str], bool] | None:
    """A city the question names may give way to another city (a thing happens in one place);
    any other name to nothing: that a passage names another partner of a school does not say
    the one asked about is none."""
    if city_spans(word):
        return lambda t: any(stem(t[a:b].lower()) not in asked for a, b in city_spans(t))
    return None


def coverage(q: "Query", text: str, leave_out: set[str]) -> float:
    """The share of the question's other words (not those of the things it names) that the
    text holds."""
    named = {t for w in leave_out for t in terms(w)}
    wanted = [t for t in q.own.terms if t not in named]
    if not wanted:
        return 1.0
    found = term_set(text)
    return sum(t in found for t in wanted) / len(wanted)


def verdict(q: "Query", text: str, negates: bool, lexical: float, cross: bool,
            yes_share: float, no_share: float) -> str:
    """"Yes", "No", or "" (the passage neither states nor denies it). `text`: the passage with
    what it leans on (the sentence before, the title); `negates`: whether it states a negation;
    `lexical`: its retrieval coverage of the question (the measure across languages, where
    `cross`)."""
    items = _items(q)
    missing = [i for i in items if not i.found(text)]
    share = lexical if cross else coverage(q, text, {i.words for i in missing})
    if not missing:
        if negates != q.negated and share >= no_share:
            return NO
        return YES if share >= yes_share and negates == q.negated else ""
    if q.existential or share < no_share:
        return ""
    if all(i.other is not None and i.other(text) for i in missing):
        return NO
    return ""
