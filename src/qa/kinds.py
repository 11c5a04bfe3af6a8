"""The kinds of answer a question can ask for, as one table: for each kind, how a question asks
for it (English and Chinese apart), what a passage must hold to give it, what is said when no
passage does, and how it ranks. qa.questions reads a question's kind from this table once;
retrieval and composition only ask a kind whether a text holds an answer of it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from qa.leads import (Span, counted_after, english_slot, matches, name_spans, nearest, novel_runs,
                      place_spans, reason_spans, short, slot_spans, typed_spans)
from qa.places import country_spans, names_a_country
from qa.prompts import ABSTAIN_NO_EMAIL, ABSTAIN_NO_EXPANSION, ABSTAIN_NO_HOLDER, ABSTAIN_NO_SHARE, ABSTAIN_UNDATED
from qa.text import STOPWORDS, has_chinese, stem, tagged_spans, tagged_words, term_set, terms

if TYPE_CHECKING:
    from qa.questions import Query

# How a kind ranks a sentence that holds no answer of it:
# "marked": marked down (Ranking.wrong_type);
# "preferred": marked down only where some candidate sentence holds one (few passages could
#   give an alias or a definition: where none does, the question is answered by the others).
RANKINGS = ("marked", "preferred")


@dataclass(frozen=True)
class Kind:
    """One kind of answer. A question pattern may capture the kind's `subject` (the term asked
    the meaning of, the place asked where, the role asked who holds); a match that captures an
    empty one does not count."""

    name: str
    english: tuple[re.Pattern, ...]
    chinese: tuple[re.Pattern, ...]
    holds: Callable[[str, "Query", str], bool]  # (passage text, query, text already quoted)
    refusal: str = ""  # said when the passages about it hold none; "" answers from them anyway
    ranking: str = "marked"
    # the phrases of a passage that could answer (for the lead line); None: any run of words
    # the question does not hold
    phrases: Callable[[str, "Query"], list[Span]] | None = None
    # the words with which a question asks for this kind ("stand for", "full name"), which say
    # nothing of what it is about and are not searched
    frame: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.ranking not in RANKINGS:
            raise ValueError(f"Kind {self.name}: ranking {self.ranking!r} is not one of {RANKINGS}")

    def asked_by(self, question: str) -> str | None:
        """The subject the question asks about ("" where the kind has none) when it asks for an
        answer of this kind, else None."""
        for pattern in (*self.english, *self.chinese):
            match = pattern.search(question)
            if match is None:
                continue
            if "subject" not in pattern.groupindex:
                return ""
            subject = _clean_subject(match.group("subject") or "")
            if subject:
                return subject
        return None


def answer_phrase(text: str, query: "Query") -> tuple[str, float]:
    """The phrase of a passage that answers the query, and how well it fits: of the candidates
    its kind offers (any run of words the question does not hold, for a question of no kind or
    where the kind offers none), the one nearest the question's words; at most about 12 words."""
    if query.reason and not query.factoid:  # only a stated reason answers "why"
        phrase, fit = nearest(text, reason_spans(text, query), query)
        return short(phrase), fit
    kind = query.kind
    spans = kind.phrases(text, query) if kind is not None and kind.phrases else []
    typed = typed_spans(text, query)
    within = [(s, e) for s, e in typed if any(a <= s and e <= b for a, b in spans)]  # 福建省 of 哪个省
    spans = within or spans or typed or (name_spans(text, query) if query.asks_name else [])
    slot = [(a, b) for a, b in slot_spans(text, query) or english_slot(text, query)
            if not _only_asked(text[a:b], query)]
    if slot:  # where the passage says it as the question asks it
        (a, b), = slot
        inside = [(s, e) for s, e in spans if s < b and a < e]
        if inside:
            spans = inside
        elif not spans or (kind is not None and kind.holds(text[a:b], query, "")):
            spans = slot
    phrase, fit = nearest(text, spans or novel_runs(text, query), query)
    return short(phrase), fit


