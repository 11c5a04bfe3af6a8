"""The phrase of a passage that answers a question, for the answer's lead line: of the candidate
phrases a kind of answer offers (the dates of a passage for "when", its numbers for "how
many"…) or, for a question of no kind, of the runs of words the question does not hold, the one
nearest the question's own words."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from qa.text import STOPWORDS, has_chinese, stem, tagged_words

if TYPE_CHECKING:
    from qa.questions import Query

Span = tuple[int, int]
MAX_LEAD_WORDS = 12
NEAR = 8  # tokens on either side of a phrase where the question's words count

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:[-'’.,][A-Za-z0-9]+)*|[\u4e00-\u9fff]+|[^\sA-Za-z0-9\u4e00-\u9fff]")
_BREAK = frozenset(",;:()（）。，；：、！？!?“”\"「」《》[]—–…")
# single characters of Chinese grammar, and jieba's tags of words that are grammar
_ZH_GRAMMAR = frozenset("的是在了和与也都而及或其之于为以对把将从被又就还很再向由到给让并有个")
_GRAMMAR_TAGS = ("u", "p", "c", "x", "r", "d", "y", "e", "uj", "ul")
# what a Chinese phrase that names something does not start or end with: a verb, a place word
# (中, 内), a measure word
_ZH_EDGE_TAGS = ("v", "f", "q", "vn", "vd", "a", "ad")
# what names a thing: Chinese nouns, names, numbers and Latin words (jieba's tags)
_ZH_NAMING_TAGS = ("n", "nr", "ns", "nt", "nz", "eng", "m", "t")


def _tokens(text: str) -> list[tuple[int, int, str, str]]:
    """Words and marks of the text with their offsets and, for Chinese, jieba's tags."""
    out = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        if has_chinese(token):
            at = match.start()
            for word, flag in tagged_words(token):
                out.append((at, at + len(word), word, flag))
                at += len(word)
        else:
            out.append((match.start(), match.end(), token.rstrip(".,") or token, ""))
    return out


def _is_break(token: str) -> bool:
    return token in _BREAK or token == "."


def _is_grammar(token: str, flag: str) -> bool:
    if has_chinese(token):
        return (len(token) == 1 and token in _ZH_GRAMMAR) or flag in _GRAMMAR_TAGS
    return token.lower() in STOPWORDS


def _asked(token: str, query: "Query") -> bool:
    """Whether the question holds the word: its stem in English, the word itself in Chinese."""
    if has_chinese(token):
        return token in query.own.text
    return stem(token.lower()) in query.term_set or token.lower() in query.own.text.lower().split()


def nearest(text: str, spans: list[Span], query: "Query") -> tuple[str, float]:
    """Of candidate phrases (character spans of the text), the one with the most of the
    question's words close by (the first of those tied), with that count; ('', -1) when there
    are none. A number followed closely by what the question counts ("66 cooperative programs"
    for "how many … programs") counts more."""
    if not spans:
        return "", -1.0
    tokens = _tokens(text)
    asked = [_asked(t, query) and not _is_grammar(t, f) for _, _, t, f in tokens]
    best, best_value = "", -1.0
    for a, b in spans:
        inside = [k for k, (s, e, _, _) in enumerate(tokens) if s < b and e > a]
        if not inside:
            continue
        i, j = inside[0], inside[-1] + 1
        around = [tokens[k][2].lower() for k in (*range(max(0, i - NEAR), i),
                                                 *range(j, min(len(tokens), j + NEAR)))
                  if asked[k]]
        value = len(set(around)) + (NAMING if any(_names(*tokens[k][2:]) for k in inside) else 0)
        if query.counted and counted_after(text, b, query.counted):
            value += COUNTED
        if value > best_value:
            best, best_value = text[a:b].strip(" ,.;:，。；："), value
    return best, best_value


COUNTED = 2.0  # what it counts that a number is followed by what the question counts
COUNTED_REACH = 3  # words after the number where that is looked for


def counted_after(text: str, at: int, counted: str) -> bool:
    """Whether what a question counts follows closely after `at` ("66 cooperative programs")."""
    return any(_term(token[2]) == counted for token in _tokens(text[at:])[:COUNTED_REACH])


def _term(token: str) -> str:
    return token if has_chinese(token) else stem(token.lower())


