"""A question, read once: `analyse(question, history)` gives the `Query` that retrieval and
composition work from (its kind from the table in qa.kinds, its terms and names, negation, its
parts, the orders to the assistant split off, the text searched for a follow-up). Nothing after
it reads the question's text again."""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Protocol

from qa.kinds import KINDS, Kind, kind_of
from qa.places import chinese_countries, chinese_places
from qa.text import (STOPWORDS, has_chinese, mostly_chinese, stem, tagged_words, terms,
                     word_terms)

_NAME = re.compile(r"(?<![.?!:]\s)(?<!^)(?<![\w'’-])([A-Z][A-Za-z]+(?:-[A-Za-z]+)*)")


def names(question: str) -> list[str]:
    """Capitalised words of a question that do not open a sentence: the names it asks about."""
    return [n for n in _NAME.findall(question.strip()) if n.lower() not in STOPWORDS]


# capitalised words, with "of", "and", "the"… between them: "Department of Energy"
_NAME_RUN = re.compile(r"[A-Z][\w'’-]*(?:\s+(?:(?:of|and|for|the|on|in)\s+)*[A-Z][\w'’-]*)+")


@lru_cache(maxsize=1000)
def initialisms(text: str) -> frozenset[str]:
    """The initialisms the text's runs of capitalised words could be written as: "the European
    Union" gives EU, "Department of Energy" DE and DOE (two to six letters)."""
    out = set()
    for run in _NAME_RUN.findall(text):
        words = run.split()
        for i in range(len(words)):
            for j in range(i + 2, min(i + 7, len(words)) + 1):
                window = words[i:j]
                if window[0][0].isupper() and window[-1][0].isupper():
                    out.add("".join(w[0] for w in window).upper())
                    out.add("".join(w[0] for w in window if w[0].isupper()))
    return frozenset(o for o in out if len(o) >= 2)



_ASKS_AUTHOR = re.compile(r"\bwho (wrote|authored|reported)\b|\b(author|writer|reporter)\b|"
                          r"\bwritten by\b|(?<!工)作者|记者|谁写", re.I)  # 工作者: a worker
_ASKS_PUBLISHER = re.compile(
    r"\b(source|publisher|outlet)\b.{0,30}\b(report|article|story|news|page|release)\b|"
    r"\b(which|what) (website|web site|site|outlet|publication|newspaper|magazine|paper|journal"
    r"|news agency|agency)\b.{0,20}\b(publish|ran|run|carried|printed|posted)|"
    r"\b(report|article|story|news|page|release)\b.{0,30}\b(published by|comes? from)\b|"
    r"\bwho published\b|来源|出处", re.I)
_ASKS_EDITOR = re.compile(r"\beditors?\b|\bedited\b|编辑", re.I)
_ASKS_TITLE = re.compile(r"\b(title|headline|heading)\b|标题|题目", re.I)
_WHEN = r"\b(when|what date|which date|what day|on what date|in what year)\b"
_ASKS_PUBLISHED = re.compile(rf"{_WHEN}.{{0,120}}\b(publish(ed)?|post(ed)?|release[sd]?|issued?|dated|run)\b"
                             r"|\b(publication|release) date\b|\bdate of (publication|release)\b"
                             r"|\bdate\b(?: is)? (?:of|on) (?:the |this |that |[\w'’]+ ){0,3}"
                             r"(?:article|report|story|piece|page|post|release|document)s?\b"
                             r"|(何时|什么时候|哪一?天|哪一?年).{0,10}(发布|发表|刊登|刊发)", re.I)
# a page "posted" on a web site is a document, whatever the question calls it
_ASKS_POSTED = re.compile(rf"{_WHEN}.{{0,120}}\bposted\b", re.I)
# the question is about a document itself, not a book or body it names ("《长眠不醒》的作者是谁？",
# "香港体育记者协会成立于哪一年？" are answered from the passages)
_ABOUT_DOCUMENT = re.compile(r"\b(article|report|story|piece|news|page|release|post|document)s?\b"
                             r"|文章|报道|新闻|本文|这篇|此文|稿件|消息|通讯", re.I)


# A question that asks what is not so ("Which region did not invent…") is answered only by a
# passage that says something is not so; one that states the positive ("…invented the machine
# gun") does not answer it. Passages may negate in more ways than the question's words
# (docs/decisions.md, "Negated questions").
_NEGATORS = r"not|never|no|none|nor|neither|cannot|without"
_NEGATION = re.compile(rf"\b({_NEGATORS})\b|n[’']t\b|\bnon-", re.I)
_STATES_NEGATION = re.compile(
    rf"\b({_NEGATORS}|lacks?|lacked|lacking|fail(s|ed)?|unable|absent|absence|except|refus\w+"
    r"|rather than|instead)\b|n[’']t\b|[不没未非无]", re.I)
