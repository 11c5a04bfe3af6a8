"""Word-level helpers shared by retrieval and answer composition."""

from __future__ import annotations

import re
import unicodedata

STOPWORDS = frozenset(
    """a an the and or but of in on at to for from by with about as into over under than then
    is are was were be been being has have had do does did can could will would shall should may
    might must this that these those it its they them their there here which what who whom whose
    when where why how all any each some such no not only own same so too very s t just also
    i me my we our you your he him his she her one ones other many much more most
    tell please give list name named say says said know known according document documents
    text texts corpus""".split()
)
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*|[\u4e00-\u9fff]")


def normalise(text: str) -> str:
    """Lower case, full-width folded to ASCII, curly quotes straightened."""
    text = unicodedata.normalize("NFKC", text).lower()
    return text.translate(str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"}))


def stem(word: str) -> str:
    for suffix in ("ies", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix) and not word.endswith("ss"):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def terms(text: str) -> list[str]:
    """Content terms: stemmed English words without stopwords, Chinese character bigrams."""
    tokens = _WORD.findall(normalise(text))
    out: list[str] = []
    han: list[str] = []
    for token in tokens + [""]:
        if len(token) == 1 and "\u4e00" <= token <= "\u9fff":
            han.append(token)
            continue
        if han:
            out.extend(a + b for a, b in zip(han, han[1:]) or [(han[0], "")])
            han = []
        if token and token not in STOPWORDS:
            out.append(stem(token))
    return out


def word_count(text: str) -> int:
    return len(re.findall(r"[A-Za-z0-9]+", text)) + len(re.findall(r"[\u4e00-\u9fff]", text)) // 2
