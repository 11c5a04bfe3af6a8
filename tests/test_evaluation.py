"""Scoring, metrics, gates and reports of `qa eval`, on hand-made answers."""

import json

import pytest

from qa.evaluation import (Case, EvalSetError, check_gates, contains, dataset_to_corpus,
                           load_cases, meets_must, metrics, metrics_by_kind, run_cases,
                           score_case, token_f1, write_report)
from qa.errors import BadQuestion
from qa.types import Answer, Citation

A, B = "a.txt", "b.txt"


def answer(text: str, sources=(A,), abstained=False, retrieved=(A, B)) -> Answer:
    citations = [Citation(i + 1, s, "T", "q", 0, 1, 0.9) for i, s in enumerate(sources)]
    return Answer(text, abstained, [] if abstained else citations,
                  retrieved=[{"source": s, "title": "T", "score": 0.5} for s in retrieved],
                  timings_ms={"total": 12.0})


def test_must_groups_are_case_width_and_quote_insensitive():
    must = [["Leicester"], ["joint college", "joint institute"]]
    assert meets_must("The ＬＥＩＣＥＳＴＥＲ Joint Institute", must)
    assert not meets_must("Leicester only", must)
    assert meets_must("“French + Law”", [['"french + law"']])


def test_squad_style_containment_and_f1():
    assert contains("It was the RNA-interference pathway.", "RNA interference pathway")
    assert not contains("interfering", "RNA interference")
    assert contains("答案是364.6公里。", "364.6公里")
    # a Latin gold span inside Chinese text: the characters around it bound it as spaces do
    assert contains("硫醚的通式为R-S-R，其中R是有机基团。", "R-S-R")
    assert contains("编号为G11，是联络线之一。", "G11")
    assert not contains("编号为G110，是联络线之一。", "G11")
    assert token_f1("the cat sat", "cat sat down") == pytest.approx(0.8)
    assert token_f1("光荣和ω-force", "光荣和ω-force开发") > 0.8
    assert token_f1("", "x") == 0.0
    # a number scores against the same number in Chinese, as CMRC's own scoring segments it
    assert token_f1("150", "150对") == pytest.approx(2 / 3)
    assert token_f1("第12届", "12") == pytest.approx(0.5)


def test_case_scores():
    case = Case(id="1", question="q", must=[["Leicester"]], sources=[B])
    scores = score_case(case, answer("Leicester. [1]", sources=(A, B), retrieved=(A, B)))
    assert scores["correct"] is True
    assert (scores["hit@1"], scores["hit@5"], scores["hit@k"], scores["rr"]) == (False, True, True, 0.5)
    far = score_case(case, answer("x", retrieved=(A,) * 5 + (B,)))
    assert (far["hit@5"], far["hit@k"], far["rr"]) == (False, True, 1 / 6)
    assert (scores["citation_precision"], scores["citation_recall"]) == (0.5, 1.0)
    assert score_case(case, answer("Leicester", abstained=True))["correct"] is False
    forbidden = Case(id="2", question="q", must=[["75"]], must_not=["500"])
    assert score_case(forbidden, answer("75 or 500"))["correct"] is False
    unanswerable = Case(id="3", question="q", answerable=False)
    assert score_case(unanswerable, answer("x", abstained=True))["correct"] is True
    assert score_case(unanswerable, answer("x"))["correct"] is False
    pasted = answer("Leicester " + "word " * 70)  # the span is in it, but so is a whole chunk
    assert score_case(case, pasted)["correct"] is True
    assert score_case(case, pasted, max_words=60)["correct"] is False
    assert score_case(case, answer("Leicester. [1]"), max_words=60)["correct"] is True
    # an English answer that quotes a few Chinese characters is counted in words, not characters
    quoting = "Leicester's calendar, the Shoushi Li (授時暦), " + "word " * 40
    assert score_case(case, answer(quoting), max_words=60)["answer_words"] == 47
    assert score_case(case, answer(quoting), max_words=60)["correct"] is True
    assert score_case(case, answer("硕塞，清太宗皇太极第五子。"))["answer_words"] == 5