_NON = re.compile(r"\bnon-", re.I)
_ZH_NEGATION = frozenset("不 没 没有 未 非 无 不是 不能 不会 并非 不再 未能 无法 从未 从不 并不 不得 不可".split())
_QUOTED = re.compile(r"《[^》]*》|“[^”]*”|\"[^\"]*\"|「[^」]*」")


def negated(question: str) -> bool:
    """Whether the question asks what is not so (a negation outside quoted titles: 《没问题先生》
    is a film's name)."""
    text = _QUOTED.sub(" ", question)
    if _NEGATION.search(text):
        return True
    return any(word in _ZH_NEGATION for word, _ in tagged_words(text))


def states_negation(text: str, non: bool = False) -> bool:
    """Whether a passage says something is not so, in any of the ways text negates; a "non-"
    word only where the question negates with one (`non`) ("How many non-Muslims…"): "a non-specific
    response" answers nothing about what is not prevented."""
    return bool(_STATES_NEGATION.search(text) or (non and _NON.search(text)))


# a yes/no question opens with its verb ("Is there…", "Did X sign…") or asks 吗 / 是否; one that
# asks whether a thing exists at all is not answered no for want of one (qa.verdicts)
_POLAR = re.compile(r"^\s*(is|are|was|were|does|do|did|has|have|had|can|could|will|would|should"
                    r"|may|might|must)\b|[吗嘛][？?]?\s*$|是否|有没有|是不是|能否|可否|有无", re.I)
_EXISTENTIAL = re.compile(r"^\s*(is|are|was|were) there\b|\bany\b|有没有|有无|是否有", re.I)


_ASKS_REASON = re.compile(r"^\s*why\b|\bwhat (caused|led to)\b|\bfor what reason\b|为什么|为何|原因",
                          re.I)
# a sentence that opens with its result points back at its cause, the sentence before
STATES_RESULT = re.compile(r"^\s*(as a result|the result|consequently|therefore|thus|hence|"
                           r"because of this|this led)\b|^\s*(因此|所以|因而|于是)", re.I)


def asks_reason(question: str) -> bool:
    """Whether the question asks why something happened."""
    return bool(_ASKS_REASON.search(question))


def asks_provenance(question: str) -> str:
    """The field of the document a question describes that it asks for: 'author' ("who wrote
    the article…"), 'editor' (its byline's 责任编辑, "Editor:"), 'title', 'date' ("when was the report published"), 'publisher' ("what is
    the source of the report…"), else ''."""
    if _ASKS_POSTED.search(question):
        return "date"
    if not _ABOUT_DOCUMENT.search(question):
        return ""
    if _ASKS_AUTHOR.search(question):
        return "author"
    if _ASKS_EDITOR.search(question):
        return "editor"
    if _ASKS_TITLE.search(question):
        return "title"
    if _ASKS_PUBLISHED.search(question):
        return "date"
    return "publisher" if _ASKS_PUBLISHER.search(question) else ""



# after a sentence's subject, what introduces it: a copula, a comma ("张世昌（），中国足球运动员") or
# where it lies ("安贞门站位于北京市朝阳区，是…")
_INTRODUCING = re.compile(r"\s*(?:（[^）]*）|\([^)]*\))?\s*(?:[，,]|是|为|乃|系|位于|地处)")
# or a sentence opening with "this X" (本鱼, 该校, 本站), X the last character of the question's
# subject: its words before the first of these
_THIS = re.compile(r"(?:本|该)([\u4e00-\u9fff])")
_AFTER_SUBJECT = re.compile(r"的|是|在|有|由|属|主要|一般|为|位|哪|什么|几|多少")


def introduces(text: str, query: "Query") -> bool:
    """Whether the sentence opens by introducing what a Chinese question asks about: the question's
    opening words, then a copula or a comma ("张世昌（），中国足球运动员…" for "张世昌的职业是什么？",
    "余蔚，是…国王" for "余蔚是哪国国王？"), or "this X" of it ("本鱼…" for "浪花鱼的分布…")."""
    return _introduces(text.strip(), query.own.text.strip())


@lru_cache(maxsize=100_000)
def _introduces(text: str, question: str) -> bool:
    this = _THIS.match(text)
    if this:  # "本鱼分布于…" of "浪花鱼的分布在什么地区？": the subject's last character
        subject = _AFTER_SUBJECT.split(question, 1)[0]
        return len(subject) >= 2 and subject.endswith(this.group(1))
    subject = os.path.commonprefix([text, question]).rstrip("是为的")
    return (sum(map(has_chinese, subject)) >= 2 and has_chinese(subject[:1])
            and bool(_INTRODUCING.match(text, len(subject))))