NAMING = 1.0  # what a phrase that names something (a capital, a number, a noun) counts
# the small words inside an English name ("University of Edinburgh", "Institute for Advanced Study")
_NAME_JOINERS = frozenset(("of", "and", "the", "de", "for"))


def _names(token: str, flag: str) -> bool:
    """A word that names something: capitalised or a number in English, a noun in Chinese."""
    if has_chinese(token):
        return flag.startswith(_ZH_NAMING_TAGS) and len(token) >= 2
    return token[:1].isupper() or token[:1].isdigit()


def _named_part(run: list) -> list:
    """Of an English run of words, its run of capitalised words (with "of", "and", "the"
    between them) where it has one that does not open the text; else the run."""
    best: list = []
    current: list = []
    for k, token in enumerate(run):
        word = token[2]
        if (word[:1].isupper() and token[0] > 0) or (word[:1].isdigit() and current):
            current.append(token)
        elif current and word.lower() in _NAME_JOINERS:
            current.append(token)
        else:
            best = max(best, current, key=len)
            current = []
    best = max(best, current, key=len)
    while best and best[-1][2].lower() in _NAME_JOINERS:
        best = best[:-1]
    return best or run


def _is_edge(token: tuple) -> bool:
    """What a phrase that names something does not start or end with: grammar, and in Chinese a
    verb, a place word or a measure word."""
    _, _, word, flag = token
    return _is_grammar(word, flag) or (has_chinese(word) and flag.startswith(_ZH_EDGE_TAGS))


def novel_runs(text: str, query: "Query") -> list[Span]:
    """The runs of words of the text that the question does not hold, between its words and
    marks, without grammar at their edges: the candidates for a question of no kind."""
    tokens = _tokens(text)
    runs: list[list[tuple[int, int, str, str]]] = [[]]
    for token in tokens:
        if _is_break(token[2]) or (_asked(token[2], query) and not _is_grammar(token[2], token[3])):
            runs.append([])
        else:
            runs[-1].append(token)
    spans = []
    for run in runs:
        if run and not has_chinese(run[0][2]):
            run = _named_part(run)
        while run and _is_edge(run[0]):
            run = run[1:]
        while run and _is_edge(run[-1]):
            run = run[:-1]
        if run:
            run = run[:MAX_LEAD_WORDS]
            spans.append((run[0][0], run[-1][1]))
    return spans


MAX_MODIFIERS = 6  # words before the noun asked for that can name which one it is


def typed_spans(text: str, query: "Query") -> list[Span]:
    """Where the passage names a thing of the noun a "what / which N" question asks for: the
    noun with the words before it that the question does not hold ("RNA interference pathway"
    for "what pathway", 中国辽宁省 for 哪个省), or a name right after it ("the planet Vulcan",
    "the Court of Justice"). Where the passage only repeats the noun, there is none."""
    if not query.typed:
        return []
    tokens = _tokens(text)
    spans = []
    for k, (start, end, word, _) in enumerate(tokens):
        if not _is_typed(word, query.typed):
            continue
        j = k
        while (j > 0 and k - j < MAX_MODIFIERS and not _is_break(tokens[j - 1][2])
               and not _is_grammar(tokens[j - 1][2], tokens[j - 1][3])
               and not _asked(tokens[j - 1][2], query)):
            j -= 1
        head_start = start + word.find(query.typed) if has_chinese(word) else start
        if j < k or head_start > start:
            spans.append((tokens[j][0], end))
        after = k + 1
        if after < len(tokens) and tokens[after][2].lower() == "of":
            after += 1
        run = after
        while run < len(tokens) and not has_chinese(tokens[run][2]) and tokens[run][2][:1].isupper() \
                and not _asked(tokens[run][2], query):
            run += 1
        if run > after:
            spans.append((start if after > k + 1 else tokens[after][0], tokens[run - 1][1]))
    return spans


def name_spans(text: str, query: "Query") -> list[Span]:
    """The names of an English passage the question does not hold, for a "who" question: runs of
    capitalised words (with "of", "and", "the" inside)."""
    if has_chinese(text):
        return []  # jieba's names (nr, nt) lost on CMRC's tune half: see docs/decisions.md
    spans, run = [], []
    for token in _tokens(text) + [(len(text), len(text), ".", "")]:
        word = token[2]
        capital = word[:1].isupper() and word.lower() not in STOPWORDS and not _asked(word, query)
        if capital or (run and word.lower() in _NAME_JOINERS):
            run.append(token)
            continue
        while run and not run[-1][2][:1].isupper():
            run.pop()
        if run:
            spans.append((run[0][0], run[-1][1]))
        run = []
    return spans


