"""Question + scored sentences -> a short answer in which every sentence carries its citation."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from qa.ingest import LONG_SENTENCE_WORDS, date_span, editor
from qa.kinds import SCHOOL_WORDS, answer_phrase
from qa.prompts import (ABSTAIN, ABSTAIN_NOT_NEGATED, ABSTAIN_POLAR, ABSTAIN_PROVENANCE,
                        ABSTAIN_UNKNOWN)
from qa.questions import STATES_RESULT, Query, negated, states_negation
from qa.ranking import Ranking
from qa.retrieve import Retrieval, merge
from qa.text import clause_spans, term_set, terms, trim_span, word_count
from qa.types import Answer, Citation, Hit
from qa.tabled import counts, table_answer
from qa.verdicts import NO, YES, verdict

FACTOID_WORDS, LIST_WORDS = 60, 120  # answer length budgets
# A longer sentence is cut to the clauses that answer; one indexed whole is quoted whole
# (docs/decisions.md, "Excerpt length").
EXCERPT_WORDS = LONG_SENTENCE_WORDS
MAX_FACTOID, MAX_LIST = 2, 6
RESTATES = 100.0  # a run that only restates the question loses to any that says more
# A next sentence that goes on with the best one (scoring within Ranking.continuation_margin of
# it) is quoted with it when it points back at it, or holds this many of the question's words the
# best one lacks: "The Upper Rhine … was changed by a Rhine straightening program." "The rate of
# flow was increased…"
COMPLEMENT_TERMS = 2


@dataclass(frozen=True)
class Passage:
    """The part of a hit's sentence that goes into the answer."""

    hit: Hit
    start: int  # offsets in the document's cleaned text
    end: int
    text: str


def near_duplicate(text: str, others: list[str]) -> bool:
    """The same statement again (another site's copy of a press release, an overlapping clause)."""
    mine = set(terms(text))
    for other in others:
        theirs = set(terms(other))
        if mine and theirs and len(mine & theirs) / min(len(mine), len(theirs)) > 0.8:
            return True
    return False


def excerpt(hit: Hit, q: Query, max_words: int, known: str = "") -> Passage:
    """The whole sentence if short enough, else its best run of clauses within `max_words`;
    an answer of the kind asked for counts only when it is not in `known` (passages already
    chosen)."""
    s = hit.sentence
    if word_count(s.text) <= max_words:
        return Passage(hit, s.start, s.end, s.text)
    a, b = _best_run(s.text, q, max_words, known)
    return Passage(hit, s.start + a, s.start + b, s.text[a:b])


def _best_run(text: str, q: Query, max_words: int, known: str = "") -> tuple[int, int]:
    """The run of clauses of `text` within `max_words` that holds the most of the question's
    words and an answer of the kind asked for that `known` lacks."""
    clauses = clause_spans(text)
    wanted = q.term_set
    best, best_value = (0, len(text)), -1.0
    for i in range(len(clauses)):
        for j in range(i, len(clauses)):
            a, b = clauses[i][0], clauses[j][1]
            piece = text[a:b]
            if word_count(piece) > max_words and j > i:
                break
            held = set(terms(piece))
            found = len(wanted & held)
            typed = q.kind is not None and q.holds(piece, known)
            # a run of nothing but the question's own words restates it and answers nothing
            value = (found + (1.0 if typed else 0.0) - 0.01 * word_count(piece)  # shorter wins a tie
                     - (0.0 if held - wanted else RESTATES))
            if value > best_value:
                best, best_value = (a, b), value
    return trim_span(text, *best)


