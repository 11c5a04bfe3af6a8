"""Load corpus files of each format, clean them, split them into sentences and chunks."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from qa.errors import ConfigError, DocumentError
from qa.text import clause_spans, stem, trim_span, word_count
from qa.types import Chunk, Sentence, SourceDoc

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
SIDECAR_SUFFIX = ".meta.json"
META_FIELDS = ("title", "publisher", "date", "author", "language")

# --- reading -----------------------------------------------------------------


Warn = Callable[[str], None]  # receives a warning naming a file, as it happens


def decode_bytes(data: bytes, name: str, on_warning: Warn | None = None) -> str:
    """Decode UTF-8 (with or without BOM) or whatever charset-normalizer finds (GB18030...).

    A file that is UTF-8 but for a few bytes (a cut or damaged copy) is read as UTF-8 without
    them, with a warning: read as a whole in another encoding, every character outside ASCII
    would turn into mojibake."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data[:4096]:
        raise DocumentError(f"{name}: looks like a binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    bad = mostly_utf8(data)
    if bad:
        if on_warning:
            on_warning(f"{name}: {bad} byte sequence{'s' if bad > 1 else ''} that "
                       f"{'are' if bad > 1 else 'is'} not UTF-8 left out; the rest is read as "
                       "UTF-8")
        return data.decode("utf-8", errors="ignore")
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DocumentError(f"{name}: cannot tell which text encoding it uses")
    encoding = best.encoding
    if encoding.lower().replace("-", "") in {"gb2312", "gbk"}:
        encoding = "gb18030"  # the superset decodes everything its subsets can
    return data.decode(encoding, errors="strict")


def mostly_utf8(data: bytes) -> int:
    """For bytes that are not all UTF-8: how many of their sequences are not, where more of them
    are UTF-8 characters beyond ASCII than are not (else 0). Text in another encoding reads as
    far fewer: about one valid sequence in six for GB18030, Big5 or Shift-JIS, none for
    Latin-1 or Cyrillic code pages."""
    read = data.decode("utf-8", errors="replace")
    bad = read.count("\ufffd")
    good = sum(1 for c in read if c > "\x7f") - bad
    return bad if good > bad else 0


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split `---\\nkey: value\\n---` front matter off the start of a text file."""
    match = re.match(r"\A---\s*\n(.*?)\n---\s*\n", text, re.S)
    if not match:
        return {}, text
    meta = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() in META_FIELDS:
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, text[match.end() :]


def _read_html(data: bytes, name: str, on_warning: Warn | None = None) -> tuple[str, dict[str, str]]:
    import trafilatura

    html = decode_bytes(data, name, on_warning)
    text = trafilatura.extract(html, include_comments=False, include_tables=True, favor_recall=True)
    if not text:
        raise DocumentError(f"{name}: no readable text found in the HTML")
    meta: dict[str, str] = {}
    info = trafilatura.extract_metadata(html)
    if info is not None:
        for key, value in (("title", info.title), ("publisher", info.sitename),
                           ("date", info.date), ("author", info.author)):
            if value:
                meta[key] = str(value)
    return text, meta


def _read_pdf(path: Path, name: str) -> tuple[str, dict[str, str]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        text = "\n\n".join(page.extract_text() or "" for page in reader.pages)
        title = (reader.metadata or {}).get("/Title") if reader.metadata else None
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise DocumentError(f"{name}: broken PDF ({exc})") from exc
    return text, {"title": str(title)} if title else {}


def _read_docx(path: Path, name: str) -> tuple[str, dict[str, str]]:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"{name}: broken DOCX ({exc})") from exc
    text = "\n\n".join(p.text for p in document.paragraphs)
    props = document.core_properties
    meta = {k: v for k, v in (("title", props.title), ("author", props.author)) if v}
    return text, meta


def read_raw(path: Path, name: str, on_warning: Warn | None = None) -> tuple[str, dict[str, str]]:
    """Return the raw text of one file and any metadata its format carries."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return _read_pdf(path, name)
    if suffix == ".docx":
        return _read_docx(path, name)
    data = path.read_bytes()
    if suffix in (".html", ".htm"):
        return _read_html(data, name, on_warning)
    meta, text = _front_matter(decode_bytes(data, name, on_warning))
    return text, meta


def read_sidecar(path: Path, name: str) -> dict[str, str]:
    """Metadata from `<file>.meta.json` beside the document, if there is one."""
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not sidecar.exists():
        return {}
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DocumentError(f"{name}: its sidecar {sidecar.name} is not valid JSON ({exc})") from exc
    return {k: str(v) for k, v in data.items() if k in META_FIELDS and v}


# --- metadata found in the text ----------------------------------------------

_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_MONTH_NUM = {m: i + 1 for i, m in enumerate(_MONTHS.split("|"))}
_DATE_PATTERNS = (
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), (1, 2, 3)),
    (re.compile(r"\b(\d{4})\s+(\d{1,2})/(\d{1,2})\b"), (1, 2, 3)),
    (re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"), (1, 2, 3)),
    (re.compile(rf"\b({_MONTHS})[a-z]*\.?\s+(\d{{1,2}}),\s*(\d{{4}})\b"), (3, 1, 2)),
)
_BYLINE = re.compile(r"^By\s+([^|/\n]{2,60}?)\s*(?:[|/]\s*(.+))?$", re.M)
_SOURCE_LINE = re.compile(r"^\s*(?:来源|Source)\s*[:：]\s*(.+)$", re.M | re.I)