def _only_asked(phrase: str, query: "Query") -> bool:
    """Whether a phrase holds only the question's own words (no answer, however it is placed)."""
    if has_chinese(phrase):
        return phrase.strip() in query.own.text
    return term_set(phrase) <= query.term_set


def _clean_subject(text: str) -> str:
    """The subject as the passage would write it: after a leading "在…中，", without quotes."""
    return re.split(r"[，,]", text)[-1].strip(" “”\"'")


def _en(*patterns: str) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p, re.I) for p in patterns)


def _zh(*patterns: str) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p) for p in patterns)


# --- what passages hold ---------------------------------------------------------------------

_NUMBER_WORDS = ("one(?! of)|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
                 "|(?:thir|four|fif|six|seven|eigh|nine)teen|twenty|thirty|forty|fifty|sixty|seventy"
                 "|eighty|ninety|hundred|thousand|million|billion|dozen|half|percent")
# a digit after a Han character starts a number ("全长364.6公里"): Python counts Han as \w
_HAS_NUMBER = re.compile(rf"(?<![A-Za-z0-9_.])\d[\d,.]*(?!\.\s*[A-Z])|\b({_NUMBER_WORDS})\b"
                         r"|[一二三四五六七八九十百千万亿两]+[个所家项名%]", re.I)
_HAS_SHARE = re.compile(r"%|％|\bper\s?cent|\bper\b|\bratio\b|\bhalf\b|\bthirds?\b|\bquarters?\b"
                        r"|\bone in\b|\bout of\b|\d\s*(:|to)\s*\d|百分|比例|比率|占比|[一二三四五六七八九十\d]成",
                        re.I)
_HAS_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_ALIAS_WORD = r"(?:又|也|亦|还|或|俗|简|别|另|原|旧|古)(?:可以|可|能)?(?:被)?(?:称|名|叫|译)"
_ALIAS_PHRASE = r"\b(also|otherwise|commonly|better|formerly) (known|called|named|referred to)\b"
_HAS_ALIAS = re.compile(rf"{_ALIAS_WORD}|{_ALIAS_PHRASE}|\ba\.?k\.?a\b|\bnicknamed\b|\bshort for\b",
                        re.I)
# capitalised, as English writes months: "may" and "march" are also verbs
_MONTH = (r"(?-i:Jan(uary)?|Feb(ruary)?|Mar(ch)?|Apr(il)?|May|June?|July?|Aug(ust)?|Sep(tember)?"
          r"|Oct(ober)?|Nov(ember)?|Dec(ember)?)")
_YEAR = r"\b(1[5-9]\d\d|20\d\d)\b"
# an earlier year where the words around it make it one: "in 1281", "AD 800", "the 1280s"
_EARLY_YEAR = (r"\b(in|since|until|by|from|after|before|around|circa|c\.)\s+[1-9]\d{2,3}\b(?![,.]?\d)"
               r"|\b\d{1,4}\s*(AD|BC|BCE|CE)\b|\bA\.?D\.?\s*\d{1,4}\b|\b\d{3}0s\b")
_HAS_DATE = re.compile(rf"{_YEAR}|{_EARLY_YEAR}|\b{_MONTH}\b|\d+\s*[年月日]|\b(century|decade)\b",
                       re.I)
_LIST_NUMBER = re.compile(r"^\s*\d{1,2}\.\s")  # "1. Promote…": a list label, not a number
# the numbers of a date, which answer "when" and not "how many": November 17, 2025; 17 May; 2025;
# 2025年11月17日
_DATE_NUMBERS = re.compile(rf"\b{_MONTH}\.?\s+\d{{1,2}}(st|nd|rd|th)?\b(,?\s+\d{{4}}\b)?"
                           rf"|\b\d{{1,2}}(st|nd|rd|th)?\s+{_MONTH}\b|{_YEAR}(?![,.]\d)"
                           r"|\d+\s*[年月日]", re.I)
# what a school is called, in the stems of its words and plurals (universities: universiti)
SCHOOL_WORDS = frozenset(terms("university college institute institution school conservatory academy"))
_SCHOOL_NAME = re.compile(
    r"(?:[A-Z][\w'’.-]*\s+)*(?:University|College|Institute|School|Conservatory|Academy)"
    r"(?:\s+(?:of|for|and|in)(?:\s+[A-Z][\w'’.-]*)+)*|[\u4e00-\u9fff]{2,10}(?:大学|学院|学校)")
