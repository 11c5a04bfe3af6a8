"""Answers from the partnership table (qa.partnerships): a question that lists, counts, filters
or asks yes or no about partnerships is answered from the rows that match it, each item cited
to the span that states it.

A question goes to the table only when the table can say all it asks: every word of it is a
word of partnerships ("partner", "joint", "university"…), of asking ("which", "list", "all"…),
or a filter the rows hold (a country, a Chinese city or province, an institution, a kind, a
year). "Which countries are the universities in Chongqing's six newly approved partnerships
from?" is not: the table does not know which six were new, so the sentences answer it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.errors import QAError
from qa.partnerships import (Partnership, country_code, country_name, describe, province_of,
                             country_of_word)
from qa.questions import Query
from qa.text import has_chinese, term_set, terms
from qa.types import Answer, Citation

# words that say a question is about partnerships
_ABOUT = frozenset(terms(
    "partner partners partnered partnership partnerships partnering cooperation cooperative "
    "cooperate collaboration collaborations collaborate joint programme programmes program "
    "programs institute institutes institution institutions university universities college "
    "colleges conservatory conservatories workshop workshops alliance alliances school schools "
    "academy academies campus") + ["合作", "合办", "联合", "项目", "大学", "学院", "院校", "机构"])
# words of asking and of the parties' sides, which filter nothing
_ASKING = frozenset(terms(
    "list name names named mention mentioned mentions document documents all every each which "
    "what how many number total foreign overseas abroad chinese china sino with from between "
    "run runs work works set up established have has host hosts involved involve there any "
    "countries country nations nation now today currently altogether total come came based "
    "located") + ["列出", "列举", "所有", "哪些", "哪个", "多少", "几个",
                                           "外国", "国外", "中国", "中外", "有", "与", "和", "的",
                                           "国家", "吗", "是否", "有没有"])
_KIND_CUES = (  # words of a question that name a kind of partnership, the narrowest first
    ("overseas_campus", r"\bworkshops?\b|\boverseas\b|\babroad\b|工坊|海外|境外"),
    ("joint_institute", r"\bjoint (institutes?|colleges?|institutions?)\b|联合学院|合作办学机构"),
    ("joint_programme", r"\b(joint |cooperative |undergraduate |diploma )?programm?e?s?\b"),
    ("alliance_member", r"\balliances?\b|联盟"),
)
# asking for schools: only rows that name the school on the side asked for are items
_ASKS_SCHOOLS = re.compile(r"\b(universit\w*|institutions?|colleges?|schools?|partners?|conservator\w*)\b"
                           r"|大学|院校|高校", re.I)
# a question asking for several: "which universities", "what programmes", "list / name the…"
_PLURAL_ASK = re.compile(r"^\s*(list|name|enumerate)\b|\b(which|what)\s+(\w+\s+){0,3}(universities|"
                         r"institutions|colleges|programm?e?s|partners|partnerships|countries|schools"
                         r"|institutes|conservatories|workshops)\b|哪些|列出|列举", re.I)
_COUNTRY_LIST = re.compile(r"\b(which|what|list|name)\b.{0,20}\b(countries|nations)\b|哪些国家|哪几个国家",
                           re.I)
_SCHOOL_NOUN = r"\s+(universit\w*|institutions?|colleges?|schools?)\b"


@dataclass(frozen=True)
class Filters:
    countries: frozenset[str] = frozenset()  # ISO codes: a row of any of them
    place: str | None = None  # a Chinese city or province, as the rows write it
    institution: str | None = None
    kind: str | None = None
    year: int | None = None
    words: frozenset[str] = frozenset()  # the question's terms the filters account for

    def __bool__(self) -> bool:
        return any((self.countries, self.place, self.institution, self.kind, self.year))


def filters_of(q: Query, rows: list[Partnership]) -> Filters:
    """The filters a question's words give, against what the rows hold."""
    asked = q.term_set
    text = q.own.text
    words: set[str] = set()
    countries = set()
    for word in q.names:
        code = country_of_word(word)
        if code and code != "CN":
            countries.add(code)
            words |= set(terms(word))
    for chinese, _ in q.countries:
        try:
            countries.add(country_code(chinese))
            words.add(chinese)
        except QAError:  # a name pycountry does not know filters nothing
            pass
    places = {r.chinese_place for r in rows if r.chinese_place}
    places |= {province_of(p) for p in places} - {None}  # "Jiangxi" though rows say Nanchang
    place = next((p for p in sorted(places, key=len, reverse=True)
                  if term_set(p) and term_set(p) <= asked or p in text), None)
    if place:
        words |= term_set(place) | {place}
    for chinese, english in q.places:  # 重庆: Chongqing
        found = places & set(english)
        if found:
            place = sorted(found)[0]
            words.add(chinese)
    names = {n for r in rows for n in (r.chinese_institution, r.foreign_institution, r.name) if n}
    lowered = text.lower()
    institution = next((n for n in sorted(names, key=len, reverse=True)
                        if len(n.split()) >= 2 and n.lower() in lowered or n in text), None)
    if institution:
        words |= term_set(institution)
    kind = next((k for k, cue in _KIND_CUES if re.search(cue, text, re.I)), None)
    years = [int(n) for n in q.numbers if re.fullmatch(r"(19|20)\d\d", n)]
    year = years[0] if years else None
    if year:
        words.add(str(year))
    return Filters(frozenset(countries), place, institution, kind, year, frozenset(words))