def more_items(passage: Passage, q: Query, max_words: int, known: str) -> list[Passage]:
    """For a list question, the other clauses of the passage's long sentence that name another
    answer of the kind asked for and hold the word of the question that singles the passage out
    (of those it holds, the one fewest clauses hold, if at most half; not the kind's own word,
    "university"): of "…, a partnership with Russia's Moscow State Tchaikovsky Conservatory, …
    a program with New Zealand's University of Otago, … and Russia's Ulyanovsk State Technical
    University", asked which Russian universities are partners, the first and the last."""
    s = passage.hit.sentence
    if q.kind is None or passage.text == s.text:
        return []
    clauses = [trim_span(s.text, a, b) for a, b in clause_spans(s.text)]
    words = [set(terms(s.text[a:b])) for a, b in clauses]
    held = {t: sum(t in w for w in words)
            for t in q.term_set & set(terms(passage.text)) - SCHOOL_WORDS}
    fewest = min(held.values(), default=len(clauses))
    if fewest > len(clauses) / 2:
        return []
    marks = {t for t, n in held.items() if n == fewest}
    out: list[Passage] = []
    for (a, b), holds in zip(clauses, words):
        start, end, piece = s.start + a, s.start + b, s.text[a:b]
        outside = start >= passage.end or end <= passage.start
        if outside and marks <= holds and word_count(piece) <= max_words \
                and q.holds(piece, known):
            out.append(Passage(passage.hit, start, end, piece))
            known += " " + piece
            max_words -= word_count(piece)
    return out


_ITEM_LINE = re.compile(r"^[ \t]*(\d{1,2})[.、)][ \t]*(.+)$", re.M)


def enumeration(text: str, start: int, end: int, inside: bool = True) -> list[tuple[int, int]]:
    """Spans of the labels of a numbered list (1., 2., ...) that directly follows the span
    start:end or (with `inside`) holds it; a label is an item's text up to its first colon."""
    runs: list[list[re.Match]] = []
    for match in _ITEM_LINE.finditer(text):
        previous = runs[-1][-1] if runs else None
        if (previous and int(match.group(1)) == int(previous.group(1)) + 1
                and not text[previous.end():match.start()].strip()):
            runs[-1].append(match)
        elif match.group(1) == "1":
            runs.append([match])
    for run in runs:
        holds = inside and run[0].start() <= start < run[-1].end()
        follows = run[0].start() >= end and not text[end:run[0].start()].strip()
        if len(run) >= 2 and (holds or follows):
            spans = []
            for item in run:
                label_end = re.search(r"[:：]|$", item.group(2)).start()
                spans.append((item.start(2), item.start(2) + label_end))
            return spans
    return []


def _enumerated(q: Query, hits: list[Hit], documents: dict,
                min_score: float, ranking: Ranking) -> list[Passage]:
    """The items of a numbered list that the best passage introduces (any question: the list
    answers what its lead-in names) or, for a list question, that holds the best passages."""
    if not hits or hits[0].score < min_score:
        return []
    listing = q.listing
    for hit in hits[:3] if listing else hits[:1]:
        if hit.score < hits[0].score - ranking.list_margin:
            break
        s = hit.sentence
        text = documents.get(s.source, {}).get("text", "")
        spans = enumeration(text, *s.sentence_span, inside=listing)
        if spans:
            return [Passage(hit, a, b, text[a:b]) for a, b in spans]
    return []


SUPPORT_SHARE = 0.5  # a further passage must match at least this share of the best one's words


def _of_the_kind(hit: Hit) -> bool:
    """Whether the hit holds an answer of the kind asked for (a hit not scored for it counts)."""
    return hit.features is None or hit.features.typed


def _shares_the_question(hit: Hit, best: Hit) -> bool:
    """A further passage must match the question's words about as well as the best one does
    (across languages there are no shared words to compare, so it passes)."""
    f, b = hit.features, best.features
    if f is None or b is None or f.cross:
        return True
    return f.lexical >= SUPPORT_SHARE * b.lexical