_NOT_PERSON = frozenset("""university college institute school conservatory academy department
    ministry office alliance conference province provincial city council commission committee
    association education cooperation international national state federal group company
    republic china chinese new north south east west the of and for january february march
    april may june july august september october november december monday tuesday wednesday
    thursday friday saturday sunday""".split())
_CAPITALISED_RUN = re.compile(r"\b[A-Z][\w'’.-]+(?:\s+(?:(?:of|for|and)\s+)?[A-Z][\w'’.-]+)+")
# a definition: the term and a copula ("贴扎是一种…", "显微镜学（…）是…", "X, …, means…")
_COPULA = r"\s*(?:（[^）]*）|\([^)]*\))?\s*[，,]?\s*(?:是|为|指|即|乃|系|\bis\b|\bare\b|\bmeans\b|\brefers to\b)"


@lru_cache(maxsize=100_000)
def _matches(pattern: re.Pattern, text: str) -> bool:
    return bool(pattern.search(text))


@lru_cache(maxsize=100_000)
def _numbers(text: str) -> bool:
    return bool(_HAS_NUMBER.search(_DATE_NUMBERS.sub(" ", _LIST_NUMBER.sub("", text))))


def _holds_pattern(pattern: re.Pattern, list_labels: bool = True) -> Callable[[str, "Query", str], bool]:
    """Holds: the text matches the pattern (with `list_labels` off, a leading "1. " is no date)."""
    def holds(text: str, query: "Query", known: str) -> bool:
        return _matches(pattern, text if list_labels else _LIST_NUMBER.sub("", text))
    return holds


def _holds_number(text: str, query: "Query", known: str) -> bool:
    """A number that is not part of a date or a list label; for "how many X", a number of X
    ("66 cooperative programs"), where the question says what it counts."""
    if query is not None and query.counted:
        return counts_what_is_asked(text, query)
    return _numbers(text)


def counts_what_is_asked(text: str, query: "Query") -> bool:
    """Whether a number of the text is followed closely by what the question counts."""
    return any(counted_after(text, b, query.counted) for _, b in _number_phrases(text, None))


def _holds_country(text: str, query: "Query", known: str) -> bool:
    return names_a_country(text)


@lru_cache(maxsize=100_000)
def schools(text: str) -> tuple[frozenset[str], ...]:
    """The terms of each school named in the text (the same sentences meet many questions)."""
    return tuple(term_set(name) for name in _SCHOOL_NAME.findall(text))


def _holds_school(text: str, query: "Query", known: str) -> bool:
    """A school the question (and what is already quoted) does not name."""
    asked = query.term_set | term_set(known) if known else query.term_set
    return any(not name <= asked for name in schools(text))


def has_person(text: str) -> bool:
    """A run of two to four capitalised words, none of which names an organisation, a place or
    a month ("Griffith College of Digital Intelligence" is one run, and not a person; nor is
    "On November": a run's leading "On", "In" or "The" is not part of a name); in Chinese, a
    name jieba tags as a person's."""
    for run in _CAPITALISED_RUN.findall(text):
        words = [w.lower() for w in run.split()]
        words = words[1:] if words[0] in STOPWORDS else words
        if 2 <= len(words) <= 4 and not set(words) & _NOT_PERSON:
            return True
    return any(flag.startswith("nr") for _, flag in tagged_words(text))


def _holds_holder(text: str, query: "Query", known: str) -> bool:
    """For "who is the director / chair of…": the text names the role asked about and who holds
    it, a person or an institution ("… serves as the alliance's chair institution")."""
    role = query.subject
    held = role in text if has_chinese(role) else stem(role.lower()) in term_set(text)
    return held and (has_person(text) or bool(schools(text)))


@lru_cache(maxsize=100_000)
def defines(text: str, term: str) -> bool:
    """Whether the text opens with the term and a copula: "贴扎是一种…", "显微镜学（…）是…"."""
    return bool(re.match(re.escape(term) + _COPULA, text.strip(), re.I))


