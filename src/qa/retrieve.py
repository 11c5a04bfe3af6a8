"""Question -> ranked documents and scored sentences.

Three channels rank documents: dense chunks (MiniLM), dense sentences in a multilingual space
(USE, so a Chinese question finds English text) and BM25 over chunks (jieba words for Chinese).
Reciprocal-rank fusion merges them. The sentences of the best documents are then scored on
features that each channel gives, plus whether the sentence holds the kind of answer asked for.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from qa.bm25 import BM25, Scorer, of_store
from qa.embedders import Embedder
from qa.places import country_names, mentions_country, names_any
from qa.mentions import MONTHS, DocumentMentions
from qa.ranking import Ranking
from qa.questions import STATES_RESULT, Query, Search, initialisms, introduces
from qa.store import ChromaStore
from qa.text import reads_as_chinese, stem, term_set, word_terms
from qa.types import Hit, Sentence

RRF_K = 60
CHANNEL_DEPTH = 20  # items each channel ranks before fusion
# Documents are ranked on whole sentences (runs of clauses are stored apart; docs/decisions.md).
DOCUMENTS_RETURNED = 10
RERANK_DEPTH = 20  # best sentences a cross-encoder re-scores
RERANK_SHARE = 0.7  # the cross-encoder's share of a re-ranked sentence's score
CARRIED_SHARE = 0.5  # how much a follow-up's words from earlier turns count against its own
ANTECEDENT_REACH = 3  # sentences back in its paragraph where "the conference" is looked for
NAME_HITS = 3  # a name in the question must be in a document of one of the best sentences
NAME_PREFIX = 5  # letters of a name that must match some word there
NAME_SIMILARITY = 0.6  # or: multilingual similarity of a name to some word there
TRANSLATION_SIMILARITY = 0.5  # least multilingual similarity of a word and its translation
TRANSLATION_SPREAD = 0.1  # a word's translations lie within this of its best one
NAME_FORM_REACH = 3  # letters another form of a name adds: Russia -> Russian, Belarus -> Belarusian
NAME_FORM_LEAST = 4  # letters the shorter form keeps

TermWeights = dict[frozenset[str], float]  # a query term (the words that stand for it) -> weight
# sentences of some documents and their vectors: MiniLM, MiniLM in context, USE (row per sentence)
Loaded = tuple[list, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Features:
    dense: float
    multilingual: float
    lexical: float
    document: float
    typed: bool
    cross: bool
    introduces: bool = False  # opens by introducing what the question asks about


@dataclass(frozen=True)
class Retrieval:
    query: str
    hits: list[Hit]  # best first, headings left out
    documents: list[dict]  # {"source", "title", "score"}, best first
    unknown: list[str] = field(default_factory=list)  # names, numbers no document here has


def score(f: Features, w: Ranking) -> float:
    """A sentence's score from its features."""
    if f.cross:  # MiniLM means nothing across languages: USE stands in, words are translated
        text = (w.dense + w.multilingual) * (f.multilingual + w.cross_offset) + w.lexical * f.lexical
    else:
        text = w.dense * f.dense + w.multilingual * f.multilingual + w.lexical * f.lexical
    return (text + w.document * f.document - (0.0 if f.typed else w.wrong_type)
            + (w.introduction if f.introduces else 0.0))


@lru_cache(maxsize=10_000)
def _whole_word(word: str) -> re.Pattern:
    """The word standing as a word of its own, not inside another."""
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")


def asks(text: str) -> bool:
    """A sentence that is itself a question."""
    return text.rstrip(" \t\n\"'”’）)」』").endswith(("?", "？"))


@lru_cache(maxsize=100_000)
def is_heading(text: str) -> bool:
    """A line without a sentence end: a title or heading, which names a topic but answers nothing."""
    return not re.search(r"[.!?。！？;；:：”\"')）]$", text.strip())