def find_date(text: str) -> str:
    """The first date in the opening lines of a text, as YYYY-MM-DD, or ''."""
    head = text[:800]
    found: list[tuple[int, str]] = []
    for pattern, (y, m, d) in _DATE_PATTERNS:
        match = pattern.search(head)
        if match:
            month = match.group(m)
            month_num = _MONTH_NUM.get(month[:3].title()) if not month.isdigit() else int(month)
            iso = f"{int(match.group(y)):04d}-{month_num:02d}-{int(match.group(d)):02d}"
            found.append((match.start(), iso))
    return min(found)[1] if found else ""


def date_span(text: str, iso: str) -> tuple[int, int] | None:
    """Where the opening lines of a text write the date `iso` (YYYY-MM-DD), in any form
    `find_date` reads."""
    head = text[:800]
    for pattern, (y, m, d) in _DATE_PATTERNS:
        for match in pattern.finditer(head):
            month = match.group(m)
            month_num = _MONTH_NUM.get(month[:3].title()) if not month.isdigit() else int(month)
            if f"{int(match.group(y)):04d}-{month_num:02d}-{int(match.group(d)):02d}" == iso:
                return match.span()
    return None


def find_metadata(raw: str) -> dict[str, str]:
    """Author, publisher and date that the raw text states (bylines, source and date lines)."""
    meta: dict[str, str] = {}
    date = find_date(raw)
    if date:
        meta["date"] = date
    source = _SOURCE_LINE.search(raw)
    if source:
        meta["publisher"] = source.group(1).strip()
    for match in _BYLINE.finditer(raw):
        author, rest = match.group(1).strip(), (match.group(2) or "").strip()
        meta.setdefault("author", author.title() if author.isupper() else author)
        if rest and not find_date(rest):
            meta.setdefault("publisher", rest)
    return meta


def guess_language(text: str) -> str:
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    letters = len(re.findall(r"[A-Za-z]", text))
    return "zh" if cjk > letters / 4 else "en"


# --- cleaning -----------------------------------------------------------------