def _holds_definition(text: str, query: "Query", known: str) -> bool:
    return defines(text, query.subject)


# an abbreviation and what it stands for, either in brackets after the other: "new energy vehicles
# (NEVs)", "the Center for Chinese and Greek Civilizations (KELKIP)", "CQMU (Chongqing Medical
# University)", "重庆医科大学（简称重医）"
_LONG_THEN_SHORT = re.compile(r"(?P<long>[^()（）,，;；.。:：]{2,120}?)\s*[(（]\s*(?:简称|以下简称)?[:：]?\s*"
                              r"(?P<short>[A-Z][A-Za-z0-9&.\-]{1,11}|[\u4e00-\u9fff]{2,6})\s*[)）]")
_SHORT_THEN_LONG = re.compile(r"\b(?P<short>[A-Z][A-Z0-9&]{1,10}s?)\s*[(（](?P<long>[^()（）]{3,120})[)）]")
_SMALL_WORDS = frozenset("of for and the in on at to de".split())
_NAME_RUN_END = re.compile(r"(?:[A-Z][\w'’-]*(?:\s+(?:of|for|and|the|in|on|at|to|de))*\s+)*[A-Z][\w'’-]*\s*$")


def _letters(short: str) -> str:
    letters = re.sub(r"[^A-Za-z]", "", short)
    return letters[:-1] if len(letters) > 2 and letters.endswith("s") else letters


def _expansion(long: str, short: str) -> tuple[int, int] | None:
    """Where, at the end of `long`, the words that `short` abbreviates lie: a run of capitalised
    words ("Center for Chinese and Greek Civilizations"), or as many words as it has letters
    whose initials are its letters ("new energy vehicles": NEV); the whole of a Chinese one."""
    if has_chinese(long):
        run = re.search(r"[\u4e00-\u9fff]+$", long)
        return run.span() if run else None
    run = _NAME_RUN_END.search(long)
    if run and len(run.group().split()) >= 2:
        return run.start(), run.end()
    letters = _letters(short).lower()
    words = list(re.finditer(r"[\w'’-]+", long))
    big = [w for w in words if w.group().lower() not in _SMALL_WORDS]
    if len(letters) < 2 or len(big) < len(letters):
        return None
    chosen = big[-len(letters):]
    if "".join(w.group()[0].lower() for w in chosen) != letters:
        return None
    return chosen[0].start(), words[-1].end()


@lru_cache(maxsize=100_000)
def abbreviations(text: str) -> tuple[tuple[Span, Span], ...]:
    """Each abbreviation the text defines: (where the abbreviation is, where what it stands for is)."""
    pairs = []
    for match in _LONG_THEN_SHORT.finditer(text):
        span = _expansion(match.group("long"), match.group("short"))
        if span is not None:
            offset = match.start("long")
            pairs.append((match.span("short"), (offset + span[0], offset + span[1])))
    for match in _SHORT_THEN_LONG.finditer(text):
        long = match.group("long").strip()
        if len(long.split()) >= 2 and _letters(match.group("short")):
            pairs.append((match.span("short"), match.span("long")))
    return tuple(pairs)


# Chinese also names the other form inline, after the one it follows: "X，全称Y", "X简称Y"
_ZH_OTHER_NAME = re.compile(r"(?:全称|全名|简称|缩写|略称)(?:为|是|作|叫)?[:：]?\s*"
                            r"(?P<x>《[^》]+》|“[^”]+”|[^，,。；;、（）()\s]{1,30})")


def _same(a: str, b: str) -> bool:
    """The same name, whatever its case, a leading "the" or a plural "s"."""
    def form(x: str) -> str:
        x = re.sub(r"^the\s+", "", x.strip().lower())
        return x[:-1] if x.endswith("s") and len(x) > 3 else x
    return form(a) == form(b)