class Lexical:
    """BM25 over chunks: the index saved with the generation (`index`), or else one built from
    the store's chunks."""

    def __init__(self, store: ChromaStore, index: BM25 | None = None) -> None:
        index = index if index is not None else of_store(store)
        self.sources = index.sources
        self._bm25 = Scorer(index) if index.ids else None
        count = max(len(index.ids), 1)
        self.idf = {t: math.log(1 + count / n)
                    for t, n in zip(index.vocabulary, index.document_frequency().tolist())}
        self.unknown_idf = math.log(1 + count)
        self._sorted = sorted(self.idf)

    def rank(self, query_terms: list[str], depth: int) -> list[str]:
        """Sources of the best chunks, best first."""
        if self._bm25 is None or not query_terms:
            return []
        scores = self._bm25.scores(query_terms)
        best = np.argsort(-scores)[:depth]
        return [self.sources[i] for i in best if scores[i] > 0]

    def weigh(self, query_terms: set[str], focus: set[str] | None = None,
              named: set[str] = frozenset()) -> TermWeights:
        """Each query term's IDF; terms outside `focus` (carried from earlier turns) count less,
        and a term of a name stands for its other forms too."""
        return {(self.name_forms(t) if t in named else frozenset([t])):
                self.idf.get(t, self.unknown_idf)
                * (1.0 if focus is None or t in focus else CARRIED_SHARE) for t in query_terms}

    def name_forms(self, term: str) -> frozenset[str]:
        """The term and the corpus's terms that are another form of it, as a country and its
        people are written: one begins with the other and adds at most NAME_FORM_REACH letters
        (german: germani, for "German" and "Germany"; russian: russia)."""
        forms = {term[:k] for k in range(max(NAME_FORM_LEAST, len(term) - NAME_FORM_REACH),
                                         len(term)) if term[:k] in self.idf}
        if len(term) >= NAME_FORM_LEAST:
            i = bisect.bisect_left(self._sorted, term)
            while i < len(self._sorted) and self._sorted[i].startswith(term):
                if len(self._sorted[i]) - len(term) <= NAME_FORM_REACH:
                    forms.add(self._sorted[i])
                i += 1
        return frozenset(forms | {term})

    def weigh_translations(self, translations: dict[str, set[str]]) -> TermWeights:
        """Each question term as the set of its translations, weighted by their highest IDF."""
        return {frozenset(alts): max(self.idf.get(t, self.unknown_idf) for t in alts)
                for alts in translations.values()}

    def coverage(self, weights: TermWeights, found: frozenset[str]) -> float:
        """Weighted share of the query's terms (each a set of words that stand for it) among
        the terms found in a text."""
        if not weights:
            return 0.0
        return sum(w for alts, w in weights.items() if alts & found) / sum(weights.values())


class Translator:
    """Word translations found in the multilingual space: each question word's nearest words
    among those of the candidate documents in the other language (项目 -> programme, programs),
    so a Chinese question is matched word by word against English text and the reverse."""

    def __init__(self, multilingual: Embedder, documents: dict) -> None:
        self.multilingual = multilingual
        self.documents = documents
        self._vocabulary: dict[str, tuple[list[str], np.ndarray]] = {}  # per document

    def _words(self, source: str) -> tuple[list[str], np.ndarray]:
        if source not in self._vocabulary:
            pairs = word_terms(self.documents[source].get("text", ""))
            vectors = self.multilingual.embed(list(pairs)) if pairs else np.zeros((0, 1))
            self._vocabulary[source] = (list(pairs.values()), vectors)
        return self._vocabulary[source]

    def neighbour(self, word: str, sources: list[str]) -> bool:
        """Whether the documents have a word of about the same meaning ("British": "UK")."""
        vectors = [v for _, v in map(self._words, sources) if len(v)]
        if not vectors:
            return False
        similarity = np.concatenate(vectors) @ self.multilingual.embed([word])[0]
        return float(similarity.max()) >= NAME_SIMILARITY

    def translate(self, search: Search, sources: list[str]) -> dict[str, set[str]]:
        """For each term searched for, the terms of the other-language documents that
        translate it (none when no document is in another language)."""
        foreign = [(t, v) for t, v in (self._words(s) for s in sources
                                       if not same_language(self.documents[s], search.chinese))
                   if len(v)]
        asked = dict(search.words)
        if not foreign or not asked:
            return {}
        words = [t for terms_, _ in foreign for t in terms_]
        similarity = self.multilingual.embed(list(asked)) @ np.concatenate([v for _, v in foreign]).T
        out: dict[str, set[str]] = {}
        for term, row in zip(asked.values(), similarity):
            best = float(row.max())
            if best >= TRANSLATION_SIMILARITY:
                picked = np.flatnonzero(row >= max(TRANSLATION_SIMILARITY, best - TRANSLATION_SPREAD))
                out.setdefault(term, set()).update(words[i] for i in picked)
        return out