def select_passages(q: Query, hits: list[Hit], min_score: float,
                    documents: dict | None = None, share: float = 1.0,
                    ranking: Ranking | None = None) -> list[Passage]:
    """The best supporting passages: one or two for a fact, every item for a list question."""
    ranking = ranking or Ranking()
    if q.kind is not None and q.kind.refusal and ranking.on("only_typed"):
        hits = [h for h in hits if _of_the_kind(h)]
    if ranking.on("negation") and q.negated:
        hits = [h for h in hits if states_negation(h.sentence.text, q.non)]
    if not hits or hits[0].score < min_score:
        return []
    items = _enumerated(q, hits, documents or {}, min_score, ranking)
    if items:
        return items
    listing = q.listing
    margin, budget = (ranking.list_margin, LIST_WORDS) if listing else (ranking.factoid_margin,
                                                                        FACTOID_WORDS)
    budget = min(budget, int(LIST_WORDS * share))  # two parts of a question: 120 words in all
    limit = MAX_LIST if listing else MAX_FACTOID
    best = hits[0].score
    chosen: list[Passage] = []
    words = 0
    for hit in hits:
        if len(chosen) >= limit or hit.score < max(min_score, best - margin):
            break
        if chosen and not _shares_the_question(hit, hits[0]):
            continue
        clip = budget if listing or hit.features and hit.features.cross else EXCERPT_WORDS
        passage = excerpt(hit, q, min(clip, budget - words),
                          " ".join(p.text for p in chosen) if listing else "")
        length = word_count(passage.text)
        k = _overlapped(passage, chosen)
        if k >= 0:  # two excerpts of one sentence that overlap are quoted as one
            merged = _union(chosen[k], passage, documents or {})
            grown = word_count(merged.text) - word_count(chosen[k].text) if merged else 0
            if merged and words + grown <= budget:
                words += grown
                chosen[k] = merged
            continue
        if words + length > budget or near_duplicate(passage.text, [p.text for p in chosen]):
            continue
        chosen.append(passage)
        words += length
        if listing:
            more = more_items(passage, q, budget - words, " ".join(p.text for p in chosen))
            chosen[-1:] = sorted([passage, *more], key=lambda p: p.start)
            words += sum(word_count(p.text) for p in more)
        elif len(chosen) == 1:
            statement = _statement(passage, q, hits, documents or {}, budget, ranking)
            length = sum(word_count(p.text) for p in statement)
            if len(statement) > 1 and length <= budget:
                chosen, words = statement, length
                limit += len(statement) - 1  # one statement, quoted as it runs
    return chosen


def _overlapped(passage: Passage, chosen: list[Passage]) -> int:
    """The index of the chosen excerpt of the same sentence that shares text with this one,
    or -1."""
    s = passage.hit.sentence
    for k, other in enumerate(chosen):
        o = other.hit.sentence
        if ((o.source, o.sentence_span) == (s.source, s.sentence_span)
                and passage.start < other.end and other.start < passage.end):
            return k
    return -1


def _union(kept: Passage, other: Passage, documents: dict) -> Passage | None:
    """One passage covering two overlapping excerpts of a sentence, cited as the first."""
    text = documents.get(kept.hit.sentence.source, {}).get("text", "")
    start, end = min(kept.start, other.start), max(kept.end, other.end)
    return Passage(kept.hit, start, end, text[start:end]) if text else None


def _whole_sentence(hits: list[Hit], source: str, start: int, end: int) -> Passage | None:
    """The hit of the whole sentence at start:end of a document, as a passage."""
    for hit in hits:
        n = hit.sentence
        if n.source == source and n.sentence_start < 0 and (n.start, n.end) == (start, end):
            return Passage(hit, n.start, n.end, n.text)
    return None


def _next_sentence(passage: Passage, hits: list[Hit], documents: dict) -> Passage | None:
    """The whole sentence right after the passage's sentence, in its paragraph."""
    s = passage.hit.sentence
    end = s.sentence_span[1]
    text = documents.get(s.source, {}).get("text", "")
    for hit in hits:
        n = hit.sentence
        if (n.source == s.source and n.sentence_start < 0 and 0 <= n.start - end <= 2
                and not text[end:n.start].strip(" ")):
            return Passage(hit, n.start, n.end, n.text)
    return None