def _expanded(text: str, query: "Query") -> list[Span]:
    """The other half of each pair whose one half is what the question asks about."""
    out = []
    for abbreviation, full in abbreviations(text):
        if _same(text[slice(*abbreviation)], query.subject):
            out.append(full)
        elif _same(text[slice(*full)], query.subject):
            out.append(abbreviation)
    if has_chinese(query.subject) and query.subject in text:
        out += [m.span("x") for m in _ZH_OTHER_NAME.finditer(text)]
    return out


def _holds_abbreviation(text: str, query: "Query", known: str) -> bool:
    return bool(_expanded(text, query))


# --- the phrases that answer, for the lead line ---------------------------------------------

_DATE_PHRASE = re.compile(
    rf"\b{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}(?:\s+\d{{4}})?\b|\b{_MONTH}\s+(?:of\s+)?\d{{4}}\b"
    r"|\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?|\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)\s+century\b|\d+\s*世纪(?:\d+\s*年代)?|{_YEAR}"
    r"|\b\d{1,4}\s*(?:AD|BC|BCE|CE)\b|\bA\.?D\.?\s*\d{1,4}\b|\b\d{3}0s\b"
    r"|(?<=\bin )[1-9]\d{2,3}\b|(?<=\bby )[1-9]\d{2,3}\b")
_NUMBER_PHRASE = re.compile(
    r"(?<![A-Za-z0-9_.])\d[\d,.]*(?:\s*(?:%|％|percent|per cent|million|billion|thousand|hundred)\b)?"
    r"(?:\s*(?:[个所家项名位种条座米里克吨元岁天万亿倍层人次]|公里|千米|平方米|公顷|千克|美元|英里))?"
    rf"|\b(?:{_NUMBER_WORDS})\b(?:\s+(?:million|billion|thousand|hundred)\b)?"
    r"|[一二三四五六七八九十百千万亿两]+[个所家项名位种条座]", re.I)
_SHARE_PHRASE = re.compile(
    r"\d[\d,.]*\s*(?:%|％|percent\b|per cent\b)|\bone in \w+|\b(?:half|a third|two thirds"
    r"|a quarter|three quarters)\b|百分之[\d一二三四五六七八九十百点.]+|[一二三四五六七八九十\d]成"
    r"|\b\d+\s*(?::|to)\s*\d+\b", re.I)
_ALIAS_PHRASE_AFTER = re.compile(
    rf"(?:{_ALIAS_PHRASE}(?:\s+as)?|\ba\.?k\.?a\.?|\bnicknamed\b|\bshort for\b|{_ALIAS_WORD}(?:为|作)?)"
    r"\s*[:：]?\s*(?P<x>[^,，。;；)）(（]+)", re.I)


def _date_phrases(text: str, query: "Query") -> list[Span]:
    return matches(_DATE_PHRASE, text)


def _number_phrases(text: str, query: "Query") -> list[Span]:
    """Numbers with their unit, not those of a date or a list label."""
    dates = matches(_DATE_NUMBERS, text)
    label = _LIST_NUMBER.match(text)
    return [(a, b) for a, b in matches(_NUMBER_PHRASE, text)
            if not any(a < e and s < b for s, e in dates) and not (label and a < label.end())]


def has_number_phrase(text: str, exclude: set[str]) -> bool:
    """Whether the text gives a number (not a date's, not a list label) other than these."""
    return any(not set(re.findall(r"\w+", text[a:b].lower())) & exclude
               for a, b in _number_phrases(text, None))


def _pattern_phrases(pattern: re.Pattern, group: int | str = 0):
    def phrases(text: str, query: "Query") -> list[Span]:
        return [m.span(group) for m in pattern.finditer(text) if m.group(group)]
    return phrases


def _country_phrases(text: str, query: "Query") -> list[Span]:
    return country_spans(text)


def _school_phrases(text: str, query: "Query") -> list[Span]:
    return [m.span() for m in _SCHOOL_NAME.finditer(text)
            if not term_set(m.group()) <= query.term_set]


