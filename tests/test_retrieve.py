"""Retrieval helpers as units: term weights, names the corpus lacks, word translations."""

from types import SimpleNamespace

import numpy as np
import pytest

from qa.answer import compose
from qa.embedders import HashingEmbedder
from qa.retrieve import (CARRIED_SHARE, Lexical, Retrieval, Retriever, Translator, antecedent,
                         by_best_sentence, paragraph_before, same_language,
                         scored_documents)
from qa.places import chinese_places
from qa.questions import analyse, initialisms, names
from qa.text import term_set, terms
from qa.types import Hit, Sentence

TEXTS = ["Chongqing Medical University works with the University of Leicester in the UK.",
         "Russia's Novosibirsk State University runs a physics program with Chongqing University.",
         "The alliance was inaugurated in Nanchang on November 18."]


class Chunks:
    """The store calls Lexical makes: English chunks, and no chunks of Chinese documents."""

    def get(self, kind: str):
        return [SimpleNamespace(id=f"{i}#0", text=t, metadata={"source": f"{i}.txt"})
                for i, t in enumerate(TEXTS) if kind == "chunks"], None


class WordVectors:
    """A multilingual embedder for a handful of words: synonyms and translations share a vector."""

    GROUPS = [("项目", "programs", "program"), ("物理", "physics"), ("british", "uk"),
              ("大学", "university", "universities")]

    def __init__(self) -> None:
        self.calls = 0
        self.others: dict[str, int] = {}  # any other word: a dimension of its own

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), 100), dtype=np.float32)
        for row, text in enumerate(texts):
            group = next((i for i, g in enumerate(self.GROUPS) if text.lower() in g), None)
            if group is None:
                group = self.others.setdefault(text.lower(), len(self.GROUPS) + len(self.others))
            out[row, group] = 1.0
        return out


def test_names_are_the_capitalised_words_after_the_first():
    assert names("Which university in Jiangxi partners with Harvard University?") == [
        "Jiangxi", "Harvard", "University"]
    assert names("Who signed in May? What about Sino-Foreign programs?") == ["Sino-Foreign"]
    assert names("重庆有多少个项目？") == []


def test_names_the_best_documents_lack_even_in_another_form():
    documents = {f"{i}.txt": {"text": t, "language": "en"} for i, t in enumerate(TEXTS)}
    retriever = Retriever(Chunks(), HashingEmbedder(), WordVectors(), documents)
    hits = [Hit(Sentence("s", "0.txt", TEXTS[0], 0, len(TEXTS[0])), "T", 0.9),
            Hit(Sentence("t", "1.txt", TEXTS[1], 0, len(TEXTS[1])), "T", 0.8)]
    question = ("Does Harvard or a British, Russian or Oslo university work with Leicester or "
                "Chongqing Universities in Nanchang?")
    assert retriever.unknown_names(analyse(question), hits) == ["Harvard", "Oslo", "Nanchang"]
    assert retriever.unknown_names(analyse(question), hits[:1]) == ["Harvard", "Russian", "Oslo", "Nanchang"]
    assert retriever.unknown_names(analyse("Who met in 1765 at the 4th and 18th sessions?"), hits) == ["1765"]
    # an initialism counts as the words it stands for: UK is there, and so is NSU; NASA is not
    assert retriever.unknown_names(analyse("Did NSU or NASA work with a UK college?"), hits) == ["NASA"]
    # a Chinese place name counts in its English names: 重庆 is Chongqing, 昆明 (Kunming) is absent
    assert retriever.unknown_names(analyse("昆明和重庆的大学与哪所英国大学合作？"), hits) == ["昆明"]


def test_initialisms_are_the_first_letters_of_runs_of_capitalised_words():
    found = initialisms("The European Union and the Department of Energy met in Edinburgh.")
    assert {"EU", "DE", "DOE"} <= found and "EUD" in found  # runs across "and the" too
    assert "ME" not in found and initialisms("no capitals here") == frozenset()