# Site furniture: consent banners, licences, hotlines, editor tags, share prompts. Strong
# patterns drop any line; weak ones only lines too short to be a paragraph of prose, so an
# article that discusses copyright or cookies keeps its text.
_STRONG_BOILERPLATE = re.compile(
    r"ICP备|ICP证|公网安备|互联网新闻信息服务许可证|【纠错】|【责任编辑|all rights reserved"
    r"|use of cookies|cookie settings|can be reported by calling"
    r"|^(current location|you are here|当前位置|您的位置)\b|^\S[^.!?。]*\s>\s[^.!?。]*\s>\s",
    re.I,
)
_WEAK_BOILERPLATE = re.compile(
    r"ICP|许可证|版权所有|copyright|©|举报|热线|hotline|telephone number"
    r"|cookie|privacy (statement|policy)|terms of use|^i agree$"
    r"|责任编辑[:：]|^字体[:：]?$|微信|wechat|扫一扫|分享到"
    r"|^(must read|related|recommended|read more|back|share|print|about us.*|leaving a message)$"
    r"|please email"
    r"|\(photo/[^)]*\)\s*$|^(来源|source)\s*[:：]|^by\s+[^.]{2,60}[|/]",
    re.I,
)
# Markers after which the rest of a page is footer, but for real paragraphs.
_FOOTER_START = re.compile(
    r"^(must read|related (articles|stories|news)|recommended|相关(新闻|阅读)|推荐阅读)$"
    r"|copyright\s*(©\s*)?\d{4}|©\s*\d{4}|all rights reserved|ICP备|【纠错】|【责任编辑",
    re.I,
)
_DATE_ONLY = re.compile(r"^[\d\s:/.\-年月日]+$")
# who edited or reported a page: a byline at a line's start, or inside the page furniture's
# brackets ("【纠错】 【责任编辑:王晓震】"); such a line is kept as the byline alone
_EDITOR_LINE = re.compile(
    r"(?:^|(?<=【))(?P<role>责任编辑|编辑|记者|撰稿|\b(?:editor|edited by|reporter|reported by))\s*[:：]?\s*"
    r"(?P<name>[\u4e00-\u9fff·]{2,8}(?=[】\])\s]|$)|(?-i:[A-Z])[\w'’.-]+(?: (?-i:[A-Z])[\w'’.-]+){0,3})",
    re.I | re.M)
_EDITOR_ROLES = ("责任编辑", "编辑", "editor", "edited by")


def editor(text: str) -> str:
    """Who edited a page, as its byline gives it ("责任编辑:王晓震", "Editor: Jane Smith"); ''."""
    for match in _EDITOR_LINE.finditer(text):
        if match.group("role").lower() in _EDITOR_ROLES:
            return match.group("name")
    return ""
# a news page's dateline run into the paragraph it heads: "ChongqingChongqing has taken…"
_GLUED_DATELINE = re.compile(r"^([A-Z][a-z]{3,}(?: [A-Z][a-z]+)?)\1\b")


# Words run together where a page lost its line breaks ("foreign cooperationand exchanges", "Office
# ofInternational", "College,is"). Only a text that shows it unmistakably, a small word run into a
# capitalised one or a comma with no space after it between words at least GLUE_SIGNS times, is
# repaired: clean text has compounds the same splitting would break ("overgrowth", "timestamp").
# Measured: none of SQuAD's 411 paragraphs and CMRC's 848 shows a sign (split anyway, 79 of their
# words would be broken: "radio carbon", "foot hold"); the seed office page shows 5, and has 24
# words and 6 commas repaired.
_GLUE_SIGN = re.compile(r"[a-z][,;][a-z]|\b(?:of|and|the|in|to|for|with|as|an|on)[A-Z][a-z]")
GLUE_SIGNS = 3
# small words that run into the next word ("ofteaching") and into the word before ("developmentas");
# not "in", "is", "or": "insecurity", "pestis", "injector" are words
_SMALL_FIRST = frozenset("an as at by of on to we and are for its the was with from also that this "
                         "than into our".split())
_SMALL_LAST = frozenset("and as of the to for with from than that this".split())
# what begins or ends a compound: "overgrowth", "multipurpose", "frictionless" are words
_COMPOUND_PARTS = frozenset("""over under out down micro macro super multi inter intra semi counter
    mini hyper trans anti post self less ness able wide like ship""".split())


@lru_cache(maxsize=1)
def _english_words() -> tuple[frozenset[str], frozenset[str]]:
    """The whole English words of MiniLM's tokenizer vocabulary (about 23,000), and their stems."""
    from qa.embedders import DEFAULT_MODEL, resolve_model_path

    try:
        vocab = Path(resolve_model_path(DEFAULT_MODEL)) / "vocab.txt"
        words = frozenset(w for w in vocab.read_text("utf-8").split("\n")
                          if w.isascii() and w.isalpha())
    except (ConfigError, OSError):  # no model package: nothing is split
        return frozenset(), frozenset()
    return words, frozenset(map(stem, words))