_EVERY = re.compile(r"\b(all|every|each)\b|所有|全部|一切|列出|列举", re.I)
_LIST_QUESTION = re.compile(  # questions whose answer may be a set ("Which X" counts)
    r"^\s*(which|list|name|enumerate)\b|\b(what|who) (are|were)\b|\ball\b"
    r"|\bwhat (measures|factors|programs|steps)\b|哪些|列出|列举|有哪",
    re.I,
)
# a number the question names; one that touches a Han character is still that number (2022年)
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:[.,]\d+)*(?![\w.]?\d)(?![A-Za-z])")
_FOLLOW_UP = re.compile(
    r"\b(it|its|that|this|those|these|they|them|their|there|he|she|his|her|the same)\b"
    r"|\bthe (partnership|program|programme|agreement|alliance|project|collaboration)s?\b"
    r"|^(and|what about|how about)\b|它|其|该|这|那|他们",
    re.I,
)
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,60}?\b(instructions?|documents?|sources?|rules|"
    r"prompts?|context|above|previous|everything)\b|^\W*(system|assistant|developer)\s*:"
    r"|\byou are now\b|\bpretend (you are|to be)\b|\b(print|reveal|show) (me )?your\b"
    r"|\bact as\b|\bjailbreak|忽略.{0,10}(指令|说明|文档)|无视"
    # what to make believe, and how to answer, said apart from the question (no "?" after it)
    r"|^\W*(pretend|imagine|suppose|assume)\b|^\W*(please\s+)?be\s+(brief|concise|short)\b"
    r"|^\W*(please\s+)?(respond|answer|reply|write)\s+(only\s+)?(in|as|with|briefly)\b[^?？]*$"
    r"|^\W*(假设|假装|想象)",
    re.I,
)
# a question that asks for one fact: a wh-word other than "why" and "how" (a manner), or its
# Chinese forms; its answer opens with the phrase that answers
_ASKS_FACT = re.compile(r"\b(who|whom|whose|what|which|where|when)\b|谁|什么|哪|何时|何处|何地|几|多少",
                        re.I)
# what "how many" counts: its words up to the verb ("How many cooperative programs does…")
_AUXILIARY = r"(?:do|does|did|are|is|were|was|have|has|had|will|can|could|would|should)"
_COUNTED = re.compile(rf"\bhow many (?!{_AUXILIARY}\b)((?:[\w'-]+ ){{0,4}}?[\w'-]+?)"
                      rf"(?= (?:{_AUXILIARY}|exist|there)\b|\?|$)|(?:多少|几)([个所家项名位种条座]?)"
                      r"([\u4e00-\u9fff]{1,4}?)(?=[？?]|$)", re.I)
# a yes/no question that compares two claims: "Does A report X, while B reports Y?"
_NEXT_CLAIM = re.compile(r",?\s+(?:while|whereas)\s+|,\s+and\s+(?=(?:is|are|was|were|does|do|did|has|have|had)\b)",
                         re.I)
_NEXT_QUESTION = re.compile(r",?\s+and\s+(?=(?:which|what|who|whom|when|where|how|why)\b)", re.I)


def split_instructions(question: str) -> tuple[str, tuple[str, ...]]:
    """The question without the sentences that try to give the assistant orders (prompt
    injection), and those sentences: the answer comes from the documents whatever a question
    tells the assistant to do."""
    sentences = re.split(r"(?<=[.!?。！？])\s+", question.strip())
    orders = tuple(s for s in sentences if _INSTRUCTION.search(s))
    return " ".join(s for s in sentences if s not in orders).strip(), orders


def standalone_query(question: str, history: list[dict] | None) -> str:
    """A follow-up that leans on earlier turns is searched together with the last user turn."""
    if not history or not _FOLLOW_UP.search(question):
        return question
    for turn in reversed(history):
        if turn.get("role") == "user" and str(turn.get("content", "")).strip():
            return f"{turn['content'].strip()} {question}"
    return question


def split_question(question: str) -> list[str]:
    """The parts of a question that asks two things ("Which X ..., and when was Y ...?"); each
    part is answered from its own retrieval, so one part's passages do not crowd out the other's."""
    splitter = _NEXT_QUESTION if not _POLAR.search(question) else _NEXT_CLAIM
    parts = [p.strip(" ,;?") for p in splitter.split(question)]
    parts = [p[:1].upper() + p[1:] + "?" for p in parts]
    if len(parts) < 2 or any(len(p.split()) < 4 for p in parts):
        return [question]
    return parts


