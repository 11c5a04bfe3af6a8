"""Answer composition, question checks and follow-up queries, as plain functions."""

import pytest

from qa.answer import compose, is_list_question, select_sentences
from qa.errors import BadQuestion
from qa.retrieve import Retrieval, lexical_overlap
from qa.service import standalone_query, validate_question
from qa.text import terms
from qa.types import Hit, Sentence

DOCS = {"a.txt": {"title": "A", "publisher": "Pub", "date": "2025-01-02"}, "b.txt": {"title": "B"}}


def hit(text: str, score: float, source: str = "a.txt", start: int = 0) -> Hit:
    return Hit(Sentence(f"id-{text[:10]}", source, text, start, start + len(text)), "T", score,
               score, 0.5, 0)


def test_factoid_gets_its_best_sentence_with_citation():
    retrieval = Retrieval("q", [hit("Leicester partnered with CQMU.", 0.8, start=10),
                                hit("Unrelated sentence about weather.", 0.6)], [])
    answer = compose("Who partnered with CQMU?", retrieval, DOCS, min_score=0.45)
    assert not answer.abstained
    assert answer.answer == "Leicester partnered with CQMU. [1]"
    [citation] = answer.citations
    assert (citation.n, citation.source, citation.quote, citation.start, citation.end) == (
        1, "a.txt", "Leicester partnered with CQMU.", 10, 40)
    assert (citation.publisher, citation.date) == ("Pub", "2025-01-02")


def test_list_question_gathers_items_across_documents_without_duplicates():
    hits = [hit("Otago runs pharmacy with Southwest University.", 0.80),
            hit("Otago runs pharmacy with Southwest University!", 0.79, "b.txt"),
            hit("Novosibirsk runs physics with Chongqing University.", 0.76, "b.txt"),
            hit("Berlin runs digital media with CQCMC.", 0.74),
            hit("Far below the margin.", 0.5)]
    chosen = select_sentences("Which programs were approved?", hits, 0.45)
    assert [h.sentence.text[:5] for h in chosen] == ["Otago", "Novos", "Berli"]
    answer = compose("Which programs were approved?", Retrieval("q", hits, []), DOCS, 0.45)
    assert answer.answer.count("[") == 3 and "[3]" in answer.answer


def test_abstains_below_the_threshold():
    answer = compose("What is the fee?", Retrieval("q", [hit("Something vague.", 0.3)], []), DOCS, 0.45)
    assert answer.abstained and answer.citations == []
    assert answer.answer.startswith("The documents don't say")


def test_abstains_without_hits():
    assert compose("Anything?", Retrieval("q", [], []), DOCS, 0.45).abstained


@pytest.mark.parametrize("question,listing", [
    ("Which universities from Russia take part?", True),
    ("List the vice-chair institutions.", True),
    ("What measures has China taken?", True),
    ("江西有哪些合作办学项目？", True),
    ("When was the alliance founded?", False),
    ("How many programs does Chongqing host?", False),
])
def test_list_questions(question, listing):
    assert is_list_question(question) is listing


@pytest.mark.parametrize("bad", ["", "   ", "\n\t", "???", 42, None])
def test_bad_questions_are_refused_clearly(bad):
    with pytest.raises(BadQuestion):
        validate_question(bad, 100)


def test_overlong_question_names_the_limit():
    with pytest.raises(BadQuestion, match="limit is 100"):
        validate_question("x" * 101, 100)


def test_follow_up_is_searched_with_the_previous_question():
    history = [{"role": "user", "content": "Which university partners with Otago?"},
               {"role": "assistant", "content": "Southwest University. [1]"}]
    assert standalone_query("What subject is that program in?", history) == (
        "Which university partners with Otago? What subject is that program in?")
    assert standalone_query("When was the Jiangxi alliance founded?", history) == (
        "When was the Jiangxi alliance founded?")
    assert standalone_query("What subject is that program in?", None) == (
        "What subject is that program in?")


def test_terms_and_overlap():
    assert terms("The universities of Russia") == ["university", "russia"]
    assert terms("重庆大学") == ["重庆", "庆大", "大学"]
    assert lexical_overlap(set(terms("Russian universities in Chongqing")),
                           "Chongqing hosts universities.") == pytest.approx(2 / 3)
