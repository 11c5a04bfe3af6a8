"""Word-level helpers shared by indexing, retrieval and answer composition."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

STOPWORDS = frozenset(
    """a an the and or but of in on at to for from by with about as into over under than then
    is are was were be been being has have had do does did can could will would shall should may
    might must this that these those it its they them their there here which what who whom whose
    when where why how all any each some such no not only own same so too very s t just also
    i me my we our you your he him his she her one ones other many much more most
    tell please give list name named say says said know known according document documents
    mention mentions mentioned
    text texts corpus 什么 多少 哪些 哪个 哪所 哪里 哪一 一天 为什么 怎么 如何 是否 以及""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*|[\u3400-\u4dbf\u4e00-\u9fff]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"[^\W\u3400-\u4dbf\u4e00-\u9fff]+")  # a run of letters or digits, not Han


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


# characters that stand alone as grammar, never as part of a name
_FUNCTION_CHARACTERS = frozenset("的是在了和与也都而及或其之于为以对把将从被又就还很再向由到给让并")


def _chinese_words(run: str) -> list[str]:
    """Words of a run of Chinese characters, by jieba's search-engine segmentation. Characters
    it leaves on their own, as it does a name it does not know (涞滩镇: 涞 滩 镇), are paired
    with their neighbours (涞滩, 滩镇), so such a name is still matched."""
    words, alone = [], []
    for word in list(_jieba().cut_for_search(run)) + [""]:
        if len(word) == 1 and word not in _FUNCTION_CHARACTERS:
            alone.append(word)
            continue
        words.extend(a + b for a, b in zip(alone, alone[1:]))
        alone = []
        if len(word) > 1:
            words.append(word)
    return words


def _words(text: str) -> Iterator[tuple[str, str]]:
    """Content words as written (lower case), each with the term it stands for: the stemmed
    English word, or the Chinese word from jieba; stopwords left out."""
    for token in _TOKEN.findall(normalise(text)):
        if _HAN.match(token):
            yield from ((w, w) for w in _chinese_words(token) if w not in STOPWORDS)
        elif token not in STOPWORDS:
            yield token, stem(token)


def terms(text: str) -> list[str]:
    """Content terms: stemmed English words without stopwords; Chinese words from jieba."""
    return [term for _, term in _words(text)]


def word_terms(text: str) -> dict[str, str]:
    """Content words as written with the term each stands for; numbers left out."""
    return {word: term for word, term in _words(text) if not word[0].isdigit()}


@lru_cache(maxsize=100_000)
def term_set(text: str) -> frozenset[str]:
    """terms() as a set, remembered: the same sentences are matched against many questions."""
    return frozenset(terms(text))


_CLAUSE_END = re.compile(r"(?<!\d),\s*|,(?!\d{3}\b)\s*|[;，；、]\s*")


def clause_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the clauses of a sentence (split after commas and semicolons, not
    inside a number: 3,600)."""
    bounds = [0] + [m.end() for m in _CLAUSE_END.finditer(text)] + [len(text)]
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if text[a:b].strip()]


def trim_span(text: str, a: int, b: int) -> tuple[int, int]:
    """The span without surrounding space or a trailing comma or semicolon."""
    piece = text[a:b]
    a += len(piece) - len(piece.lstrip())
    return a, a + len(text[a:b].strip().rstrip(",;，；、").rstrip())


def has_chinese(text: str) -> bool:
    return bool(_HAN.search(text))


def mostly_chinese(text: str) -> bool:
    """Whether a text is written in Chinese rather than quoting some: its Han characters
    outweigh its Latin letters at three letters a character ("Stam1na是什么？" is Chinese; "His
    calendar, the Shoushi Li (授時暦), was…" and "What is 重庆?" are English)."""
    return 3 * len(_HAN.findall(text)) > len(_LATIN.findall(text))


def reads_as_chinese(text: str, document_language: str | None) -> bool:
    """Whether a passage is Chinese text: a passage of a Chinese document with Han characters
    in it, or one elsewhere that is mostly Chinese (a quote does not make a passage Chinese)."""
    return has_chinese(text) and (document_language == "zh" or mostly_chinese(text))


@lru_cache(maxsize=100_000)
def tagged_words(text: str) -> tuple[tuple[str, str], ...]:
    """jieba's words of a Chinese text with their part-of-speech tags (ns…: a place, nr…: a
    person's name); none for a text without Chinese, which never loads jieba."""
    if not has_chinese(text):
        return ()
    _jieba()
    import jieba.posseg

    return tuple((word, flag) for word, flag in jieba.posseg.cut(text))


def tagged_spans(text: str, tag: str) -> list[tuple[int, int]]:
    """Where the text has a word jieba tags `tag…` ("ns": a place, "nr": a person's name)."""
    spans, at = [], 0
    for word, flag in tagged_words(text):
        found = text.find(word, at)
        if found >= 0:
            if flag.startswith(tag):
                spans.append((found, found + len(word)))
            at = found + len(word)
    return spans


def word_count(text: str) -> int:
    """Words, two Chinese characters counting as one (an English sentence that quotes 授時暦 is
    counted in words, not characters)."""
    return len(_WORD.findall(text)) + len(_HAN.findall(text)) // 2