class Mentions(Protocol):
    """Finds words of a question that name documents by their metadata (qa.mentions)."""

    def strip(self, question: str) -> tuple[str, list[str]]: ...


@dataclass(frozen=True)
class Search:
    """What the retriever searches with: the question's words, or a follow-up's with those of
    the turn it leans on, without the words that name documents by publisher, author or date."""

    text: str
    terms: tuple[str, ...]
    words: tuple[tuple[str, str], ...]  # content words as written, with their terms
    named: frozenset[str]  # terms of the names in it
    chinese: bool
    documents: tuple[str, ...] = ()  # the documents its words name, best first


def search_for(text: str, mentions: Mentions | None = None) -> Search:
    """The search for a text: its words, less those naming documents (which pick documents)."""
    documents: list[str] = []
    if mentions is not None:
        text, documents = mentions.strip(text)
        if documents:  # "the iChongqing article": once its publisher picks it, "article" says nothing
            text = re.sub(r"\s{2,}", " ", _ABOUT_DOCUMENT.sub(" ", text)).strip()
    return Search(text, tuple(terms(text)), tuple(word_terms(text).items()),
                  frozenset(t for name in names(text) for t in terms(name)), mostly_chinese(text),
                  tuple(documents))


@dataclass(frozen=True)
class Query:
    """A question as read once."""

    text: str  # as asked, less orders to the assistant: what answers quote and models are given
    own: Search  # the question's own words (less words naming documents): all that is read below
    search: Search  # what is searched: `own`, or for a follow-up with the turn it leans on
    language: str  # "zh" or "en"
    kind: Kind | None  # the kind of answer asked for (a row of qa.kinds.KINDS), None for any
    subject: str = ""  # what the kind asks about: the term defined, the place, the role
    names: tuple[str, ...] = ()  # capitalised names
    numbers: tuple[str, ...] = ()  # numbers, as digits without leading zeros
    places: tuple[tuple[str, frozenset[str]], ...] = ()  # Chinese place names, their English ones
    countries: tuple[tuple[str, tuple[str, ...]], ...] = ()  # Chinese country names, English ones
    negated: bool = False  # asks what is not so
    non: bool = False  # negates with a "non-" word
    reason: bool = False  # asks why
    provenance: str = ""  # "author" or "publisher" of the document it describes, else ""
    listing: bool = False  # the answer may be a set
    factoid: bool = False  # asks for one fact (a kind, or who / what / which / where…): a lead line
    counted: str = ""  # the term of what "how many" counts ("how many … programs": program)
    typed: str = ""  # the noun a "what / which N" question asks for ("which court": court; 哪个省: 省)
    asks_name: bool = False  # asks "who" (谁): the answer names someone or some body
    exhaustive: bool = False  # asks for every item ("list all…"), not a few
    polar: bool = False  # asks yes or no
    existential: bool = False  # asks whether a thing exists at all ("Is there…")
    instructions: tuple[str, ...] = ()  # orders to the assistant, split off and not followed
    parts: tuple["Query", ...] = ()  # the parts of a question that asks two things
    term_set: frozenset[str] = field(default=frozenset(), repr=False)  # own.terms as a set

    @property
    def follow_up(self) -> bool:
        """Whether the search carries words of an earlier turn."""
        return self.search.text != self.own.text

    def each(self) -> tuple["Query", ...]:
        """The parts to answer: the parts of a two-part question, else the question itself."""
        return self.parts or (self,)

    def alone(self) -> "Query":
        """The same question searched with its own words only."""
        return replace(self, search=self.own)

    def searching(self, search: Search) -> "Query":
        return replace(self, search=search)

    def holds(self, text: str, known: str = "") -> bool:
        """Whether the text holds an answer of the kind asked for, that `known` (text already
        quoted) does not give; any text does where no kind is asked for."""
        return self.kind is None or self.kind.holds(text, self, known)

    def counting_any(self) -> "Query":
        """The same question where any number answers, not only a number of what it counts."""
        return replace(self, counted="")

    def without_kind(self) -> "Query":
        return replace(self, kind=None, subject="")


# "what / which N", "what type of N": the noun of the thing asked for
_ASKED_NOUN = re.compile(r"\b(?:what|which)\s+(?:(?:type|kind|sort|form|variety|name)s?\s+of\s+)?"
                         r"([A-Za-z][\w-]*)", re.I)