def _statement(passage: Passage, q: Query, hits: list[Hit], documents: dict,
               budget: int, ranking: Ranking) -> list[Passage]:
    """The best passage with the sentences its statement spans: the one before it when it
    states a result and the question asks why ("The result was a depreciation…" after the
    sentence that gives the cause); the one it points back at when that one holds the answer
    asked for and it does not ("During the conference, … were signed"
    after the sentence that dates the conference; the passage is cut to leave it room within
    `budget` words), and the next one when it holds that kind of answer too and points back at
    the passage ("…six new programs." "Announced in May, these partnerships … bring the city's
    total to 75.") or holds question words the passage lacks ("…by a Rhine straightening
    program." "The rate of flow was increased…")."""
    s = passage.hit.sentence
    out = [passage]
    if s.leans_on and q.reason and STATES_RESULT.search(passage.text):
        before = _whole_sentence(hits, s.source, *s.leans_on)  # the cause of the result
        if before and word_count(before.text) + word_count(passage.text) <= budget:
            return [before, passage]
    if q.kind is not None and s.leans_on and not q.holds(passage.text):
        before = _whole_sentence(hits, s.source, *s.leans_on)
        room = budget - word_count(before.text) if before else 0
        if before and room > 0 and q.holds(before.text):
            if word_count(passage.text) > room:
                passage = excerpt(passage.hit, q, room)
            out = [before, passage]
    after = _next_sentence(passage, hits, documents) if ranking.on("continuations") else None
    if (after and passage.end == s.sentence_span[1]
            and after.hit.score >= passage.hit.score - ranking.continuation_margin
            and (after.hit.sentence.leans_on == s.sentence_span
                 or len(_adds(q, passage.text, after.text)) >= COMPLEMENT_TERMS)
            and q.holds(after.text)):
        out.append(after)
    return out


def _adds(q: Query, text: str, after: str) -> set[str]:
    """The question's terms the next sentence holds and the text does not."""
    return (q.term_set & term_set(after)) - term_set(text)


def _as_sentence(passage: Passage) -> str:
    """The passage as it reads in the answer: an excerpt from inside a sentence is marked."""
    s = passage.hit.sentence
    start, end = s.sentence_span
    text = re.sub(r"\s*\n\s*", " ", passage.text)  # a line wrapped mid-sentence reads as one
    if not start <= passage.start < end:  # an item of a list, quoted as it stands
        return text
    if passage.start > start:
        text = "…" + text
    if passage.end < end:
        text = text + "…"
    return text


def cite(n: int, source: str, title: str, score: float, quote: str, start: int, end: int,
         doc: dict) -> Citation:
    """Citation number n of the quote text[start:end] of a document, with its byline."""
    return Citation(n, source, title, quote, start, end, round(score, 4), doc.get("publisher", ""),
                    doc.get("date", ""), doc.get("author", ""))


PROVENANCE_AGREEMENT = 0.9  # fused score of the top document: near first in every channel


def provenance(q: Query, retrieval: Retrieval, documents: dict) -> Answer | None:
    """For "who wrote / when was it published / what is the title / the source of" the article
    a question describes (the one its metadata names: "He Yu's article", else the one every
    channel ranks first): that field of it, citing the line that states it (the byline, the date
    line, the title), or its title or opening line where only the document's metadata gives it.
    None for other questions, or when no document stands out."""
    field = q.provenance
    if not field or not retrieval.documents:
        return None
    named = q.search.documents
    if len(named) == 1:
        top = next((d for d in retrieval.documents if d["source"] == named[0]), None)
    else:
        top = max(retrieval.documents, key=lambda d: d["score"])  # first in the fused ranking
        top = top if top["score"] >= PROVENANCE_AGREEMENT else None
    doc = documents.get(top["source"], {}) if top else {}
    text, title = doc.get("text", ""), doc.get("title", "")
    value = editor(text) if field == "editor" else doc.get(field, "")
    if not text:
        return None
    if not value:
        return Answer(ABSTAIN_PROVENANCE.format(title=title, field=field), True, [],
                      retrieval.query, retrieval.documents)
    start = text.find(title) if title else -1
    # where the text does not write its title (the metadata gives it), its opening line stands for it
    opening = (start, start + len(title)) if start >= 0 else (0, len(text.split("\n", 1)[0][:300]))
    span = _stated(text, field, value) or opening
    citation = cite(1, top["source"], title, top["score"], text[slice(*span)], *span, doc)
    said = {"author": f"“{title}” was written by {value}",
            "editor": f"“{title}” was edited by {value}",
            "publisher": f"“{title}” comes from {value}",
            "date": f"“{title}” was published on {value}",
            "title": f"The article's title is “{title}”"}[field]
    if field != "date" and doc.get("date"):
        said += f", published {doc['date']}"
    if (field != "title" or start < 0) and span == opening:
        said += " (from the document's metadata)"
    ranked = [top] + [d for d in retrieval.documents if d is not top]  # the one it answers of first
    return Answer(f"{said}. [1]", False, [citation], retrieval.query, ranked, lead=value)