# English words that put a place after them ("in Edinburgh", "at the foot of the mast")
_LOCATIVE = frozenset("in at near on from into inside outside across along within throughout off "
                      "beneath under beside around".split())
# Chinese verbs that put a place after them (位于香港岛东区, 出生于…, 分布于…)
_ZH_LOCATIVE = re.compile(r"(?:位于|坐落于|地处|出生于|生于|来自于?|分布于|分布在|设于|设在|迁往|迁至|搬到)")
# jieba's tags of the words a Chinese place goes on with: names, nouns, directions (东南部),
# numbers and measures of an address (1丁目1番地)
_ZH_PLACE_TAGS = ("ns", "n", "f", "s", "m", "q", "j", "nr", "nz", "eng")
MAX_PLACE_WORDS = 6  # English words of a place named without capitals ("mountainous areas")


def place_spans(text: str, query: "Query") -> list[Span]:
    """Where a passage names a place: in English, what follows "in", "at", "near"… (a run of
    capitalised words, or a few lowercase ones: "mountainous areas"); in Chinese, a run of words
    that opens with a place name jieba tags (宾夕法尼亚州的西切斯特) or follows 位于, 出生于…"""
    tokens = _tokens(text)
    if has_chinese(text):
        return _zh_places(text, tokens, query)
    spans = []
    for k, (_, _, word, _) in enumerate(tokens[:-1]):
        if word.lower() not in _LOCATIVE:
            continue
        run = k + 1
        while run < len(tokens) and tokens[run][2].lower() in ("the", "a", "an"):
            run += 1
        capital = run < len(tokens) and tokens[run][2][:1].isupper()
        end = run
        while end < len(tokens) and not _is_break(tokens[end][2]) and end - run < MAX_PLACE_WORDS:
            word_end = tokens[end][2]
            if capital and not (word_end[:1].isupper() or word_end.lower() in _NAME_JOINERS):
                break
            if not capital and (word_end[:1].isdigit() or word_end.lower() in STOPWORDS - {"of", "the"}):
                break
            end += 1
        while end > run and tokens[end - 1][2].lower() in _NAME_JOINERS:
            end -= 1
        if end > run and not all(_asked(t[2], query) for t in tokens[run:end]):
            spans.append((tokens[run][0], tokens[end - 1][1]))
    return spans


def _place_goes_on(token: tuple, query: "Query") -> bool:
    """Whether a Chinese place name goes on with the word: a noun, a direction, an address's
    number (1丁目1番地); not a word of the question, nor 一个, 一家 (which start something else)."""
    _, _, word, flag = token
    return flag.startswith(_ZH_PLACE_TAGS) and not _is_break(word) and not _asked(word, query) \
        and not (flag.startswith(("m", "q")) and has_chinese(word))


def _zh_places(text: str, tokens: list, query: "Query") -> list[Span]:
    cued = {m.end() for m in _ZH_LOCATIVE.finditer(text)}
    spans = []
    k = 0
    while k < len(tokens):
        start, _, word, flag = tokens[k]
        if not (flag.startswith("ns") or (start in cued and flag.startswith(_ZH_PLACE_TAGS))):
            k += 1
            continue
        end = k + 1
        while end < len(tokens):
            joined = tokens[end][2] == "的" and end + 1 < len(tokens)  # 宾夕法尼亚州的西切斯特
            if not _place_goes_on(tokens[end + 1] if joined else tokens[end], query):
                break
            end += 2 if joined else 1
        if not all(_asked(t[2], query) for t in tokens[k:end]):
            spans.append((start, tokens[end - 1][1]))
        k = end
    return spans


# what gives a reason: its cue, then the reason to the clause's edge
_REASON = re.compile(r"\b(?:because(?: of)?|due to|owing to|thanks to|as a result of|in order to|so as to"
                     r"|so that|for fear of)\s+(?P<x>[^,;:.()]+)|(?:因为|由于|为了)(?P<zh>[^，,。；;：:（）()]+)",
                     re.I)


def reason_spans(text: str, query: "Query") -> list[Span]:
    """What a passage gives as the reason, after "because", "due to", 由于…, for a "why"."""
    return [m.span("x") if m.group("x") else m.span("zh") for m in _REASON.finditer(text)]