def _split_glued(word: str) -> str:
    """'cooperationand' -> 'cooperation and', 'ofInternational' -> 'of International': a word that
    is no English word (in any form) but two, each a small word, a word of 4+ letters or another
    form of one of 6+ ("officeattaches")."""
    words, stems = _english_words()
    low = word.lower()
    if len(word) < 6 or low in words or stem(low) in stems:
        return word
    if word[0].isupper() and not re.search(r"[a-z][A-Z]", word):  # a name
        return word

    def known(part: str, small: frozenset[str]) -> bool:
        if part in _COMPOUND_PARTS:
            return False
        return part in small or (len(part) >= 4 and part in words) or (
            len(part) >= 6 and stem(part) in stems)

    for k in range(len(word) - 2, 1, -1):  # the longest first word
        if known(low[:k], _SMALL_FIRST) and known(low[k:], _SMALL_LAST):
            return f"{word[:k]} {word[k:]}"
    return word


def unglue(text: str) -> str:
    """Words run together set apart again, in a text that shows the fault (see _GLUE_SIGN)."""
    if len(_GLUE_SIGN.findall(text)) < GLUE_SIGNS:
        return text
    text = re.sub(r"(?<=[a-z])([,;])(?=[A-Za-z])", r"\1 ", text)
    return re.sub(r"[A-Za-z]+", lambda m: _split_glued(m.group()), text)


def _is_paragraph(line: str) -> bool:
    words = len(line.split()) + len(re.findall(r"[\u4e00-\u9fff]", line)) // 2
    return words >= 15 and bool(re.search(r"[.!?。！？]", line))


def clean_text(raw: str) -> str:
    """Drop boilerplate lines, normalise spaces, keep paragraphs apart with one blank line."""
    kept: list[str] = []
    in_footer = False
    for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = re.sub(r"[ \t\u3000\xa0]+", " ", line).strip()
        line = _GLUED_DATELINE.sub(r"\1 — \1", line)
        if not line:
            if kept and kept[-1]:
                kept.append("")
            continue
        prose = _is_paragraph(line)
        if _FOOTER_START.search(line):
            in_footer = True
        byline = _EDITOR_LINE.search(line)
        if byline and not prose:
            kept.append(byline.group().strip())
            continue
        if _STRONG_BOILERPLATE.search(line) or _DATE_ONLY.match(line):
            continue
        if not prose and (in_footer or _WEAK_BOILERPLATE.search(line)):
            continue
        if line in kept[-3:]:  # a heading repeated by the page template
            continue
        kept.append(line)
    return unglue("\n".join(kept).strip())


def guess_title(text: str, fallback: str) -> str:
    """A heading-like line near the top of the text, else a title made from the file name."""
    for line in text.split("\n")[:8]:
        words = line.split()
        if 3 <= len(words) <= 30 and not re.search(r"[.。!！;；]$", line) and len(line) <= 200:
            return line
    stem = re.sub(r"[-_]+", " ", fallback).strip()
    return stem[:1].upper() + stem[1:]


def file_hash(path: Path) -> str:
    """Hash of a document and its sidecar: what decides whether it must be re-indexed."""
    digest = hashlib.sha256(path.read_bytes())
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if sidecar.exists():
        digest.update(sidecar.read_bytes())
    return digest.hexdigest()


