"""Choose the sentence-score weights and the abstention threshold by measurement.

Choices are made on the tune half of each set only (`qa eval --half tune`); the figures of the
best settings are then printed for both halves, the check half being what to report.
Retrieves every case once, then re-scores the candidates under each weight setting of a grid,
composes the answers and scores them as `qa eval` does. For each setting the abstention
threshold is swept; the objective is overall accuracy (answerable cases answered correctly,
unanswerable ones abstained on), optionally among the settings that keep false abstention under
a bound.

Run: .venv/bin/python benchmarks/tune.py --sets evals/partnerships.jsonl ../shared/data/squad2-dev-sample \
         ../shared/data/cmrc2018-dev-sample [--max-false-abstention 0.1] [--work DIR]
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from dataclasses import replace
from pathlib import Path

from qa.answer import compose_parts
from qa.config import load_settings
from qa.evaluation import Case, dataset_to_corpus, load_cases, score_case, select_half
from qa.ranking import Ranking
from qa.service import QAService, run_index

GRID = {
    "dense": (0.25, 0.35, 0.45),
    "multilingual": (0.05, 0.1, 0.2),
    "lexical": (0.15, 0.25, 0.35, 0.45),
    "wrong_type": (0.15, 0.3),
    "cross_offset": (0.0, 0.1, 0.2),
}
THRESHOLDS = [round(0.20 + 0.01 * i, 2) for i in range(50)]


def retrieve_all(service: QAService, cases: list[Case]) -> list:
    return [service.retrieve_parts(service.analyse(c.question, c.history), c.history) for c in cases]


def evaluate(service, cases, retrievals, weights: Ranking) -> list[tuple[float, bool, bool]]:
    """Per case: best score (-1 when the answer abstains whatever the threshold: a name no
    document has, "when" without a date), answerable, and correctness if answered (threshold
    applied later). A question in parts counts as answered by its best part."""
    rows = []
    for case, parts in zip(cases, retrievals):
        rescored = [(q, service.retriever.rescore(r, weights)) for q, r in parts]
        best = max((r.hits[0].score for _, r in rescored if r.hits and not r.unknown),
                   default=-1.0)
        answer = compose_parts(rescored, service.documents, min_score=-1.0, ranking=weights)
        correct = bool(score_case(case, answer)["correct"]) if case.answerable else False
        rows.append((-1.0 if answer.abstained else best, case.answerable, correct))
    return rows


def accuracy(rows, threshold: float) -> dict:
    answerable = [r for r in rows if r[1]]
    unanswerable = [r for r in rows if not r[1]]
    right = sum(1 for best, ok, correct in rows if (best >= threshold and correct)
                or (not ok and best < threshold))
    return {
        "overall": right / len(rows),
        "answer_accuracy": sum(1 for b, _, c in answerable if b >= threshold and c)
        / max(len(answerable), 1),
        "abstention_recall": sum(1 for b, _, _ in unanswerable if b < threshold)
        / max(len(unanswerable), 1),
        "false_abstention": sum(1 for b, _, _ in answerable if b < threshold)
        / max(len(answerable), 1),
    }


def load_set(spec: str, tmp: Path) -> tuple[QAService, list[Case]]:
    path = Path(spec)
    if path.is_dir():
        settings = load_settings(corpus_dir=tmp / path.name / "corpus",
                                 index_dir=tmp / path.name / "index")
        cases = dataset_to_corpus(path, settings.corpus_dir)
        run_index(settings)
    else:
        settings = load_settings()
        cases = load_cases([path])
    return QAService(settings), cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="+", required=True, help="eval files or dataset folders")
    parser.add_argument("--max-false-abstention", type=float, default=1.0,
                        help="only settings that refuse at most this share of answerable cases, "
                        "on every tuning set")
    parser.add_argument("--work", type=Path, help="keep the datasets' indexes here (updated "
                        "incrementally on the next run) instead of in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        loaded = [load_set(s, work) for s in args.sets]
        tune = [(svc, select_half(cases, "tune")) for svc, cases in loaded]
        check = [(svc, select_half(cases, "check")) for svc, cases in loaded]
        tune_retrievals = [retrieve_all(svc, cases) for svc, cases in tune]
        results = []
        for values in itertools.product(*GRID.values()):
            weights = replace(Ranking(), **dict(zip(GRID, values)))
            rows = [evaluate(svc, cases, r, weights)
                    for (svc, cases), r in zip(tune, tune_retrievals)]
            for threshold in THRESHOLDS:
                per_set = [accuracy(r, threshold) for r in rows]
                if any(a["false_abstention"] > args.max_false_abstention for a in per_set):
                    continue
                objective = sum(a["overall"] for a in per_set) / len(per_set)
                results.append((objective, weights, threshold, per_set))
        results.sort(key=lambda r: r[0], reverse=True)
        print("best settings on the tune halves:")
        for objective, weights, threshold, per_set in results[:5]:
            shown = {k: getattr(weights, k) for k in GRID}
            print(f"  objective {objective:.3f}  min_score {threshold}  {shown}")
            for spec, a in zip(args.sets, per_set):
                print(f"      {spec} (tune): " + ", ".join(f"{k} {v:.3f}" for k, v in a.items()))
        objective, weights, threshold, _ = results[0]
        print("the best on the check halves, which chose nothing:")
        for spec, (svc, cases) in zip(args.sets, check):
            rows = evaluate(svc, cases, retrieve_all(svc, cases), weights)
            a = accuracy(rows, threshold)
            print(f"  {spec} (check): " + ", ".join(f"{k} {v:.3f}" for k, v in a.items()))


if __name__ == "__main__":
    main()
