"""What a question asks for: the kind of answer (a date, a number, a school, a person…) and the
names it mentions. Kept apart from the word helpers in text.py, which indexing depends on."""

from __future__ import annotations

import os
import re
from functools import lru_cache

from qa.places import names_a_country
from qa.text import STOPWORDS, has_chinese, stem, tagged_words, term_set, terms

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


_NUMBER_WORDS = ("one(?! of)|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
                 "|(?:thir|four|fif|six|seven|eigh|nine)teen|twenty|thirty|forty|fifty|sixty|seventy"
                 "|eighty|ninety|hundred|thousand|million|billion|dozen|half|percent")
_ASKS_NUMBER = re.compile(r"\bhow (many|much|long|far|old|large|big)\b|\bwhat number\b"
                          r"|\bnumber of\b|多少|几个|几所|几家"
                          r"|\bwhat(?: is| was| are| were)?(?: the)?(?: \w+)?"
                          r" (fees?|tuition|costs?|price|salary|budget|population|gpa|score)\b",
                          re.I)
# a share of a whole: "what percentage…", "what is the acceptance rate…"
_ASKS_SHARE = re.compile(r"\bwhat (percentage|percent|share|proportion|fraction|ratio)\b"
                         r"|\bwhat(?: is| was| are| were)?(?: the)?(?: \w+)? (rate|ratio|percentage|"
                         r"proportion)\b|百分之|百分比|比例|比率|占比", re.I)
_HAS_SHARE = re.compile(r"%|％|\bper\s?cent|\bper\b|\bratio\b|\bhalf\b|\bthirds?\b|\bquarters?\b"
                        r"|\bone in\b|\bout of\b|\d\s*(:|to)\s*\d|百分|比例|比率|占比|[一二三四五六七八九十\d]成",
                        re.I)
_ASKS_CONTACT = {
    "email": re.compile(r"\be-?mail\b|邮箱|电子邮件", re.I),
    "phone": re.compile(r"\b(phone|telephone|fax) (number)?\b|电话", re.I),
    "web": re.compile(r"\b(website|web site|web address|url|homepage)\b|网址|网站", re.I),
}
_HAS_CONTACT = {
    "email": re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"),
    "phone": re.compile(r"\+?\d[\d\s()-]{6,}\d"),
    "web": re.compile(r"https?://|www\.|\b[\w-]+\.(com|org|net|edu|gov|cn|info)\b", re.I),
}
# another name for a thing: "What is X also called?", "X又称什么？"; the passage that gives one says
# so ("X, also known as Y", "X，又名Y"). CMRC asks it 27 times in 250.
_ALIAS_WORD = r"(?:又|也|亦|还|或|俗|简|别|另|原|旧|古)(?:可以|可|能)?(?:被)?(?:称|名|叫|译)"
_ALIAS_PHRASE = r"\b(also|otherwise|commonly|better|formerly) (known|called|named|referred to)\b"
_ASKS_ALIAS = re.compile(rf"{_ALIAS_WORD}|{_ALIAS_PHRASE}|\b(another|other|alternative|former) name\b"
                         r"|\bnickname", re.I)
_HAS_ALIAS = re.compile(rf"{_ALIAS_WORD}|{_ALIAS_PHRASE}|\ba\.?k\.?a\b|\bnicknamed\b|\bshort for\b",
                        re.I)
# what a term means: "X的定义是什么？", "什么是X？", "X是什么地方？", "What does X mean?"; the
# passage that defines it opens with the term and a copula ("X（…）是…", "X, …, means…")
_ASKS_DEFINITION = (re.compile(r"^(.+?)的(?:定义|含义|意思|意义)(?:指的)?是什么"),
                    re.compile(r"^什么(?:是|叫|叫做)(.+?)[？?]?$"),
                    re.compile(r"^([^的，,]+?)是(?:什么|何物|甚么)(?:地方|东西)?[？?]?$"),
                    re.compile(r"^what (?:does|do) (?:the term |the word )?(.+?) mean\b", re.I),
                    re.compile(r"^what is (?:meant by|the (?:definition|meaning) of) (.+?)[?]?$", re.I))