def load_document(path: Path, root: Path, on_warning: Warn | None = None) -> SourceDoc:
    """Read, clean and describe one corpus file; raises DocumentError when it is unusable, and
    tells `on_warning` what it had to repair."""
    name = path.relative_to(root).as_posix()
    try:
        digest = file_hash(path)
        raw, format_meta = read_raw(path, name, on_warning)
    except OSError as exc:
        raise DocumentError(f"{name}: cannot be read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{name}: text cannot be decoded ({exc.reason})") from exc
    if "\x00" in raw:  # NUL is no text: it would end the passage for some readers of it
        if on_warning:
            on_warning(f"{name}: {raw.count(chr(0))} NUL characters removed")
        raw = raw.replace("\x00", "")
    text = clean_text(raw)
    if len(text) < 20:
        raise DocumentError(f"{name}: holds no usable text")
    sidecar = read_sidecar(path, name)
    meta = {**find_metadata(raw), **format_meta, **sidecar}
    return SourceDoc(
        source=name,
        text=text,
        title=meta.get("title") or guess_title(text, path.stem),
        publisher=meta.get("publisher", ""),
        date=meta.get("date", ""),
        author=meta.get("author", ""),
        language=meta.get("language") or guess_language(text),
        content_hash=digest,
    )


def list_corpus(root: Path, on_skip: Warn | None = None,
                max_bytes: int | None = None) -> list[Path]:
    """Corpus files in a stable order (hidden files and sidecars are left out).

    The corpus is its folder and nothing else: a link to a file is followed only where it ends
    inside the corpus folder, and links to folders are not walked (so no loop, and nothing
    outside is listed). A file over `max_bytes` is left out too. Each file or link left out is
    reported through `on_skip` as it is found."""
    base = root.resolve()
    found = []
    for folder, subfolders, files in os.walk(root, followlinks=False):
        here = Path(folder)
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for d in subfolders:
            if (here / d).is_symlink() and on_skip:
                on_skip(f"{(here / d).relative_to(root).as_posix()}: a link to a folder, "
                        "not followed")
        for name in files:
            path = here / name
            if name.startswith(".") or path.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            if path.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):  # dangling, or links that loop (RuntimeError)
                    target = None
                if target is None or not target.is_relative_to(base) or not target.is_file():
                    if on_skip:
                        on_skip(f"{path.relative_to(root).as_posix()}: a link to outside the "
                                "corpus folder (or to nothing, or to itself), not read")
                    continue
            if max_bytes is not None and (skipped := _too_big(path, root, max_bytes)):
                if on_skip:
                    on_skip(skipped)
                continue
            found.append(path)
    return sorted(found)


def _too_big(path: Path, root: Path, max_bytes: int) -> str | None:
    """Why the file is left out for its size (or cannot even be measured), or None."""
    name = path.relative_to(root).as_posix()
    try:
        size = path.stat().st_size
    except OSError as exc:
        return f"{name}: cannot be read ({exc.strerror or exc})"
    if size <= max_bytes:
        return None
    mb = 1024 * 1024
    return (f"{name}: {size / mb:.1f} MB, over the {max_bytes / mb:g} MB limit for one file "
            "(QA_MAX_FILE_MB); not read")


def load_corpus(root: Path, on_skip: Warn | None = None,
                max_bytes: int | None = None) -> list[SourceDoc]:
    """Load every usable document; each unusable one, and each repair, is reported through
    `on_skip`."""
    docs = []
    for path in list_corpus(root, on_skip, max_bytes):
        try:
            docs.append(load_document(path, root, on_skip))
        except DocumentError as exc:
            if on_skip:
                on_skip(str(exc))
    return docs


# --- sentences and chunks -------------------------------------------------------

_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "st", "no", "vs", "etc", "inc", "ltd", "co",
                  "jr", "sr", "u.s", "u.k", "e.g", "i.e", "fig", "jan", "feb", "mar", "apr",
                  "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "gen", "col"}
# a semicolon takes no closing bracket with it: "硕塞（；），清太宗皇太极第五子" is one sentence
_SENTENCE_END = re.compile(r"[。！？!?]+[”’\"')）」』]*|；+|\.+[”’\"')）]*(?=\s|$)|\n+")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans of sentences: English and Chinese sentence ends, and line breaks."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if match.group().startswith("."):
            word = re.search(r"(\S+)\.+\S*$", text[start:end])
            token = word.group(1).lower().lstrip("(\"“") if word else ""
            if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
                continue
            if token.isdigit() and text[start:end].strip() == token + ".":  # "1. " list item
                continue
            if end < len(text) and text[end:end + 2].strip()[:1].islower():
                continue
        if not match.group().startswith("\n") and _inside_brackets(text, start, end):
            continue
        if match.group() == "\n" and _CONTINUES.match(text, end):  # a line wrapped mid-sentence
            continue
        _add_span(text, start, end, spans)
        start = end
    _add_span(text, start, len(text), spans)
    return spans


