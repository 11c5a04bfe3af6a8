"""Word-level helpers shared by indexing, retrieval and answer composition."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

STOPWORDS = frozenset(
    """a an the and or but of in on at to for from by with about as into over under than then
    is are was were be been being has have had do does did can could will would shall should may
    might must this that these those it its they them their there here which what who whom whose
    when where why how all any each some such no not only own same so too very s t just also
    i me my we our you your he him his she her one ones other many much more most
    tell please give list name named say says said know known according document documents
    text texts corpus 什么 多少 哪些 哪个 哪所 哪里 哪一 一天 为什么 怎么 如何 是否 以及""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*|[\u4e00-\u9fff]+")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def normalise(text: str) -> str:
    """Lower case, full-width folded to ASCII, curly quotes straightened."""
    text = unicodedata.normalize("NFKC", text).lower()
    return text.translate(str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"}))


@lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The English (Porter 2) stem, so "aiming" meets "aim" and "educational" "education"."""
    return _stemmer().stemWord(word)


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(60)
    return jieba


def _chinese_words(run: str) -> list[str]:
    """Words of a run of Chinese characters, by jieba's search-engine segmentation."""
    return [w for w in _jieba().cut_for_search(run) if len(w) > 1]


def terms(text: str) -> list[str]:
    """Content terms: stemmed English words without stopwords; Chinese words from jieba."""
    out: list[str] = []
    for token in _TOKEN.findall(normalise(text)):
        if _HAN.match(token):
            out.extend(w for w in _chinese_words(token) if w not in STOPWORDS)
        elif token not in STOPWORDS:
            out.append(stem(token))
    return out


def word_terms(text: str) -> dict[str, str]:
    """Content words as written (lower case) with the term each stands for; numbers left out."""
    out: dict[str, str] = {}
    for token in _TOKEN.findall(normalise(text)):
        if _HAN.match(token):
            out.update((w, w) for w in _chinese_words(token) if w not in STOPWORDS)
        elif token not in STOPWORDS and not token[0].isdigit():
            out[token] = stem(token)
    return out


@lru_cache(maxsize=100_000)
def term_set(text: str) -> frozenset[str]:
    """terms() as a set, remembered: the same sentences are matched against many questions."""
    return frozenset(terms(text))


_CLAUSE_END = re.compile(r"[,;，；、]\s*")


def clause_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the clauses of a sentence (split after commas and semicolons)."""
    bounds = [0] + [m.end() for m in _CLAUSE_END.finditer(text)] + [len(text)]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if text[a:b].strip()]


def trim_span(text: str, a: int, b: int) -> tuple[int, int]:
    """The span without surrounding space or a trailing comma or semicolon."""
    piece = text[a:b]
    a += len(piece) - len(piece.lstrip())
    return a, a + len(text[a:b].strip().rstrip(",;，；、").rstrip())


_NAME = re.compile(r"(?<![.?!:]\s)(?<!^)(?<![\w'’-])([A-Z][A-Za-z]+(?:-[A-Za-z]+)*)")


def names(question: str) -> list[str]:
    """Capitalised words of a question that do not open a sentence: the names it asks about."""
    return [n for n in _NAME.findall(question.strip()) if n.lower() not in STOPWORDS]


def has_chinese(text: str) -> bool:
    return bool(_HAN.search(text))


def word_count(text: str) -> int:
    return len(re.findall(r"[A-Za-z0-9]+", text)) + len(_HAN.findall(text)) // 2


# --- what kind of answer a question asks for --------------------------------------------------

_NUMBER_WORDS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty"
                 "|forty|fifty|hundred|thousand|million|billion|dozen|half|percent")
_ASKS_NUMBER = re.compile(r"\bhow (many|much|long|far|old|large|big)\b|\bwhat (percentage|share|"
                          r"proportion|number|fraction)\b|\bnumber of\b|多少|几个|几所|几家|百分之"
                          r"|\bwhat(?: is| was| are| were)?(?: the)?(?: \w+)?"
                          r" (fees?|tuition|costs?|price|rate|salary|budget|population|gpa|score)\b",
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
_ASKS_DATE = re.compile(r"^\s*when\b|\bwhat (year|date|day|month|time)\b|\bwhich (year|date|day|"
                        r"month)\b|\bin what year\b|哪一?年|哪一?天|何时|什么时候|几月|哪个月", re.I)
_HAS_NUMBER = re.compile(rf"(?<![\w.])\d[\d,.]*(?!\.\s*[A-Z])|\b({_NUMBER_WORDS})\b|[一二三四五六七八九十百千万亿两]+[个所家项名%]",
                         re.I)
_HAS_DATE = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b|\b(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|"
                       r"june?|july?|aug(ust)?|sep(tember)?|oct(ober)?|nov(ember)?|dec(ember)?)\b"
                       r"|\d+\s*[年月日]|\b(century|decade)\b", re.I)
_LIST_NUMBER = re.compile(r"^\s*\d{1,2}\.\s")


def answer_type(question: str) -> str:
    """'date', 'number', 'email', 'phone', 'web' or '' (anything else)."""
    for kind, pattern in _ASKS_CONTACT.items():
        if pattern.search(question):
            return kind
    if _ASKS_DATE.search(question):
        return "date"
    if _ASKS_NUMBER.search(question):
        return "number"
    return ""


def matches_type(kind: str, text: str) -> bool:
    """Whether the text holds an answer of the kind the question asks for."""
    if not kind:
        return True
    if kind in _HAS_CONTACT:
        return bool(_HAS_CONTACT[kind].search(text))
    text = _LIST_NUMBER.sub("", text)
    return bool((_HAS_DATE if kind == "date" else _HAS_NUMBER).search(text))