def same_language(document: dict, chinese: bool) -> bool:
    """Whether a document is in Chinese as the question is, or not as it is not."""
    return (document.get("language") == "zh") == chinese


def _fuse(rankings: list[list[str]], weights: tuple[float, ...]) -> dict[str, float]:
    """Reciprocal-rank fusion of ranked source lists, scaled so a unanimous first is 1."""
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, source in enumerate(dict.fromkeys(ranking)):
            fused[source] = fused.get(source, 0.0) + weight / (RRF_K + rank + 1)
    top = sum(weights) / (RRF_K + 1)
    return {source: value / top for source, value in fused.items()}


def scored_documents(fused: list[str], rankings: list[list[str]], count: int) -> list[str]:
    """The documents whose sentences are scored: the best `count` fused, and each channel's
    first. Fusion can bury a document that one channel alone ranks first, such as the only one
    holding a question's rare names (measured: CMRC hit@1 0.956 -> 0.968, accuracy 0.780 ->
    0.792; SQuAD hit@5 0.984 -> 0.992)."""
    return list(dict.fromkeys(fused[:count] + [ranking[0] for ranking in rankings if ranking]))


def merge(retrievals: list[Retrieval]) -> Retrieval:
    """The retrievals of the parts of a question as one: hits and documents taken in turn."""
    if len(retrievals) == 1:
        return retrievals[0]
    hits = [h for row in itertools.zip_longest(*(r.hits for r in retrievals)) for h in row if h]
    documents: dict[str, dict] = {}
    for row in itertools.zip_longest(*(r.documents for r in retrievals)):
        for doc in row:
            if doc and doc["source"] not in documents:
                documents[doc["source"]] = doc
    return Retrieval(" | ".join(r.query for r in retrievals), hits,
                     list(documents.values())[:DOCUMENTS_RETURNED],
                     list(dict.fromkeys(n for r in retrievals for n in r.unknown)))


def by_best_sentence(documents: list[dict], hits: list[Hit]) -> list[dict]:
    """The documents whose sentences were scored, ordered by their best sentence (the second
    stage re-ranks the fused list), then the rest in fused order."""
    best: dict[str, float] = {}
    for hit in hits:  # best first
        best.setdefault(hit.sentence.source, hit.score)
    return sorted(documents, key=lambda d: -best.get(d["source"], -math.inf))


def rerank(reranker, query: str, hits: list[Hit]) -> list[Hit]:
    """The best sentences re-scored: mostly the cross-encoder, partly the features."""
    head, tail = hits[:RERANK_DEPTH], hits[RERANK_DEPTH:]
    relevance = reranker.score(query, [h.sentence.text for h in head])
    head = [replace(h, score=RERANK_SHARE * float(r) + (1 - RERANK_SHARE) * h.score)
            for h, r in zip(head, relevance)]
    head.sort(key=lambda h: h.score, reverse=True)
    return head + tail