# a line that goes on with the sentence before it: "…an emergency supply of O\n2 automatically
# supplied…" (a subscript set on its own line), "…between\nthe two universities"
_CONTINUES = re.compile(r"(?:\d+ )?[a-z]")
BRACKET_REACH = 200  # characters within which an open bracket must close on its line
BRACKETS = ("()", "（）", "《》")


def _inside_brackets(text: str, start: int, at: int) -> bool:
    """Whether position `at` lies inside a bracket opened since `start` that closes later on
    the same line: "氨碱法（Solvay process；又称“索尔维制碱法”）是…" is one sentence, and so is
    "《激斗忍者大战！EX2》为…", while "(It lacks recognition.) The group…" ends at the bracket."""
    rest = text[at:at + BRACKET_REACH].split("\n", 1)[0]
    return any(text.count(left, start, at) > text.count(right, start, at) and right in rest
               for left, right in BRACKETS)


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    piece = text[start:end]
    left = len(piece) - len(piece.lstrip())
    right = len(piece.rstrip())
    if right > left:
        spans.append((start + left, start + right))


def _stable_id(*parts: object) -> str:
    return hashlib.sha1("\x1f".join(map(str, parts)).encode()).hexdigest()[:20]


LONG_SENTENCE_WORDS = 40  # a sentence longer than this is also indexed as runs of clauses
CLAUSE_RUN_WORDS = 25  # the most words in one run of clauses


def clause_runs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """For a long sentence text[start:end], the spans of the longest runs of its clauses of at
    most CLAUSE_RUN_WORDS words, one starting at each clause. A long sentence listing several
    partnerships reads to an embedding as an average of them all; a run of clauses is matched
    on the one a question asks about."""
    sentence = text[start:end]
    if word_count(sentence) <= LONG_SENTENCE_WORDS:
        return []
    clauses = clause_spans(sentence)
    runs: list[tuple[int, int]] = []
    for i, (a, _) in enumerate(clauses):
        j = i
        while (j + 1 < len(clauses)
               and word_count(sentence[a:clauses[j + 1][1]]) <= CLAUSE_RUN_WORDS):
            j += 1
        run = trim_span(sentence, a, clauses[j][1])
        span = (start + run[0], start + run[1])
        if span not in runs and span != (start, end) and word_count(sentence[run[0]:run[1]]) >= 3:
            runs.append(span)
    return runs


def sentences_of(doc: SourceDoc) -> list[Sentence]:
    """The document's sentences, each long one followed by its runs of clauses."""
    units: list[Sentence] = []
    for s, e in split_sentences(doc.text):
        units.append(Sentence(_stable_id(doc.source, s, e, doc.text[s:e]), doc.source,
                              doc.text[s:e], s, e))
        units += [Sentence(_stable_id(doc.source, a, b, doc.text[a:b]), doc.source,
                           doc.text[a:b], a, b, s, e) for a, b in clause_runs(doc.text, s, e)]
    return units


def chunk_document(doc: SourceDoc, size: int, overlap: int) -> list[Chunk]:
    """Pack whole sentences into chunks of about `size` characters, repeating about
    `overlap` characters of whole sentences from the end of the previous chunk."""
    spans = split_sentences(doc.text)
    chunks: list[Chunk] = []
    first = 0
    while first < len(spans):
        last = first
        while last + 1 < len(spans) and spans[last + 1][1] - spans[first][0] <= size:
            last += 1
        start, end = spans[first][0], spans[last][1]
        text = doc.text[start:end]
        chunks.append(Chunk(_stable_id(doc.source, start, end, text), doc.source, doc.title,
                            text, start, end))
        if last + 1 >= len(spans):
            break
        next_first = last + 1
        while next_first - 1 > first and spans[last][1] - spans[next_first - 1][0] <= overlap:
            next_first -= 1
        first = next_first
    return chunks