def test_chinese_place_names_come_with_their_english_names():
    places = chinese_places("昆明理工大学与哪所外国大学合作办学？")
    assert list(places) == ["昆明"] and "Kunming" in places["昆明"]
    assert "Chongqing" in chinese_places("重庆邮电大学在哪里？")["重庆"]
    assert chinese_places("Which university is in Kunming?") == {}
    assert chinese_places("这所大学有多少学生？") == {}  # no place named


def test_the_place_table_is_kept_in_the_temp_folder_and_rebuilt_when_broken(tmp_path, monkeypatch):
    import qa.places

    monkeypatch.setattr(qa.places.tempfile, "gettempdir", lambda: str(tmp_path))
    qa.places._english_names.cache_clear()
    built = qa.places._english_names()
    [kept] = tmp_path.glob("qa-places-*.json")
    qa.places._english_names.cache_clear()
    assert qa.places._english_names() == built and "Kunming" in built["昆明"]
    kept.write_text("{broken", "utf-8")  # damaged on disk: built again
    qa.places._english_names.cache_clear()
    assert qa.places._english_names() == built
    qa.places._english_names.cache_clear()


def test_a_follow_ups_own_words_weigh_more_than_the_carried_ones():
    lexical = Lexical(Chunks())
    query = set(terms("Which university did Nanchang sign with? When was it inaugurated?"))
    weights = lexical.weigh(query, set(terms("When was it inaugurated?")))
    own = weights[frozenset(terms("inaugurated"))]
    carried = weights[frozenset(terms("Nanchang"))]
    assert carried == CARRIED_SHARE * lexical.idf[terms("Nanchang")[0]]
    assert own == lexical.idf[terms("inaugurated")[0]]
    text = "The alliance was inaugurated in Nanchang on November 18."
    assert lexical.coverage(weights, term_set(text)) > lexical.coverage(lexical.weigh(query),
                                                                       term_set(text))


def test_a_document_is_in_the_questions_language_or_not():
    assert same_language({"language": "zh"}, chinese=True)
    assert same_language({"language": "en"}, chinese=False)
    assert not same_language({"language": "en"}, chinese=True)
    assert not same_language({}, chinese=True)  # no language given: not Chinese


def test_a_name_stands_for_its_other_forms_in_the_corpus():
    lexical = Lexical(Chunks())  # TEXTS write "Russia's", "Nanchang"
    assert lexical.name_forms("russian") == {"russian", "russia"}
    assert lexical.name_forms("nanchang") == {"nanchang"}
    assert lexical.name_forms("rus") == {"rus"}  # too short to stand for "russia"
    assert lexical.name_forms("r") == {"r"}


def test_chinese_question_words_are_translated_to_the_words_of_english_documents():
    documents = {f"{i}.txt": {"text": t, "language": "en"} for i, t in enumerate(TEXTS)}
    embedder = WordVectors()
    translator = Translator(embedder, documents)
    translations = translator.translate(analyse("哪所大学开设物理项目？").search, ["0.txt", "1.txt"])
    assert translations["物理"] == {"physic"}
    assert translations["项目"] == {"program"}
    assert translations["大学"] == {"universiti"}
    lexical = Lexical(Chunks())
    weights = lexical.weigh_translations(translations)
    assert lexical.coverage(weights, term_set(TEXTS[1])) == 1.0
    assert lexical.coverage(weights, term_set(TEXTS[2])) == 0.0
    assert translator.translate(analyse("Which university runs physics?").search, ["0.txt"]) == {}  # same language
    assert translator.neighbour("British", ["0.txt"]) and not translator.neighbour("Oslo", ["0.txt"])
    calls = embedder.calls
    translator.translate(analyse("物理项目？").search, ["0.txt", "1.txt"])
    assert embedder.calls == calls + 1  # the documents' words are embedded once