def test_metrics_and_gates():
    cases = [Case("1", "q1", must=[["yes"]], sources=[A], kind="fact"),
             Case("2", "q2", must=[["yes"]], sources=[A], kind="fact"),
             Case("3", "q3", answerable=False, kind="none"),
             Case("4", "q4", answerable=False, kind="none")]
    replies = {"q1": answer("yes [1]"), "q2": answer("no", abstained=True),
               "q3": answer("x", abstained=True), "q4": answer("made up [1]")}
    results = run_cases(lambda q, h: replies[q], cases)
    m = metrics(results)
    assert m["answer_accuracy"] == 0.5 and m["overall_accuracy"] == 0.5
    assert m["abstention_recall"] == 0.5 and m["abstention_precision"] == 0.5
    assert m["false_abstention_rate"] == 0.5 and m["hit@1"] == 1.0
    assert metrics_by_kind(results)["none"]["cases"] == 2
    assert check_gates(m, {"answer_accuracy": 0.5}, {"false_abstention_rate": 0.5}) == []
    failures = check_gates(m, {"answer_accuracy": 0.9, "no_such_metric": 0.1}, {})
    assert len(failures) == 2 and "below the minimum 0.9" in failures[0]


def test_a_refused_question_counts_as_abstained():
    def ask(question, history):
        raise BadQuestion("The question is empty.")
    [result] = run_cases(ask, [Case("1", " ", answerable=False)])
    assert result["abstained"] and result["error"] == "The question is empty."


def test_load_cases_ignores_unknown_fields_and_rejects_bad_lines(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "a", "question": "Q?", "colour": "red", "history": '
                    '[{"role": "user", "content": "x"}]}\n\n')
    [case] = load_cases([path])
    assert case.answerable and case.history[0]["content"] == "x"
    path.write_text('{"id": "a", "question": "Q?"}\n{"id": "a", "question": "R?"}\n')
    with pytest.raises(EvalSetError, match="more than once"):
        load_cases([path])
    path.write_text('{"id": "a", "question": "Q?"}\nnot json\n')
    with pytest.raises(EvalSetError, match="set.jsonl:2"):
        load_cases([path])


def test_report_files(tmp_path):
    cases = [Case("1", "q1", must=[["yes"]], sources=[A], kind="fact"),
             Case("2", "q2", answerable=False, kind="none")]
    results = run_cases(lambda q, h: answer("no [1]"), cases)
    write_report(tmp_path, results, metrics(results), metrics_by_kind(results), "t")
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert set(first) >= {"id", "question", "answer", "abstained", "citations", "retrieved",
                          "latency_ms", "scores"}
    report = (tmp_path / "report.md").read_text()
    assert "## Failed cases (2)" in report and "accuracy_by_kind.png" in report
    assert (tmp_path / "accuracy_by_kind.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "latency.png").stat().st_size > 1000
    assert json.loads((tmp_path / "metrics.json").read_text())["overall"]["cases"] == 2


def test_dataset_becomes_a_corpus_and_cases(tmp_path):
    data = tmp_path / "set"
    data.mkdir()
    (data / "corpus.jsonl").write_text(json.dumps({"id": "d1", "title": "T: one", "text": "Body."}) + "\n")
    (data / "qa.jsonl").write_text(json.dumps({"id": "q1", "question": "Q?", "answers": ["Body"],
                                               "doc_ids": ["d1"]}) + "\n")
    (data / "qa_unanswerable.jsonl").write_text(json.dumps({"id": "q2", "question": "R?",
                                                            "answers": [], "doc_ids": []}) + "\n")
    cases = dataset_to_corpus(data, tmp_path / "corpus")
    assert [(c.id, c.answerable, c.sources) for c in cases] == [("q1", True, ["d1.txt"]),
                                                                ("q2", False, [])]
    assert (tmp_path / "corpus" / "d1.txt").read_text().endswith("Body.")


def test_the_halves_are_fixed_by_the_id_and_split_a_set_evenly():
    from qa.evaluation import half_of, select_half

    ids = [f"case-{n}" for n in range(2000)]
    halves = [half_of(i) for i in ids]
    assert halves == [half_of(i) for i in ids], "the same id always falls in the same half"
    assert 900 < halves.count("tune") < 1100
    cases = [Case(id=i, question="q") for i in ids[:50]]
    tune, check = select_half(cases, "tune"), select_half(cases, "check")
    assert {c.id for c in tune} | {c.id for c in check} == set(ids[:50])
    assert not {c.id for c in tune} & {c.id for c in check}
    assert select_half(cases, "all") == cases
    with pytest.raises(EvalSetError, match="unknown half 'both'"):
        select_half(cases, "both")