_REFERS_BACK = re.compile(
    r"^(?:[\w'’,-]+\s+){0,10}?(?:these|this|those|such|the same)\s+[a-z]"
    r"|^\s*(?:it|its|they|their|both)\b|^\s*(?:这些|该|此|其|这)", re.I)
_OPENING_THE = re.compile(r"^(?:\w+\s+){0,3}?the\s+([a-z]\w+)")


def antecedent(text: str, before: list[str]) -> int:
    """Which of the sentences before a sentence in its paragraph (nearest first) it opens by
    pointing at, or -1: the one right before for "Announced in May, these partnerships…",
    "It…" or "As a result, …", the nearest that names the thing for "During the conference…"."""
    if not before:
        return -1
    if _REFERS_BACK.search(text) or STATES_RESULT.search(text):
        return 0
    opening = _OPENING_THE.search(text)
    if opening:
        thing = stem(opening.group(1).lower())
        for i, sentence in enumerate(before[:ANTECEDENT_REACH]):
            if thing in term_set(sentence):
                return i
    return -1


Span = tuple[int, int, str]  # start, end, text


def paragraph_before(sentences: list[Span], text: str) -> list[list[Span]]:
    """For each of a document's sentences (in order), the sentences before it in its
    paragraph, nearest first."""
    out: list[list[Span]] = []
    for k, (start, _, _) in enumerate(sentences):
        earlier: list[Span] = []
        edge = start
        for a, b, sentence in reversed(sentences[:k]):
            if edge - b > 2 or text[b:edge].strip(" "):  # a line break: another paragraph
                break
            earlier.append((a, b, sentence))
            edge = a
        out.append(earlier)
    return out


def _contexts(items: list) -> dict[str, str]:
    """For each unit id, the text it leans on: for a sentence the one before it in the same
    document, for a run of clauses the rest of its sentence."""
    whole = [i for i in items if i.metadata.get("sentence_start", -1) < 0]
    ordered = sorted(whole, key=lambda i: (i.metadata["source"], i.metadata["start"]))
    out = {b.id: a.text for a, b in zip(ordered, ordered[1:])
           if a.metadata["source"] == b.metadata["source"]}
    by_span = {(i.metadata["source"], i.metadata["start"]): i.text for i in whole}
    for item in items:
        meta = item.metadata
        if meta.get("sentence_start", -1) >= 0:
            out[item.id] = by_span.get((meta["source"], meta["sentence_start"]), "")
    return out


