"""Turn each rule, and each kind of answer, off in turn and print what it does on both halves
of the three eval sets.

A rule pays its way when switching it off costs the check half (the cases no rule was chosen
on); one that gains only on the tune half is fitted to those cases.

Run: .venv/bin/python benchmarks/ablate.py --work DIR [--off SWITCH…] [--only SWITCH…]
A switch is a rule (qa.ranking.RULES) or a kind of answer, "kind:date" (a row of qa.kinds.KINDS;
without it, a question that asks for a date is read as the next row it matches, or as none).
DIR holds the eval sets' indexes as `benchmarks/baseline.py --work DIR` leaves them (built here
when missing). --off: switches off in the reference too; --only: ablate just these.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qa.config import load_settings
from qa.evaluation import dataset_to_corpus, half_of, load_cases, metrics, run_cases
from qa.ranking import SWITCHES, Ranking
from qa.service import QAService, run_index

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
SETS = {"partnerships": 120, "squad2-dev-sample": 60, "cmrc2018-dev-sample": None}
FIGURES = ("answer_accuracy", "abstention_recall", "false_abstention_rate")


def open_sets(work: Path, names: list[str]) -> dict[str, tuple[QAService, list, int | None]]:
    out = {}
    for name in names:
        max_words = SETS[name]
        if name == "partnerships":
            corpus, cases = ROOT / "corpus", load_cases([ROOT / "evals" / "partnerships.jsonl"])
        elif (DATA / name).is_dir():
            corpus = work / name / "corpus"
            cases = dataset_to_corpus(DATA / name, corpus)
        else:
            continue
        settings = load_settings(corpus_dir=corpus, index_dir=work / name / "index")
        if not (settings.index_dir / "CURRENT").exists():  # else as baseline.py left it
            run_index(settings)
        out[name] = (QAService(settings), cases, max_words)
    return out


def measure(sets: dict, ranking: Ranking) -> dict[tuple[str, str], dict]:
    figures = {}
    for name, (service, cases, max_words) in sets.items():
        service.ranking = service.retriever.ranking = ranking
        results = run_cases(service.ask, cases, max_words=max_words)
        for half in ("tune", "check"):
            figures[(name, half)] = metrics([r for r in results if half_of(r["id"]) == half])
    return figures


def _row(label: str, figures: dict, reference: dict | None) -> str:
    cells = []
    for key in sorted(figures):
        for figure in FIGURES:
            value = figures[key].get(figure)
            if value is None:
                cells.append(f"{'–':>7}")
            elif reference is None:
                cells.append(f"{value:7.3f}")
            else:
                cells.append(f"{value - reference[key][figure]:+7.3f}")
    return f"{label:22} " + " ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--off", nargs="*", default=[], choices=sorted(SWITCHES))
    parser.add_argument("--only", nargs="*", default=None, choices=sorted(SWITCHES))
    parser.add_argument("--sets", nargs="*", default=list(SETS), choices=list(SETS))
    args = parser.parse_args()
    sets = open_sets(args.work, args.sets)
    reference_ranking = Ranking()
    for switch in args.off:
        reference_ranking = reference_ranking.without(switch)
    keys = sorted((name, half) for name in sets for half in ("tune", "check"))
    print("columns: " + " | ".join(f"{n} {h}: acc abst-recall false-abst" for n, h in keys))
    reference = measure(sets, reference_ranking)
    print(_row("reference", reference, None))
    sys.stdout.flush()
    switched_on = reference_ranking.rules | {f"kind:{k}" for k in reference_ranking.kinds}
    for rule in sorted(args.only or switched_on):
        if rule not in switched_on:
            continue
        print(_row(f"without {rule}", measure(sets, reference_ranking.without(rule)), reference))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
