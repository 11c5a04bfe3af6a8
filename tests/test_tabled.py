"""Answers from the partnership table: which questions it takes (only those it can answer
whole), and the list, count and yes/no answers it gives, each item cited once."""

from qa.partnerships import Partnership, Span
from qa.questions import analyse
from qa.tabled import asks_the_table, table_answer


def row(foreign, country, chinese, place, kind="joint_programme", discipline=None, start=0):
    quote = f"{chinese} and {country}'s {foreign}"
    return Partnership(kind, chinese, place, foreign, country, discipline=discipline,
                       citations=(Span("news.txt", quote, start, start + len(quote)),))


ROWS = [
    row("Lund University", "Sweden", "Harbin Institute of Technology", "Harbin", start=0),
    row("Uppsala University", "Sweden", "Wuhan University", "Wuhan", "joint_institute", start=100),
    row("University of Porto", "Portugal", "Wuhan University", "Wuhan", discipline="law", start=200),
    row("Kyoto University", "Japan", "Harbin Institute of Technology", "Harbin", start=300),
]
DOCS = {"news.txt": {"title": "Partnerships grow", "text": "x" * 400}}


def ask(question):
    return table_answer(analyse(question), ROWS, DOCS, [])


def test_a_list_by_country_gives_each_item_cited_once():
    answer = ask("Which Swedish universities partner with Chinese universities?")
    assert answer.answer == ("2 in the documents: Lund University (Sweden) [1]; "
                             "Uppsala University (Sweden) [2].")
    assert [(c.n, c.start) for c in answer.citations] == [(1, 0), (2, 100)]


def test_filters_by_city_kind_and_chinese_side():
    by_city = ask("List all the foreign universities that work with Wuhan institutions.")
    assert "Uppsala" in by_city.answer and "Porto" in by_city.answer and "Lund" not in by_city.answer
    institutes = ask("Which joint institutes do Swedish universities run?")
    assert institutes.answer == "1 in the documents: Uppsala University (Sweden) [1]."
    chinese = ask("Which Chinese universities partner with Japanese universities?")
    assert chinese.answer == "1 in the documents: Harbin Institute of Technology [1]."
    of_a_city = ask("Which Wuhan institutions partner with Portuguese universities?")
    assert of_a_city.answer == "1 in the documents: Wuhan University [1]."
    countries = ask("Which countries do Wuhan's partner universities come from?")
    assert countries.answer == "2 in the documents: Sweden [1]; Portugal [2]."


def test_counts_and_yes_no():
    count = ask("How many partnerships with Swedish universities do the documents name?")
    assert count.lead == "2" and count.answer.startswith("The documents name 2: ")
    yes = ask("Is there a partnership with a Portuguese university?")
    # a yes says what bears it out: with whom, and what the partnership is
    assert yes.lead == "Yes" and yes.answer == \
        "Yes: University of Porto (Portugal) — Wuhan University: joint programme, law [1]."
    assert ask("Is there a partnership with a Brazilian university?") is None  # the sentences say


def test_a_question_the_table_cannot_answer_whole_goes_to_the_sentences():
    for question in (
        "Which Swedish universities opened new campuses after the flood?",  # "flood": no column
        "Which college was approved at Wuhan University?",  # one fact, as a sentence says it
        "When did Lund University partner with Harbin Institute of Technology?",  # a date
        "Why do Swedish universities partner with Chinese ones?",
        "Which brand markets the city to students?",  # not about partnerships
    ):
        assert asks_the_table(analyse(question), ROWS) is None, question


def test_a_column_the_rows_hold_counts_as_accounted_for():
    answer = ask("Which law programmes do Portuguese universities run?")
    assert answer.answer == "1 in the documents: University of Porto (Portugal) [1]."
