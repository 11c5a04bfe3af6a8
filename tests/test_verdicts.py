"""Yes or no, row by row: whether a passage states what a yes/no question asks, denies it (by
negating it, or by giving another value where the question names one), or does neither."""

import pytest

from qa.questions import analyse, negated
from qa.ranking import Ranking
from qa.verdicts import verdict

R = Ranking()

# question, passage (with what it leans on), what the passage says: "Yes", "No" or "" (neither)
ROWS = [
    ("Was the festival held in Shanghai?", "The festival was held in Shanghai in May.", "Yes"),
    ("Was the festival held in Beijing?", "The festival was held in Shanghai in May.", "No"),
    ("Does the college run its nursing programme with an Australian university?",
     "The college runs its nursing programme with Australia's Monash University.", "Yes"),
    ("Does the college run its nursing programme with a Canadian university?",
     "The college runs its nursing programme with Australia's Monash University.", "No"),
    ("Does the city host nine joint institutes?", "The city now hosts nine joint institutes.", "Yes"),
    ("Does the city host 12 joint institutes?", "The city now hosts nine joint institutes.", "No"),
    ("Did the ministry approve the programme?", "The ministry did not approve the programme.", "No"),
    ("Did the ministry approve the programme?", "The ministry approved the programme in May.", "Yes"),
    # whether a thing exists at all: naming others does not say there is none
    ("Is there a partnership with a Japanese university?",
     "The college has partnerships with Australia's Monash University.", ""),
    # too little of the question to say either
    ("Was the treaty signed in Beijing?", "The festival was held in Shanghai.", ""),
    ("Did the ministry approve the programme?", "The weather was mild all week.", ""),
    # a name the passage lacks, with nothing of its sort in its place
    ("Did Monash University sign the agreement?", "The agreement was signed in May.", ""),
]


@pytest.mark.parametrize("question,passage,said", ROWS)
def test_a_passage_says_yes_no_or_neither(question, passage, said):
    q = analyse(question)
    assert q.polar
    assert verdict(q, passage, negated(passage), 0.0, False, R.polar_yes, R.polar_no) == said


def test_across_languages_the_retrieval_coverage_decides():
    q = analyse("这所学院和英国的大学合作吗？")
    passage = "The college works with the University of Leicester in the UK."
    assert verdict(q, passage, False, 0.8, True, R.polar_yes, R.polar_no) == "Yes"
    assert verdict(q, passage, False, 0.2, True, R.polar_yes, R.polar_no) == ""