# "what is the name of the (Florida Huguenot) colony": the noun is the last before the verb or end
_NAME_OF = re.compile(r"\bwhat (?:is|was|are|were) the names? of (?:the |a |an )?((?:[\w-]+ ){0,3}?[\w-]+)"
                      r"(?=\s*[?]|\s+(?:that|which|who|where|when|in|of|for|at|on|by|to|from|is|was)\b|$)", re.I)
_ASKS_NAME = re.compile(r"\bwho(?:m|se)?\b|谁", re.I)
_ZH_ASKING_WORD = re.compile(r"^(?:什么|哪一?[个种家所位座些类部条本首支门项届]?)$")


def asked_noun(question: str) -> str:
    """The noun of what a "what / which N" question asks for: its English stem, or the Chinese
    word after 什么 / 哪个…; '' for any other question ("What is…", "Who…")."""
    if has_chinese(question):
        tagged = tagged_words(question)
        for (word, _), (following, flag) in zip(tagged, tagged[1:]):
            if _ZH_ASKING_WORD.match(word) and flag.startswith("n"):
                return following
        return ""
    named = _NAME_OF.search(question)
    if named:
        return stem(named.group(1).split()[-1].lower())
    match = _ASKED_NOUN.search(question)
    if not match or match.group(1).lower() in STOPWORDS:
        return ""
    return stem(match.group(1).lower())


def _counted(question: str) -> str:
    """The term of the thing a "how many" question counts, else '' (also for "how many
    institutions and programs", which counts two things together)."""
    match = _COUNTED.search(question)
    if not match or re.search(r"\b(?:and|or)\b|[和与及或]", match.group(1) or match.group(3) or ""):
        return ""
    if match.group(1):
        counted = terms(match.group(1))
        return counted[-1] if counted else ""
    return match.group(3) or ""


def analyse(question: str, history: list[dict] | None = None, mentions: Mentions | None = None,
            kinds: tuple[Kind, ...] = KINDS) -> Query:
    """Read a question once. `history`: the conversation's earlier turns (a follow-up is
    searched with the last user turn); `mentions`: finds words naming documents by their
    metadata; `kinds`: the table of answer kinds (a row left out is not asked for)."""
    text, orders = split_instructions(question)
    pieces = split_question(text) if text else [text]
    parts = []
    claims = len(pieces) > 1 and bool(_POLAR.search(pieces[0]))
    for i, piece in enumerate(pieces):
        if claims:  # "Does A report X, while B reports Y?": each claim checked on its own
            parts.append(replace(_read(piece, history, mentions, kinds), polar=True))
            continue
        leans_on = [{"role": "user", "content": pieces[0]}] if i else history
        parts.append(_read(piece, leans_on, mentions, kinds))
    whole = parts[0] if len(parts) == 1 else replace(
        _read(text, history, mentions, kinds), parts=tuple(parts))
    return replace(whole, text=text, instructions=orders)


def _unframed(search: Search, frame: frozenset[str]) -> Search:
    """The search without the words that only ask for the kind of answer."""
    return replace(search, terms=tuple(t for t in search.terms if t not in frame),
                   words=tuple((w, t) for w, t in search.words if t not in frame))


def _read(text: str, history: list[dict] | None, mentions: Mentions | None,
          kinds: tuple[Kind, ...]) -> Query:
    own = search_for(text, mentions)
    standalone = standalone_query(text, history)
    search = own if standalone == text else search_for(standalone, mentions)
    words = own.text
    kind, subject = kind_of(words.strip(), kinds)
    if kind is not None and kind.frame:
        own, search = _unframed(own, kind.frame), _unframed(search, kind.frame)
    numbers = [n.lstrip("0") or n for n in
               dict.fromkeys(_NUMBER.findall(unicodedata.normalize("NFKC", words)))]
    return Query(
        text=text, own=own, search=search, language="zh" if mostly_chinese(words) else "en",
        kind=kind, subject=subject, names=tuple(names(words)), numbers=tuple(numbers),
        places=tuple(chinese_places(words).items()),
        countries=tuple(chinese_countries(words).items()),
        negated=negated(words), non=bool(_NON.search(words)), reason=asks_reason(words),
        provenance=asks_provenance(text), listing=bool(_LIST_QUESTION.search(words)),
        factoid=kind is not None or bool(_ASKS_FACT.search(words)) and not asks_reason(words),
        exhaustive=bool(_LIST_QUESTION.search(words) and _EVERY.search(words)),
        counted=_counted(words), typed=asked_noun(words),
        asks_name=bool(_ASKS_NAME.search(words)), polar=bool(_POLAR.search(words)),
        existential=bool(_EXISTENTIAL.search(words)),
        term_set=frozenset(own.terms))