class Retriever:
    def __init__(self, store: ChromaStore, embedder: Embedder, multilingual: Embedder | None,
                 documents: dict, ranking: Ranking | None = None, reranker=None,
                 lexical: BM25 | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.multilingual = multilingual
        self.documents = documents
        self.ranking = ranking or Ranking()
        self.lexical = Lexical(store, lexical)
        self.reranker = reranker
        self.translator = Translator(multilingual, documents) if multilingual else None
        self._cache: dict[str, Loaded] = {}  # per document
        self._doc_terms: dict[str, tuple[frozenset[str], set[str]]] = {}  # per document
        self._terms: dict[str, tuple[frozenset[str], frozenset[str]]] = {}  # per unit: its
        # terms, and those of it and the text it leans on
        self._leans_on: dict[tuple[str, int], Span] = {}  # (source, start) of a sentence that
        # points back: the sentence it points at
        self._named_by_metadata: tuple[str, dict[str, set[str]]] | None = None
        self._mentions: DocumentMentions | None = None

    def search(self, q: Query) -> Retrieval:
        """Rank documents and sentences for the query's search; where that carries words of
        earlier turns (a follow-up), the question's own words count more."""
        w = self.ranking
        search = q.search
        named_documents = list(search.documents)  # "the iChongqing article of June 2025"
        dense_q = self.embedder.embed([search.text])[0]
        multi_q = self.multilingual.embed([search.text])[0] if self.multilingual else None
        query_terms = list(search.terms)
        rankings = [self.dense_ranking(dense_q, search.chinese),
                    [i.metadata["source"] for i in self.store.query(
                        "sentences_ml", multi_q, CHANNEL_DEPTH)]
                    if multi_q is not None else [],
                    self.lexical.rank(query_terms, CHANNEL_DEPTH)]
        channels = w.channels
        if named_documents:  # the documents the question names, as a channel of their own
            rankings.append(named_documents)
            channels = (*channels, max(channels))
        fused = _fuse(rankings, channels)
        ranked = sorted(fused, key=fused.get, reverse=True)
        documents = [{"source": s, "title": self.documents[s]["title"], "score": round(fused[s], 4)}
                     for s in ranked[:DOCUMENTS_RETURNED]]
        weights = self.lexical.weigh(set(query_terms), set(q.own.terms) if q.follow_up else None,
                                     set(search.named))
        hits = self._sentences(q, scored_documents(ranked, rankings, w.sentence_documents), fused,
                               dense_q, multi_q, weights)
        if self.reranker is not None:
            hits = rerank(self.reranker, search.text, hits)
        unknown = self.unknown_names(q, hits) if w.on("unknown_names") else []
        return Retrieval(search.text, hits, by_best_sentence(documents, hits), unknown)

    def mentions(self) -> DocumentMentions:
        if self._mentions is None:
            self._mentions = DocumentMentions(self.documents)
        return self._mentions

    def dense_ranking(self, dense_q: np.ndarray, chinese: bool) -> list[str]:
        """Documents by MiniLM, which was trained on English: its ranking counts for an English
        question, over English documents. Across languages it means nothing (its noise had put a
        Chinese question's English page out of the four whose sentences are scored), and over
        Chinese text it is noise too (CMRC hit@5 0.988 -> 0.992 without it)."""
        if chinese:
            return []
        found = self.store.query("chunks", dense_q, CHANNEL_DEPTH)
        return [i.metadata["source"] for i in found
                if same_language(self.documents[i.metadata["source"]], chinese=False)]

    def unknown_names(self, q: Query, hits: list[Hit]) -> list[str]:
        """Names and numbers the question asks about that no document of the best sentences has
        in any form (a name's first letters stand for its forms, "Russian" for "Russia"; a word
        of like meaning counts too, "British" for "UK"; an initialism counts as the words it
        stands for, "EU" as "European Union"; a Chinese place name counts in its English names,
        重庆 as "Chongqing", and a country's in the country's names or adjective, 美国 as "US" or
        "American"; a country or its adjective in English counts only in the country's names,
        not in a word of like meaning). Such a question is about something
        else ("Who led the reinforcements in 1765?" of a text that says 1760)."""
        sources = list(dict.fromkeys(h.sentence.source for h in hits[:NAME_HITS]))
        texts = [self.documents[s].get("text", "") for s in sources]
        named_by_metadata, dated = self._metadata() if self.ranking.on("metadata_names") \
            else ("", {})
        # a year some document is dated counts; so do its month and day, beside that year
        by_date = set(dated).union(*(dated[n] for n in q.numbers if n in dated))
        out = [n for n in q.numbers if not any(n in text for text in texts) and n not in by_date]
        for place, english in q.places:
            if not any(place in text for text in texts) and not any(
                    term_set(name) <= words for name in english
                    for words, _ in map(self._vocabulary, sources)):
                out.append(place)
        for country, english in q.countries:
            if country not in out and not any(country in text or mentions_country(text, english)
                                              for text in texts):
                out.append(country)
        for name in q.names:
            if _whole_word(name.lower()).search(named_by_metadata):
                continue  # a publisher, author or month some document's metadata gives
            term = stem(name.lower())
            if any(term in words or term[:NAME_PREFIX] in prefixes
                   for words, prefixes in map(self._vocabulary, sources)):
                continue
            if name.isupper() and any(name in initialisms(text) for text in texts):
                continue  # "EU" of a text that writes "European Union"
            countries = country_names(name)
            if countries:  # a country or its people: in one of its names, not in a word like it
                if not any(names_any(text, countries) for text in texts):  # ("American": English)
                    out.append(name)
            elif not (self.translator and self.translator.neighbour(name, sources)):
                out.append(name)
        return out

    def _metadata(self) -> tuple[str, dict[str, set[str]]]:
        """What the documents' metadata names, corpus-wide: their publishers, authors and the
        months of their dates (as one lower-case text), and the years of their dates, each with
        the months and days dated in it. A question that names a publication, a writer or a
        date asks about documents, not about something their text must say ("the TechCrunch
        article of 2023-11-24")."""
        if self._named_by_metadata is None:
            named: list[str] = []
            dated: dict[str, set[str]] = {}
            for doc in self.documents.values():
                named += [str(doc.get("publisher") or ""), str(doc.get("author") or "")]
                parts = [p.lstrip("0") or p for p in re.findall(r"\d+", str(doc.get("date") or ""))]
                if parts and len(parts[0]) == 4:
                    dated.setdefault(parts[0], set()).update(parts[1:3])
                if len(parts) >= 2 and parts[1].isdigit() and 1 <= int(parts[1]) <= 12:
                    month = MONTHS[int(parts[1]) - 1]
                    named += [month, month[:3], month[:4]]  # June, Jun; Sept
            self._named_by_metadata = ("\n".join(named).lower(), dated)
        return self._named_by_metadata

    def _vocabulary(self, source: str) -> tuple[frozenset[str], set[str]]:
        """A document's terms and their first letters."""
        if source not in self._doc_terms:
            words = term_set(self.documents[source].get("text", ""))
            self._doc_terms[source] = (words, {t[:NAME_PREFIX] for t in words
                                               if len(t) >= NAME_PREFIX})
        return self._doc_terms[source]

    def _sentences(self, q: Query, sources: list[str], fused: dict[str, float],
                   dense_q: np.ndarray, multi_q: np.ndarray | None,
                   term_weights: TermWeights) -> list[Hit]:
        if not sources:
            return []
        items, vectors, in_context, ml_vectors = self._load_sentences(sources)
        rules = self.ranking
        in_context_share = rules.dense_context_share if rules.on("sentence_context") else 0.0
        context_share = rules.context_share if rules.on("sentence_context") else 0.0
        dense = np.maximum(vectors @ dense_q, in_context_share * (in_context @ dense_q))
        multi = ml_vectors @ multi_q if multi_q is not None else np.zeros(len(items))
        # the kind the question asks for, not the turn it leans on; of a kind only some
        # passages could give, where no candidate gives one, none is marked down
        if q.kind is not None and not any(q.holds(i.text) for i in items):
            if q.kind.ranking == "preferred":
                q = q.without_kind()
            elif q.counted:
                q = q.counting_any()  # no candidate gives a number of what it counts: any number
        chinese_question = q.search.chinese
        asked = frozenset(q.search.terms)
        translated = self.lexical.weigh_translations(self.translator.translate(q.search, sources)) \
            if self.translator else {}
        hits = []
        for item, d, m in zip(items, dense, multi):
            if item.metadata.get("sentence_start", -1) < 0 and is_heading(item.text):
                continue
            if rules.on("asking_sentences") and asks(item.text):  # a sentence that asks ("…开幕式总导演是谁？") answers nothing
                continue
            meta = item.metadata
            # a sentence of a Chinese document is Chinese; one of another quotes some at most
            cross = multi_q is not None and chinese_question != reads_as_chinese(
                item.text, self.documents[meta["source"]].get("language"))
            whole = meta.get("sentence_start", -1) < 0
            leans_on = self._leans_on.get(
                (meta["source"], meta["start"] if whole else meta["sentence_start"])) \
                if rules.on("leaning_sentences") else None
            weights = translated if cross else term_weights
            # a sentence often leans on the one before it ("these partnerships ... total 75")
            own, with_context = self._terms[item.id]
            lexical = max(self.lexical.coverage(weights, own),
                          context_share * self.lexical.coverage(weights, with_context))
            features = Features(
                dense=float(d), multilingual=float(m), lexical=lexical,
                document=fused[meta["source"]], cross=cross,
                introduces=rules.on("introductions") and introduces(item.text, q),
                # a sentence of nothing but the question's words ("九号风球（）。") answers nothing
                typed=(cross or not own <= asked or not rules.on("restating_sentences"))
                and (q.holds(item.text) or (
                    whole and leans_on is not None  # "During the conference…": its date is there
                    and q.holds(leans_on[2]))))
            sentence = Sentence(item.id, meta["source"], item.text, meta["start"], meta["end"],
                                meta.get("sentence_start", -1), meta.get("sentence_end", -1),
                                leans_on[:2] if leans_on else None)
            hits.append(Hit(sentence, meta["title"], score(features, rules), features))
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits

    def _load_sentences(self, sources: list[str]) -> Loaded:
        """Sentences and their vectors for these documents, read from the store once each: MiniLM,
        MiniLM of the sentence after the one before it (its own where it has none), USE."""
        missing = [s for s in sources if s not in self._cache]
        if missing:
            ids = [i for s in missing for i in self.documents[s]["sentence_ids"]]
            items, vectors = self.store.get("sentences", with_vectors=True, ids=ids)
            context_by_id = dict(zip(*self.store.vectors("contexts", ids)))
            ml_by_id = {}
            if self.multilingual:
                for kind in ("sentences_ml", "runs_ml"):
                    ml_by_id.update(zip(*self.store.vectors(kind, ids)))
            for source in missing:
                rows = [k for k, item in enumerate(items) if item.metadata["source"] == source]
                in_context = [context_by_id.get(items[k].id, vectors[k]) for k in rows]
                ml = [ml_by_id.get(items[k].id) for k in rows] if ml_by_id else []
                self._cache[source] = (
                    [items[k] for k in rows], vectors[rows],
                    np.asarray(in_context, dtype=np.float32).reshape(len(rows), -1),
                    np.asarray(ml, dtype=np.float32).reshape(len(rows), -1))
                context = _contexts([items[k] for k in rows])
                for k in rows:
                    own = term_set(items[k].text)
                    self._terms[items[k].id] = (own, own | term_set(context.get(items[k].id, "")))
                self._find_antecedents([items[k] for k in rows], source)
        parts = [self._cache[s] for s in sources]
        return ([i for p in parts for i in p[0]],
                *(np.concatenate([p[n] for p in parts]) for n in (1, 2, 3)))

    def _find_antecedents(self, items: list, source: str) -> None:
        """Note the sentence each sentence of a document points back at ("During the
        conference…": the one that dates the conference holds its date)."""
        whole = sorted((i for i in items if i.metadata.get("sentence_start", -1) < 0),
                       key=lambda i: i.metadata["start"])
        spans = [(i.metadata["start"], i.metadata["end"], i.text) for i in whole]
        text = self.documents.get(source, {}).get("text", "")
        for (start, _, sentence), before in zip(spans, paragraph_before(spans, text)):
            k = antecedent(sentence, [t for _, _, t in before])
            if k >= 0:
                self._leans_on[(source, start)] = before[k]

    def rescore(self, retrieval: Retrieval, weights: Ranking) -> Retrieval:
        """The same candidates scored with other weights (for tuning)."""
        hits = [replace(h, score=score(h.features, weights)) for h in retrieval.hits]
        hits.sort(key=lambda h: h.score, reverse=True)
        return replace(retrieval, hits=hits)