def matching(rows: list[Partnership], f: Filters) -> list[Partnership]:
    out = []
    for row in rows:
        if f.countries and row.foreign_country not in {country_name(c) for c in f.countries}:
            continue
        if f.place and row.chinese_place != f.place and province_of(row.chinese_place) != f.place \
                and f.place not in (row.chinese_institution or ""):
            continue
        if f.institution and f.institution not in (row.chinese_institution, row.foreign_institution,
                                                   row.name):
            continue
        if f.kind and row.kind != f.kind and not (f.kind == "alliance_member" and row.kind == "alliance"):
            continue
        if f.year and row.year != f.year:
            continue
        out.append(row)
    return out


def asks_the_table(q: Query, rows: list[Partnership]) -> Filters | None:
    """The filters of a question the table can answer whole, else None."""
    counting = bool(_COUNTING.search(q.own.text))
    if not rows or q.negated or q.reason or q.provenance or q.parts:
        return None
    if not (q.exhaustive or q.polar or counting or _PLURAL_ASK.search(q.own.text)):
        return None  # "Which college…": one fact, which the sentences give as they say it
    if q.kind is not None and q.kind.name not in ("school", "country", "number"):
        return None  # a date, a person, a share… is not a row's to give
    asked = q.term_set
    if not asked & _ABOUT:
        return None
    f = filters_of(q, rows)
    fields = {t for r in matching(rows, f) for v in (r.level, r.discipline, r.status, r.name)
              if v for t in terms(v)}
    # "China-foreign": each of its words counts
    words = {t for word in asked for t in (terms(word.replace("-", " ")) if "-" in word else [word])}
    unaccounted = {t for t in words - _ABOUT - _ASKING - f.words - fields
                   if not any(t in w for w in f.words if has_chinese(w))}  # 罗斯 of 俄罗斯
    if unaccounted or not (f or q.exhaustive):
        return None
    return f


def _asks_chinese_side(text: str, rows: list[Partnership]) -> bool:
    """Whether the question asks for the Chinese parties: "which Chinese universities…", or
    schools of a Chinese place the rows hold ("list the Wuhan institutions…")."""
    places = sorted({r.chinese_place for r in rows if r.chinese_place}, key=len, reverse=True)
    sides = "|".join(["chinese", *map(re.escape, places)])
    return bool(re.search(rf"\b(which|what|list|name)\b.{{0,30}}\b({sides}){_SCHOOL_NOUN}", text,
                          re.I))


def _item(row: Partnership, side: str, schools: bool) -> str:
    """What the row gives as an item of the list asked for ("" for none): a country, a Chinese
    institution, or the foreign party (or, not asking for schools, the partnership's name) with
    its country."""
    if side == "country":
        return row.foreign_country or ""
    if side == "chinese":
        return row.chinese_institution or ""
    party = row.foreign_institution or ("" if schools else row.name or "")
    country = row.foreign_country if row.foreign_country and row.foreign_institution else ""
    return f"{party} ({country})" if party and country else party


_COUNTING = re.compile(r"\bhow many\b|多少|几个|几所|几家", re.I)


def table_answer(q: Query, rows: list[Partnership], documents: dict,
                 retrieved: list[dict]) -> Answer | None:
    """The answer from the table to a question it can answer whole, else None."""
    f = asks_the_table(q, rows)
    if f is None:
        return None
    found = matching(rows, f)
    if not found:
        return None  # the sentences say whether anything is there
    side = "country" if _COUNTRY_LIST.search(q.own.text) else \
        "chinese" if f.countries and _asks_chinese_side(q.own.text, rows) else "foreign"
    items: dict[str, Partnership] = {}
    schools = bool(_ASKS_SCHOOLS.search(q.own.text))
    for row in found:
        item = _item(row, side, schools)
        if item and item.lower() not in {i.lower() for i in items}:
            items[item] = row
    if not items:
        return None
    citations: list[Citation] = []
    numbers: dict[tuple, int] = {}
    parts = []
    for item, row in items.items():
        span = row.citations[0]
        key = (span.source, span.start, span.end)
        if key not in numbers:
            numbers[key] = len(citations) + 1
            doc = documents.get(span.source, {})
            citations.append(Citation(numbers[key], span.source, doc.get("title", ""), span.quote,
                                      span.start, span.end, 1.0, doc.get("publisher", ""),
                                      doc.get("date", ""), doc.get("author", "")))
        # a yes says what bears it out: the whole partnership, not the party alone
        parts.append(f"{describe(row) if q.polar else item} [{numbers[key]}]")
    listed = "; ".join(parts)
    if q.polar:
        text, lead = f"Yes: {listed}.", "Yes"
    elif _COUNTING.search(q.own.text):
        text, lead = f"The documents name {len(items)}: {listed}.", str(len(items))
    else:
        text, lead = f"{len(items)} in the documents: {listed}.", ""
    return Answer(text, False, citations, q.search.text, retrieved, lead=lead)


def counts(q: Query) -> bool:
    return bool(_COUNTING.search(q.own.text))