def _person_phrases(text: str, query: "Query") -> list[Span]:
    """People's names, and the schools that may hold a role ("… serves as chair")."""
    spans = []
    for match in _CAPITALISED_RUN.finditer(text):
        words = match.group().split()
        skip = 0  # a leading "On", or the role asked about ("Director Wang Li")
        for word in words[:-2]:
            if word.lower() not in STOPWORDS and stem(word.lower()) not in query.term_set:
                break
            skip += len(word) + 1
        if has_person(match.group()[skip:]):
            spans.append((match.start() + skip, match.end()))
    return spans + tagged_spans(text, "nr") + _school_phrases(text, query)


def _place_phrases(text: str, query: "Query") -> list[Span]:
    """Places, less the months and years that "in" also puts first ("in March 1979")."""
    return [(a, b) for a, b in place_spans(text, query) if not _DATE_PHRASE.match(text, a)]


def _holds_place(text: str, query: "Query", known: str) -> bool:
    """A place: what follows "in", "at"… or a country, in English; a place name jieba tags, or
    what follows 位于, 出生于…, in Chinese."""
    return names_a_country(text) or bool(_place_phrases(text, query))


def _definition_phrases(text: str, query: "Query") -> list[Span]:
    """What the term is said to be, after it and its copula."""
    offset = len(text) - len(text.lstrip())
    match = re.match(re.escape(query.subject) + _COPULA + r"\s*(?P<x>[^。；;]+)", text.strip(), re.I)
    return [(match.start("x") + offset, match.end("x") + offset)] if match else []


# --- the table ------------------------------------------------------------------------------
# A question's kind is the first row that it asks for, so the narrower kinds come first: "What
# is the email address…" before anything else, "who is the director" before "which school".