# where a place or building is: "乍浦镇在哪里？"; the passage that defines it or says where it lies
_ASKS_PLACE = re.compile(r"^([^的，,？?]+?)(?:的(?:位置|地址|所在地))?(?:在哪里|在哪|位于哪里|位于哪个|在什么地方|"
                         r"位于什么地方|在何处|隶属于?哪|隶属于?什么)")
_LIES = r"[^。；]{0,20}?(?:位于|地处|坐落|座落|隶属|设在|设于)"
_COPULA = r"\s*(?:（[^）]*）|\([^)]*\))?\s*[，,]?\s*(?:是|为|指|即|乃|系|\bis\b|\bare\b|\bmeans\b|\brefers to\b)"
_ASKS_DATE = re.compile(r"^\s*when\b|\bwhat (year|date|day|month|time)\b|\bwhich (year|date|day|"
                        r"month)\b|\bin what year\b|哪一?年|哪一?天|何时|什么时候|几月|哪个月", re.I)
# a digit after a Han character starts a number ("全长364.6公里"): Python counts Han as \w
_HAS_NUMBER = re.compile(rf"(?<![A-Za-z0-9_.])\d[\d,.]*(?!\.\s*[A-Z])|\b({_NUMBER_WORDS})\b|[一二三四五六七八九十百千万亿两]+[个所家项名%]",
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
# an era: "吕凯是什么时期的人？" is answered by "三国时蜀汉…", a date or a named period
_ASKS_ERA = re.compile(r"(什么|哪个|哪一)(时期|时代|朝代)|哪一?朝")
_HAS_ERA = re.compile(r"时代|时期|年间|世纪|年代|末年|初年|末期|初期|朝|三国|战国|春秋|[东西]汉|[东西]晋|"
                      r"[东西]周|蜀汉|[隋唐宋元明清]代")
_LIST_NUMBER = re.compile(r"^\s*\d{1,2}\.\s")
# the numbers of a date, which answer "when" and not "how many": November 17, 2025; 17 May; 2025;
# 2025年11月17日
_DATE_NUMBERS = re.compile(rf"\b{_MONTH}\.?\s+\d{{1,2}}(st|nd|rd|th)?\b(,?\s+\d{{4}}\b)?"
                           rf"|\b\d{{1,2}}(st|nd|rd|th)?\s+{_MONTH}\b|{_YEAR}(?![,.]\d)"
                           r"|\d+\s*[年月日]", re.I)
_ASKS_COUNTRY = re.compile(r"\b(which|what) (country|nation)\b|哪个国家|哪国|哪一国|什么国家", re.I)
_ASKS_SCHOOL = re.compile(
    r"\b(which|what)\s+(\w+\s+){0,2}(universit(y|ies)|colleges?|institutions?|schools?|institutes?"
    r"|conservator(y|ies)|academ(y|ies))\b|哪所|哪(些|个|一所|家)(大学|学院|学校|院校|机构|单位)", re.I)
# what a school is called, in the stems of its words and plurals (universities: universiti)
SCHOOL_WORDS = frozenset(terms("university college institute institution school conservatory academy"))
_SCHOOL_NAME = re.compile(
    r"(?:[A-Z][\w'’.-]*\s+)*(?:University|College|Institute|School|Conservatory|Academy)"
    r"(?:\s+(?:of|for|and|in)(?:\s+[A-Z][\w'’.-]*)+)*|[\u4e00-\u9fff]{2,10}(?:大学|学院|学校)")
_ASKS_PERSON = re.compile(
    r"\bwho (is|was|are|were)( the| its| their)? (current |first |founding |former )?(?P<role>"
    r"president|director|dean|head|chair|chairman|chairwoman|principal|chancellor|rector|founder|"
    r"leader|mayor|minister|secretary|governor|ceo|editor|author)s?\b|(?P<zh>校长|院长|主任|负责人)",
    re.I)
_NOT_PERSON = frozenset("""university college institute school conservatory academy department
    ministry office alliance conference province provincial city council commission committee
    association education cooperation international national state federal group company
    republic china chinese new north south east west the of and for january february march
    april may june july august september october november december monday tuesday wednesday
    thursday friday saturday sunday""".split())
_CAPITALISED_RUN = re.compile(r"\b[A-Z][\w'’.-]+(?:\s+(?:(?:of|for|and)\s+)?[A-Z][\w'’.-]+)+")


def _has_person(text: str) -> bool:
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


def _names_holder(text: str, question: str) -> bool:
    """For "who is the director / chair of…": the text names the role asked about and who holds
    it, a person or an institution ("… serves as the alliance's chair institution")."""
    role = _ASKS_PERSON.search(question)
    if role is None:
        return _has_person(text)
    held = role["zh"] in text if role["zh"] else stem(role["role"].lower()) in term_set(text)
    return held and (_has_person(text) or bool(_schools(text)))


_ASKS_AUTHOR = re.compile(r"\bwho (wrote|authored|reported)\b|\b(author|writer|reporter)\b|"
                          r"\bwritten by\b|(?<!工)作者|记者|谁写", re.I)  # 工作者: a worker
_ASKS_PUBLISHER = re.compile(
    r"\b(source|publisher|outlet)\b.{0,30}\b(report|article|story|news|page|release)\b|"
    r"\b(report|article|story|news|page|release)\b.{0,30}\b(published by|comes? from)\b|"
    r"\bwho published\b|来源|出处", re.I)
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


def states_negation(text: str, question: str = "") -> bool:
    """Whether a passage says something is not so, in any of the ways text negates; a "non-"
    word only where the question negates with one ("How many non-Muslims…"): "a non-specific
    response" answers nothing about what is not prevented."""
    return bool(_STATES_NEGATION.search(text) or (_NON.search(question) and _NON.search(text)))


_ASKS_REASON = re.compile(r"^\s*why\b|\bwhat (caused|led to)\b|\bfor what reason\b|为什么|为何|原因",
                          re.I)
# a sentence that opens with its result points back at its cause, the sentence before
STATES_RESULT = re.compile(r"^\s*(as a result|the result|consequently|therefore|thus|hence|"
                           r"because of this|this led)\b|^\s*(因此|所以|因而|于是)", re.I)


def asks_reason(question: str) -> bool:
    """Whether the question asks why something happened."""
    return bool(_ASKS_REASON.search(question))


def asks_provenance(question: str) -> str:
    """'author' for "who wrote the article…", 'publisher' for "what is the source of the
    report…", else ''."""
    if not _ABOUT_DOCUMENT.search(question):
        return ""
    if _ASKS_AUTHOR.search(question):
        return "author"
    return "publisher" if _ASKS_PUBLISHER.search(question) else ""


@lru_cache(maxsize=10_000)
def defined_term(question: str) -> str:
    """The term a question asks the meaning of ("操场" of "操场的定义是什么？"), else ''."""
    for pattern in _ASKS_DEFINITION:
        match = pattern.search(question.strip())
        if match:
            return re.split(r"[，,]", match.group(1))[-1].strip(" “”\"'")  # after "在…中，"
    return ""


@lru_cache(maxsize=100_000)
def defines(text: str, term: str) -> bool:
    """Whether the text opens with the term and a copula: "贴扎是一种…", "显微镜学（…）是…"."""
    return bool(re.match(re.escape(term) + _COPULA, text.strip(), re.I))


# after a sentence's subject, what introduces it: a copula, a comma ("张世昌（），中国足球运动员") or
# where it lies ("安贞门站位于北京市朝阳区，是…")
_INTRODUCING = re.compile(r"\s*(?:（[^）]*）|\([^)]*\))?\s*(?:[，,]|是|为|乃|系|位于|地处)")
# or a sentence opening with "this X" (本鱼, 该校, 本站), X the last character of the question's
# subject: its words before the first of these
_THIS = re.compile(r"(?:本|该)([\u4e00-\u9fff])")
_AFTER_SUBJECT = re.compile(r"的|是|在|有|由|属|主要|一般|为|位|哪|什么|几|多少")


@lru_cache(maxsize=100_000)
def introduces(text: str, question: str) -> bool:
    """Whether the sentence opens by introducing what a Chinese question asks about: the question's
    opening words, then a copula or a comma ("张世昌（），中国足球运动员…" for "张世昌的职业是什么？",
    "余蔚，是…国王" for "余蔚是哪国国王？"), or "this X" of it ("本鱼…" for "浪花鱼的分布…")."""
    text, question = text.strip(), question.strip()
    this = _THIS.match(text)
    if this:  # "本鱼分布于…" of "浪花鱼的分布在什么地区？": the subject's last character
        subject = _AFTER_SUBJECT.split(question, 1)[0]
        return len(subject) >= 2 and subject.endswith(this.group(1))
    subject = os.path.commonprefix([text, question]).rstrip("是为的")
    return (sum(map(has_chinese, subject)) >= 2 and has_chinese(subject[:1])
            and bool(_INTRODUCING.match(text, len(subject))))


@lru_cache(maxsize=10_000)
def placed_term(question: str) -> str:
    """The place a question asks the whereabouts of ("乍浦镇" of "乍浦镇在哪里？"), else ''."""
    match = _ASKS_PLACE.search(question.strip())
    return match.group(1).strip() if match else ""


@lru_cache(maxsize=100_000)
def places(text: str, term: str) -> bool:
    """Whether the text defines the term or says where it lies ("乍浦镇是隶属于…", "…位于…")."""
    return defines(text, term) or bool(re.search(re.escape(term) + _LIES, text))


def answer_type(question: str) -> str:
    """'date', 'era', 'share', 'number', 'email', 'phone', 'web', 'alias', 'definition',
    'place', 'country', 'school', 'person' or '' (anything else)."""
    for kind, pattern in _ASKS_CONTACT.items():
        if pattern.search(question):
            return kind
    if _ASKS_ALIAS.search(question):
        return "alias"
    if defined_term(question):
        return "definition"
    if _ASKS_PERSON.search(question):
        return "person"
    if _ASKS_COUNTRY.search(question):
        return "country"
    if _ASKS_SCHOOL.search(question):
        return "school"
    if _ASKS_ERA.search(question):
        return "era"
    if _ASKS_DATE.search(question):
        return "date"
    if placed_term(question):
        return "place"
    if _ASKS_SHARE.search(question):
        return "share"
    if _ASKS_NUMBER.search(question):
        return "number"
    return ""


def matches_type(kind: str, text: str, question: str = "") -> bool:
    """Whether the text holds an answer of the kind the question asks for (a school: one the
    question does not name already)."""
    if not kind:
        return True
    if kind == "school":
        asked = term_set(question)
        return any(not name <= asked for name in _schools(text))
    if kind == "person":
        return _names_holder(text, question)
    if kind == "definition":
        return defines(text, defined_term(question))
    if kind == "place":
        return places(text, placed_term(question))
    return _holds(kind, text)


@lru_cache(maxsize=100_000)
def _schools(text: str) -> tuple[frozenset[str], ...]:
    """The terms of each school named in the text (the same sentences meet many questions)."""
    return tuple(term_set(name) for name in _SCHOOL_NAME.findall(text))


@lru_cache(maxsize=100_000)
def _holds(kind: str, text: str) -> bool:
    if kind == "country":
        return names_a_country(text)
    if kind in _HAS_CONTACT:
        return bool(_HAS_CONTACT[kind].search(text))
    if kind == "share":
        return bool(_HAS_SHARE.search(text))
    if kind == "alias":
        return bool(_HAS_ALIAS.search(text))
    text = _LIST_NUMBER.sub("", text)
    if kind == "date":
        return bool(_HAS_DATE.search(text))
    if kind == "era":
        return bool(_HAS_DATE.search(text) or _HAS_ERA.search(text))
    return bool(_HAS_NUMBER.search(_DATE_NUMBERS.sub(" ", text)))