def _is_typed(word: str, typed: str) -> bool:
    """Whether a word of a passage is the noun asked for (ends with it, in Chinese)."""
    if has_chinese(typed):
        return word.endswith(typed)
    return stem(word.lower()) == typed


_ZH_ASKING = re.compile(r"什么(?:地方|时候|人|样)?|谁|哪(?:里|儿|个|些|一[\u4e00-\u9fff]|种|位|国|所)?|多少|几[\u4e00-\u9fff]?")
_ZH_BREAK = re.compile(r"[，,。；;：:！？?!（）()、“”《》]")
ANCHOR = 6  # characters of the question on each side of its asking word that are looked for
SLOT = 30  # the most characters between the two anchors in a passage


def slot_spans(text: str, query: "Query") -> list[Span]:
    """Where a Chinese passage says what the question asks, as the question words it: between
    the question's words before its asking word and those after ("…是什么地方的半导体公司" of
    "…是台湾的半导体公司": 台湾); or after the words before it, or before the words after it, to
    the clause's edge."""
    question = query.own.text.strip()
    asking = _ZH_ASKING.search(question)
    if not asking or not has_chinese(text):
        return []
    before = _ZH_BREAK.split(question[:asking.start()])[-1][-ANCHOR:]
    after = _ZH_BREAK.split(question[asking.end():])[0][:ANCHOR].lstrip("的")
    bare = before.rstrip("是为")  # "…俗名是什么" of "…俗名花斑龙": the copula may not be written
    left = _longest(text, [before[k:] for k in range(len(before) - 1)]
                    + [bare[k:] for k in range(len(bare) - 1)] * (bare != before))
    right = _longest(text, [after[:k] for k in range(len(after), 1, -1)], start=left[1] if left else 0)
    if left and right and 0 < right[0] - left[1] <= SLOT:
        span = (left[1], right[0])
    elif left:
        end = _ZH_BREAK.search(text, left[1])
        span = (left[1], end.start() if end else len(text))
    elif right:
        span = (max((m.end() for m in _ZH_BREAK.finditer(text, 0, right[0])), default=0), right[0])
    else:
        return []
    a, b = span
    while a < b and text[a] in _ZH_GRAMMAR:
        a += 1
    while a < b and text[b - 1] in _ZH_GRAMMAR:
        b -= 1
    return [(a, b)] if a < b else []


_EN_WORD = re.compile(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*")


def english_slot(text: str, query: "Query") -> list[Span]:
    """Where an English passage goes on from the question's last words ("What was Sky Travel
    later rebranded as?" of "…was later rebranded as Pick TV"): what follows them in the
    passage, to the clause's edge."""
    words = _EN_WORD.findall(query.own.text)
    if len(words) < 3 or has_chinese(text):
        return []
    tail = [stem(w.lower()) for w in words[-2:]]
    if words[-1].lower() in ("who", "whom", "what", "which", "where", "when"):
        tail = [stem(w.lower()) for w in words[-3:-1]]
    found = list(_EN_WORD.finditer(text))
    stems = [stem(m.group().lower()) for m in found]
    for k in range(len(found) - len(tail)):
        if stems[k:k + len(tail)] == tail:
            start = found[k + len(tail) - 1].end()
            if re.match(r"\s*[,;:.()]", text[start:]):
                return []  # the clause ends there: what follows says something else
            end = next((m.start() for m in re.finditer(r"[,;:.()]\s", text + " ") if m.start() > start + 1),
                       len(text))
            return [(start, end)] if end > start + 1 else []
    return []


def _longest(text: str, anchors: list[str], start: int = 0) -> Span | None:
    """The first anchor (longest first) found in the text from `start`, as a span."""
    for anchor in anchors:
        if len(anchor) >= 2:
            at = text.find(anchor, start)
            if at >= 0:
                return at, at + len(anchor)
    return None


def matches(pattern: re.Pattern, text: str, group: int = 0) -> list[Span]:
    return [m.span(group) for m in pattern.finditer(text) if m.group(group)]


def short(phrase: str) -> str:
    """A phrase of at most MAX_LEAD_WORDS words (about twice as many characters of Chinese)."""
    if has_chinese(phrase):
        return phrase[:2 * MAX_LEAD_WORDS]
    words = phrase.split()
    return " ".join(words[:MAX_LEAD_WORDS])