def test_a_question_about_a_name_no_document_has_is_refused_naming_it():
    retrieval = Retrieval("q", [], [], unknown=["Harvard"])
    answer = compose(analyse("Which university partners with Harvard?"), retrieval, {}, 0.3)
    assert answer.abstained and not answer.citations
    assert answer.answer == "The documents don't say: they never mention “Harvard”."


def test_a_sentence_points_back_at_the_one_its_opening_names():
    before = ["This event created a platform.", "The Exchange Conference was held on November 17."]
    assert antecedent("During the conference, agreements were signed.", before) == 1
    assert antecedent("Announced in May, these partnerships involve Russia.", before) == 0
    assert antecedent("It grew.", before) == 0
    assert antecedent("As a result, fees fell.", before) == 0
    assert antecedent("The city hosts nine institutions.", before) == -1
    assert antecedent("During the conference, agreements were signed.", []) == -1
    text = "One. Two.\n\nThree. Four."
    spans = [(0, 4, "One."), (5, 9, "Two."), (11, 17, "Three."), (18, 23, "Four.")]
    assert paragraph_before(spans, text) == [[], [spans[0]], [], [spans[2]]]


def test_questions_asked_side_by_side_are_searched_one_at_a_time(settings, fake_embedder):
    import threading
    import time

    from qa.service import QAService, run_index

    run_index(settings, fake_embedder, multilingual=None)
    service = QAService(settings, embedder=fake_embedder)
    search, running, most = service.retriever.search, [], []

    def slow_search(*args, **kwargs):
        running.append(1)
        most.append(len(running))
        time.sleep(0.05)
        running.pop()
        return search(*args, **kwargs)

    service.retriever.search = slow_search
    threads = [threading.Thread(target=service.ask, args=("Which university chairs the alliance?",))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(most) == 4 and max(most) == 1


def test_a_follow_up_keeps_the_search_whose_best_sentence_scores_higher(settings, fake_embedder):
    from qa.service import QAService, run_index

    run_index(settings, fake_embedder, multilingual=None)
    service = QAService(settings, embedder=fake_embedder)
    history = [{"role": "user", "content": "How many programs does Chongqing have?"},
               {"role": "assistant", "content": "75 such collaborations. [1]"}]
    carried = "How many programs does Chongqing have? How many of them are joint institutions?"
    searched = []

    def scored(alone: float, with_history: float):
        def search(q):
            searched.append((q.search.text, q.follow_up))
            value = alone if q.search.text == question else with_history
            return Retrieval(q.search.text, [Hit(Sentence("s", "a.txt", "x", 0, 1), "A", value)], [])
        return search

    question = "How many of them are joint institutions?"
    service.retriever.search = scored(alone=0.4, with_history=0.3)
    (part, retrieval), = service.retrieve_parts(analyse(question, history), history)
    assert searched == [(carried, True), (question, False)] and retrieval.query == question
    service.retriever.search = scored(alone=0.3, with_history=0.3)  # a tie keeps the history
    assert service.retrieve_parts(analyse(question, history), history)[0][1].query == carried
    searched.clear()
    alone = "Which university runs a pharmacy program?"
    service.retrieve_parts(analyse(alone, history), history)  # stands alone
    assert searched == [(alone, False)]


def test_documents_are_ranked_by_their_best_sentence_then_in_fused_order():
    documents = [{"source": s, "title": s, "score": f} for s, f in
                 [("a.txt", 1.0), ("b.txt", 0.8), ("c.txt", 0.7), ("d.txt", 0.6)]]
    hits = [Hit(Sentence(f"{s}-{n}", s, "x", 0, 1), s, v)
            for s, n, v in [("c.txt", 1, 0.5), ("a.txt", 1, 0.4), ("c.txt", 2, 0.3)]]
    ranked = [d["source"] for d in by_best_sentence(documents, hits)]
    assert ranked == ["c.txt", "a.txt", "b.txt", "d.txt"]


def test_each_channels_first_document_is_scored_though_fusion_ranks_it_low():
    dense, multilingual, lexical = ["a", "b", "c"], ["b", "a", "c"], ["z", "a", "b"]
    assert scored_documents(["a", "b", "c", "z"], [dense, multilingual, lexical], 2) == ["a", "b", "z"]
    assert scored_documents(["a", "b"], [dense, [], []], 2) == ["a", "b"]


def test_a_text_is_chinese_when_its_han_characters_outweigh_its_latin_letters():
    from qa.text import mostly_chinese

    assert mostly_chinese("Stam1na是什么？") and mostly_chinese("重庆大学和哪所university合作？")
    assert not mostly_chinese("What is 重庆?")
    assert not mostly_chinese("His calendar, the Shoushi Li (授時暦), was disseminated in 1281.")


def test_a_definition_is_preferred_only_where_some_candidate_gives_one(settings, fake_embedder):
    from qa.service import QAService, run_index

    question = "What does Study in Chongqing mean?"
    run_index(settings, fake_embedder, multilingual=None)
    hits = QAService(settings, embedder=fake_embedder).retriever.search(analyse(question)).hits
    assert hits and all(h.features.typed for h in hits)  # none defines it: none marked down
    (settings.corpus_dir / "brand.txt").write_text(
        "Study in Chongqing is the city's brand for students from abroad. Students come from 60 countries.")
    run_index(settings, fake_embedder, multilingual=None)
    hits = QAService(settings, embedder=fake_embedder).retriever.search(analyse(question)).hits
    typed = [h.sentence.text for h in hits if h.features.typed]
    assert typed == ["Study in Chongqing is the city's brand for students from abroad."]


def test_a_sentence_is_also_matched_as_read_after_the_one_before_it(settings, fake_embedder):
    from qa.ranking import Ranking
    from qa.service import QAService, run_index

    first = "Chongqing hosts joint institutes."
    second = "The city runs 66 programs."
    (settings.corpus_dir / "programs.txt").write_text(f"{first} {second}")
    run_index(settings, fake_embedder, multilingual=None)
    question = "How many programs does Chongqing run?"
    hits = QAService(settings, embedder=fake_embedder).retriever.search(analyse(question)).hits
    dense = {h.sentence.text: h.features.dense for h in hits}
    q, own_first, own_second, together = fake_embedder.embed(
        [question, first, second, f"{first} {second}"])
    assert Ranking().dense_context_share * float(q @ together) > float(q @ own_second)
    assert np.isclose(dense[second], Ranking().dense_context_share * float(q @ together), atol=1e-5)
    assert np.isclose(dense[first], float(q @ own_first), atol=1e-5)  # nothing before it


def test_the_sentence_introducing_a_chinese_questions_subject_scores_more(settings, fake_embedder):
    from dataclasses import replace

    from qa.ranking import Ranking
    from qa.retrieve import score
    from qa.service import QAService, run_index

    lead = "张世昌（），中国足球运动员，司职守门员。"
    (settings.corpus_dir / "zhang.txt").write_text(f"{lead}张世昌在河南建业只担任替补。", encoding="utf-8")
    run_index(settings, fake_embedder, multilingual=None)
    hits = QAService(settings, embedder=fake_embedder).retriever.search(analyse("张世昌的职业是什么？")).hits
    by_text = {h.sentence.text: h for h in hits}
    assert by_text[lead].features.introduces
    assert not by_text["张世昌在河南建业只担任替补。"].features.introduces
    without = replace(by_text[lead].features, introduces=False)
    assert by_text[lead].score == pytest.approx(score(without, Ranking()) + Ranking().introduction)


def test_a_sentence_with_no_word_beyond_the_questions_holds_no_answer(settings, fake_embedder):
    from qa.service import QAService, run_index

    (settings.corpus_dir / "cycle.txt").write_text(
        "The Rankine cycle. The Rankine cycle turns heat into work.")
    run_index(settings, fake_embedder, multilingual=None)
    hits = QAService(settings, embedder=fake_embedder).retriever.search(
        analyse("What does the Rankine cycle do?")).hits
    typed = {h.sentence.text: h.features.typed for h in hits}
    assert typed == {**typed, "The Rankine cycle.": False,
                     "The Rankine cycle turns heat into work.": True}


def test_minilm_ranks_documents_for_english_questions_only(settings, fake_embedder):
    from qa.service import QAService, run_index

    (settings.corpus_dir / "zhang.txt").write_text(
        "张世昌（），中国足球运动员，司职守门员。张世昌在河南建业只担任替补。", encoding="utf-8")
    run_index(settings, fake_embedder, multilingual=None)
    retriever = QAService(settings, embedder=fake_embedder).retriever
    english = retriever.dense_ranking(fake_embedder.embed(["Who is Zhang Shichang?"])[0], False)
    assert english and "zhang.txt" not in english
    assert retriever.documents["zhang.txt"]["language"] == "zh"
    assert retriever.dense_ranking(fake_embedder.embed(["张世昌的职业是什么？"])[0], True) == []


def test_a_country_is_its_name_or_its_adjective():
    from qa.places import country_names, names_any

    assert country_names("American") == ("United States", "US", "U.S.", "USA", "America")
    assert country_names("Canadian") == ("Canada",) and country_names("Japanese") == ("Japan",)
    assert country_names("Austrian") == ("Austria",) and country_names("Spain") == ("Spain",)
    # another stem, or a word that only starts as a country does
    for word in ("British", "French", "Microsoft", "George", "Indiana", "Americas"):
        assert country_names(word) == ()
    assert names_any("a college in the US.", ("US",)) and not names_any("join us", ("US",))


def test_a_chinese_question_names_a_country_as_a_word_not_inside_another_name():
    from qa.places import chinese_countries, mentions_country

    assert list(chinese_countries("哪所美国大学与重庆合作？")) == ["美国"]  # 美国 + 大学
    assert "UK" in chinese_countries("重庆医科大学与哪所英国大学合作？")["英国"]
    assert list(chinese_countries("白俄罗斯国立大学和哪所大学签约？")) == ["白俄罗斯"]  # not 俄罗斯
    assert chinese_countries("马里兰大学在哪里？") == {}  # Maryland, not 马里 (Mali)
    assert chinese_countries("Which American university?") == {}
    us = chinese_countries("美国")["美国"]
    assert mentions_country("an American college", us) and mentions_country("the US.", us)
    assert not mentions_country("the Americas and English", us)
    assert mentions_country("Belarusian State University", ("Belarus",))


def test_a_country_is_found_in_one_of_its_names_not_in_a_word_like_it():
    texts = ["Chongqing runs English and Law programs with Russia's Novosibirsk State University.",
             "Southwest University works with a college in the US."]
    documents = {f"{i}.txt": {"text": t, "language": "en"} for i, t in enumerate(texts)}
    vectors = WordVectors()
    vectors.GROUPS = WordVectors.GROUPS + [("american", "english")]  # close in USE: 0.65
    retriever = Retriever(Chunks(), HashingEmbedder(), vectors, documents)
    hits = [Hit(Sentence(str(i), f"{i}.txt", t, 0, len(t)), "T", 0.9) for i, t in enumerate(texts)]
    question = "Does Chongqing work with an American or a Russian university?"
    assert retriever.translator.neighbour("American", ["0.txt"])  # likeness alone would pass it
    assert retriever.unknown_names(analyse(question), hits[:1]) == ["American"]
    assert retriever.unknown_names(analyse(question), hits) == []  # the US is named in the second
    question = "哪所美国大学与重庆合作？"  # 美国: the United States
    assert retriever.unknown_names(analyse(question), hits[:1]) == ["美国"]
    assert retriever.unknown_names(analyse(question), hits) == []