KINDS: tuple[Kind, ...] = (
    Kind("email", _en(r"\be-?mail\b"), _zh(r"邮箱|电子邮件"), _holds_pattern(_HAS_EMAIL),
         refusal=ABSTAIN_NO_EMAIL, phrases=_pattern_phrases(_HAS_EMAIL)),
    # another name for a thing: "What is X also called?", "X又称什么？"
    Kind("alias", _en(rf"{_ALIAS_PHRASE}|\b(another|other|alternative|former) name\b|\bnickname"),
         _zh(_ALIAS_WORD), _holds_pattern(_HAS_ALIAS), ranking="preferred",
         phrases=_pattern_phrases(_ALIAS_PHRASE_AFTER, "x")),
    # what a term means: "What does X mean?", "X的定义是什么？", "什么是X？", "X是什么地方？"
    Kind("definition",
         _en(r"^what (?:does|do) (?:the term |the word )?(?P<subject>.+?) mean\b",
             r"^what is (?:meant by|the (?:definition|meaning) of) (?P<subject>.+?)[?]?$"),
         _zh(r"^(?P<subject>.+?)的(?:定义|含义|意思|意义)(?:指的)?是什么",
             r"^什么(?:是|叫|叫做)(?P<subject>.+?)[？?]?$",
             r"^(?P<subject>[^的，,]+?)是(?:什么|何物|甚么)(?:地方|东西)?[？?]?$"),
         _holds_definition, ranking="preferred", phrases=_definition_phrases),
    # what an abbreviation stands for, or the abbreviation of a name: the other is the subject
    Kind("abbreviation",
         _en(r"^what (?:does|do|did) (?:the )?(?:abbreviation |acronym |initialism )?(?P<subject>.+?) "
             r"stands? for\b",
             r"\b(?:full name|full form|long form|expansion) (?:of|for) (?:the )?(?P<subject>[^?]+?)\s*[?]?$",
             r"^what is (?P<subject>.+?) (?:short|an abbreviation|an acronym) for\b",
             r"\b(?:abbreviation|acronym|short form|initialism) (?:of|for) (?:the )?(?P<subject>[^?]+?)\s*[?]?$",
             r"^(?:what|how) is (?:the )?(?P<subject>.+?) (?:abbreviated|shortened)\b"),
         _zh(r"^(?P<subject>.+?)的(?:全称|全名|简称|缩写)", r"^(?P<subject>.+?)(?:是|为)(?:什么|哪个词)的(?:缩写|简称)"),
         _holds_abbreviation, refusal=ABSTAIN_NO_EXPANSION, phrases=_expanded,
         frame=frozenset(terms("stand stands full name form long expansion abbreviation abbreviated "
                               "acronym initialism short shortened") + ["全称", "全名", "简称", "缩写"])),
    # who holds a role: the role is the subject
    Kind("person",
         _en(r"\bwho (is|was|are|were)( the| its| their)? (current |first |founding |former )?"
             r"(?P<subject>president|director|dean|head|chair|chairman|chairwoman|principal"
             r"|chancellor|rector|founder|leader|mayor|minister|secretary|governor|ceo|editor"
             r"|author)s?\b"),
         _zh(r"(?P<subject>校长|院长|主任|负责人)"), _holds_holder, refusal=ABSTAIN_NO_HOLDER,
         phrases=_person_phrases),
    Kind("country", _en(r"\b(which|what) (country|nation)\b",
                        r"^\s*(list|name|enumerate)\s+(\w+\s+){0,4}(countries|nations)\b"), _zh(r"哪个国家|哪国|哪一国|什么国家"),
         _holds_country, phrases=_country_phrases),
    Kind("school",
         _en(r"\b(which|what)\s+(\w+\s+){0,2}(universit(y|ies)|colleges?|institutions?|schools?"
             r"|institutes?|conservator(y|ies)|academ(y|ies))\b",
             r"^\s*(list|name|enumerate)\s+(\w+\s+){0,4}(universities|colleges|institutions|schools"
             r"|institutes|conservatories|academies)\b"),
         _zh(r"哪所|哪(些|个|一所|家)(大学|学院|学校|院校|机构|单位)"), _holds_school,
         phrases=_school_phrases),
    Kind("date",
         _en(r"^\s*when\b|\bwhat (year|date|day|month|time)\b|\bwhich (year|date|day|month)\b"
             r"|\bin what year\b"),
         _zh(r"哪一?年|哪一?天|何时|什么时候|几月|哪个月"), _holds_pattern(_HAS_DATE, list_labels=False),
         refusal=ABSTAIN_UNDATED, phrases=_date_phrases),
    Kind("place",
         _en(r"^\s*where\b|\bwhere (?:is|was|are|were|do|does|did|can|could|will|would|has|have|had)\b",
             r"\b(?:what|which) (?:city|town|village|state|province|region|place|location|county|district"
             r"|area|continent|island|port|street)\b"),
         _zh(r"哪里|哪儿|什么地方|什么地区|在哪|何处|何地|哪(?:个|座|一)?(?:城市|省|市|县|镇|地区|州|岛)"),
         _holds_place, ranking="preferred", phrases=_place_phrases),
    # a share of a whole: "what percentage…", "what is the acceptance rate…"
    Kind("share",
         _en(r"\bwhat (percentage|percent|share|proportion|fraction|ratio)\b"
             r"|\bwhat(?: is| was| are| were)?(?: the)?(?: \w+)? (rate|ratio|percentage|proportion)\b"),
         _zh(r"百分之|百分比|比例|比率|占比"), _holds_pattern(_HAS_SHARE), refusal=ABSTAIN_NO_SHARE,
         phrases=_pattern_phrases(_SHARE_PHRASE)),
    Kind("number",
         _en(r"\bhow (many|much|long|far|old|large|big|tall|high|deep|wide|heavy)\b|\bwhat number\b"
             r"|\bnumber of\b"
             r"|\bwhat(?: is| was| are| were)?(?: the)?(?: \w+)?"
             r" (fees?|tuition|costs?|price|salary|budget|population|gpa|score)\b"),
         _zh(r"多少|几个|几所|几家|多长|多远|多高|多深|多宽|多重|多久|多大|几岁"), _holds_number,
         phrases=_number_phrases),
)
KIND_NAMES = tuple(k.name for k in KINDS)


def kind_of(question: str, kinds: tuple[Kind, ...] = KINDS) -> tuple[Kind | None, str]:
    """The first kind the question asks for, with its subject; (None, "") for any other."""
    for kind in kinds:
        subject = kind.asked_by(question)
        if subject is not None:
            return kind, subject
    return None, ""