def _stated(text: str, field: str, value: str) -> tuple[int, int] | None:
    """Where the document's own text states the field: its date line, its byline."""
    if field == "date":
        return date_span(text, value)
    if field == "title":
        return None
    found = text.lower().find(value.lower())
    return (found, found + len(value)) if found >= 0 else None


def lead(q: Query, chosen: list[Passage]) -> str:
    """The phrase that answers a question asking for one fact, from the first passage that
    offers one, or for a "why", the reason a passage states; none for a list or a "how"."""
    if not (q.factoid or q.reason) or len(chosen) > MAX_FACTOID + 1 or _is_list(chosen):
        return ""
    best, best_fit = "", -1.0
    for passage in chosen[:MAX_FACTOID]:  # the first passage's phrase, unless a later one fits better
        phrase, fit = answer_phrase(passage.text, q)
        if phrase and fit > best_fit:
            best, best_fit = phrase, fit
    return best


def _is_list(chosen: list[Passage]) -> bool:
    """Items of a numbered list, quoted as they stand (outside any sentence's span)."""
    return any(not p.hit.sentence.sentence_span[0] <= p.start < p.hit.sentence.sentence_span[1]
               for p in chosen)


def with_lead(answer: Answer) -> Answer:
    """The answer with its lead as its first line."""
    if not answer.lead or answer.abstained or answer.answer.startswith(answer.lead):
        return answer
    return replace(answer, answer=f"{answer.lead}\n{answer.answer}")


def _refusal(q: Query, hits: list[Hit], min_score: float, ranking: Ranking) -> str:
    """Why no passage answers: the passages about it lack the kind of answer asked for, or state
    the positive of a negated question, or nothing scores `min_score`."""
    relevant = [h for h in hits if h.score >= min_score]
    if relevant and q.kind is not None and q.kind.refusal and ranking.on("only_typed") \
            and not any(map(_of_the_kind, relevant)):
        return q.kind.refusal
    if relevant and ranking.on("negation") and q.negated:
        return ABSTAIN_NOT_NEGATED
    return ABSTAIN.format(question=q.text.strip())


def compose(q: Query, retrieval: Retrieval, documents: dict, min_score: float,
            share: float = 1.0, ranking: Ranking | None = None,
            table: list | None = None) -> Answer:
    """Build the answer from the retrieval; abstain when no sentence scores `min_score`.
    `share`: the part of the word budget this answer may use (one part of a question in two);
    `table`: the partnership rows, which answer the list, count and yes/no questions about
    partnerships that they can answer whole (qa.tabled)."""
    tabled = table_answer(q, table, documents, retrieval.documents) if table else None
    if tabled is not None:
        if not counts(q):
            return tabled
        stated = compose(q, retrieval, documents, min_score, share, ranking)
        if stated.abstained or not stated.lead:
            return tabled
        both = combine([stated, tabled], retrieval)  # the total a document states, and those named
        return replace(both, lead=stated.lead)
    unknown = Answer(ABSTAIN_UNKNOWN.format(names=", ".join(f"“{n}”" for n in retrieval.unknown)),
                     True, [], retrieval.query, retrieval.documents)
    if retrieval.unknown and not q.polar:  # a yes/no question may be answered no (qa.verdicts)
        return unknown
    answer = provenance(q, retrieval, documents)
    if answer is not None:
        return answer
    ranking = ranking or Ranking()
    chosen = select_passages(q, retrieval.hits, min_score, documents, share, ranking)
    if chosen and q.polar:
        chosen, said = _decided(q, chosen, documents, ranking)
        if not said:
            return unknown if retrieval.unknown else Answer(
                ABSTAIN_POLAR, True, [], retrieval.query, retrieval.documents)
    if not chosen:
        return unknown if retrieval.unknown else Answer(
            _refusal(q, retrieval.hits, min_score, ranking), True, [], retrieval.query,
            retrieval.documents)
    citations = []
    parts = []
    for n, passage in enumerate(chosen, start=1):
        doc = documents.get(passage.hit.sentence.source, {})
        hit = passage.hit
        citations.append(cite(n, hit.sentence.source, hit.title, hit.score, passage.text,
                              passage.start, passage.end, doc))
        parts.append(f"{_as_sentence(passage)} [{n}]")
    if q.polar:
        return Answer(f"{said}: " + " ".join(parts), False, citations, retrieval.query,
                      retrieval.documents, lead=said)
    return Answer(" ".join(parts), False, citations, retrieval.query, retrieval.documents,
                  lead=lead(q, chosen))


