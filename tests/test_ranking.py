"""The ranking settings are checked when built; the rules a question's wording switches on are
tested on general sentences (not eval cases): document mentions, asking sentences, numbers."""

import pytest

from qa.errors import ConfigError
from qa.mentions import DocumentMentions
from qa.questions import analyse
from qa.ranking import RULES, Ranking
from qa.retrieve import Retriever, asks
from qa.types import Hit, Sentence

DOCS = {
    "a.txt": {"publisher": "Tech Daily", "author": "Li, Wei", "date": "2023-11-24",
              "text": "Apple sued a rival over its chips. The court met on Monday."},
    "b.txt": {"publisher": "The Harbour Times (harbour.example)", "author": "", "date": "2025-06-01",
              "text": "The port opened two new berths."},
    "c.txt": {"publisher": "", "author": "", "date": "", "text": "Rice grows in wet fields."},
}


@pytest.mark.parametrize("values, message", [
    ({"dense": -0.1}, "Ranking.dense=-0.1: must lie between 0 and 2"),
    ({"lexical": float("nan")}, "Ranking.lexical=nan"),
    ({"sentence_documents": 0}, "Ranking.sentence_documents=0"),
    ({"channels": (1.0, 1.0)}, "Ranking.channels=(1.0, 1.0)"),
    ({"rules": frozenset({"astrology"})}, "unknown rules ['astrology']"),
])
def test_a_bad_ranking_value_is_named(values, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        Ranking(**values)


def test_rules_switch_off_one_at_a_time():
    ranking = Ranking()
    assert ranking.rules == RULES and ranking.on("negation")
    assert not ranking.without("negation").on("negation")
    with pytest.raises(ConfigError, match="unknown rule 'magic'"):
        ranking.without("magic")


@pytest.mark.parametrize("question, stripped, sources", [
    ("What did the Tech Daily article of November 2023 say about the chips?",
     "What did article say about the chips?", ["a.txt"]),
    ("According to The Harbour Times, how many berths opened?", "how many berths opened?", ["b.txt"]),
    ("How many berths did Harbour Times report in June 2025?",
     "How many berths did report?", ["b.txt"]),
    ("What does Wei Li's story say about the court?", "What does story say about the court?",
     ["a.txt"]),
    ("What did the report dated 2023-11-24 say about Apple?", "What did the report say about Apple?",
     ["a.txt"]),
    ("Tech Daily 2023年11月的报道说苹果公司起诉了谁？", "的报道说苹果公司起诉了谁？", ["a.txt"]),
    ("Where does rice grow?", "Where does rice grow?", []),
    ("What happened in June 2024 at the port?", "What happened in June 2024 at the port?", []),
])
def test_words_that_name_a_document_pick_it(question, stripped, sources):
    assert DocumentMentions(DOCS).strip(question) == (stripped, sources)


def test_a_question_of_nothing_but_a_mention_is_kept_whole():
    assert DocumentMentions(DOCS).strip("What did Tech Daily say?") == (
        "What did Tech Daily say?", ["a.txt"])


@pytest.mark.parametrize("text, asking", [
    ("谁是开幕式的总导演？", True), ("Who built the bridge?", True), ('He asked: "Why?"', True),
    ("The bridge was built in 1932.", False), ("你知道吗？他来了。", False),
])
def test_a_sentence_that_asks_is_told_apart(text, asking):
    assert asks(text) is asking


def _retriever(ranking: Ranking = Ranking()) -> Retriever:
    retriever = Retriever.__new__(Retriever)
    retriever.documents, retriever.ranking, retriever.translator = DOCS, ranking, None
    retriever._named_by_metadata, retriever._doc_terms = None, {}
    return retriever


@pytest.mark.parametrize("question, unknown", [
    ("What did the Tech Daily article of 2023-11-24 say about Apple?", []),
    ("What did Li Wei write in November 2023 about Apple?", []),
    ("What did Apple do on 2023-11-25?", ["25"]),  # a day no document is dated
    ("What did Apple do in 1999?", ["1999"]),
    ("于1999年苹果公司做了什么？", ["1999"]),  # a number touching Han characters is still one
    ("Ｗhat did Apple do in １９９９?", ["1999"]),  # full-width digits are the same number
])
def test_metadata_counts_as_known_and_numbers_are_read_whole(question, unknown):
    hits = [Hit(Sentence("1", "a.txt", DOCS["a.txt"]["text"], 0, 10), "A", 0.5)]
    assert _retriever().unknown_names(analyse(question), hits) == unknown


def test_without_the_rule_a_named_publisher_is_unknown():
    hits = [Hit(Sentence("1", "c.txt", DOCS["c.txt"]["text"], 0, 10), "C", 0.5)]
    question = "What did Tech Daily say about rice in November 2023?"
    assert _retriever().unknown_names(analyse(question), hits) == []
    assert _retriever(Ranking().without("metadata_names")).unknown_names(analyse(question), hits) == [
        "2023", "Tech", "Daily", "November"]