def _decided(q: Query, chosen: list[Passage], documents: dict,
             ranking: Ranking) -> tuple[list[Passage], str]:
    """The passages of a yes/no answer, the one that decides it first, and "Yes" or "No"; ""
    where none states or denies it. Any passage may state it; only the best may deny it (a
    weaker one that names another city is no denial)."""
    said = [_verdict(q, passage, documents, ranking) for passage in chosen]
    first = said.index(YES) if YES in said else 0
    if said[first] != YES and said[0] != NO:
        return chosen, ""
    answer = said[first]
    if q.language == "zh":
        answer = "是" if answer == YES else "否"
    return [chosen[first]] + chosen[:first] + chosen[first + 1:], answer


def _verdict(q: Query, passage: Passage, documents: dict, ranking: Ranking) -> str:
    hit = passage.hit
    doc = documents.get(hit.sentence.source, {})
    before = hit.sentence.leans_on
    context = " ".join([passage.text, doc.get("text", "")[slice(*before)] if before else "",
                        hit.title])
    return verdict(q, context, negated(passage.text),
                   hit.features.lexical if hit.features else 0.0,
                   bool(hit.features and hit.features.cross), ranking.polar_yes, ranking.polar_no)


def compose_parts(parts: list[tuple[Query, Retrieval]], documents: dict, min_score: float,
                  ranking: Ranking | None = None, table: list | None = None) -> Answer:
    """One answer to a question asked in parts, from each part's retrieval; the parts share one
    answer's length, and a later part, which asks something else, does not quote a passage an
    earlier one quoted."""
    share = 1 / len(parts)
    answers: list[Answer] = []
    quoted: set[tuple] = set()
    for part, retrieval in parts:
        hits = [h for h in retrieval.hits
                if (h.sentence.source, h.sentence.start, h.sentence.end) not in quoted]
        answers.append(compose(part, replace(retrieval, hits=hits), documents, min_score, share,
                               ranking, table))
        quoted.update((c.source, c.start, c.end) for c in answers[-1].citations)
    return with_lead(combine(answers, merge([r for _, r in parts])))


def combine(parts: list[Answer], retrieval: Retrieval) -> Answer:
    """The answers to the parts of a question as one answer, citations numbered anew; a part
    the documents don't answer says so."""
    if len(parts) == 1:
        return parts[0]
    texts: list[str] = []
    citations: list[Citation] = []
    known: dict[tuple, int] = {}  # a passage two parts cite keeps one number
    for part in parts:
        numbers = {}
        for c in part.citations:
            key = (c.source, c.start, c.end)
            if key not in known:
                known[key] = len(citations) + 1
                citations.append(replace(c, n=known[key]))
            numbers[c.n] = known[key]
        texts.append(re.sub(r"\[(\d+)\]", lambda m: f"[{numbers.get(int(m.group(1)), m.group(1))}]",
                            part.answer))
    return Answer(" ".join(texts), all(p.abstained for p in parts), citations, retrieval.query,
                  retrieval.documents, lead="; ".join(p.lead for p in parts if p.lead))
