"""Chunk size and overlap, chosen by measurement: each setting indexes the corpus afresh and runs
the domain eval set; prints retrieval and answer figures per setting.

Run: .venv/bin/python benchmarks/chunking.py [EVAL_FILE]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from qa.config import load_settings
from qa.evaluation import load_cases, metrics, run_cases
from qa.service import QAService, run_index

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = [(400, 0), (400, 100), (800, 0), (800, 150), (1200, 200), (2000, 300)]


def main() -> None:
    eval_file = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "evals" / "partnerships.jsonl"
    cases = load_cases([eval_file])
    print(f"{'chars':>6} {'overlap':>8} {'chunks':>7} {'hit@1':>6} {'mrr':>6} {'accuracy':>9} "
          f"{'overall':>8}")
    for size, overlap in SETTINGS:
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(index_dir=Path(tmp), chunk_chars=size,
                                     chunk_overlap_chars=overlap)
            report = run_index(settings)
            m = metrics(run_cases(QAService(settings).ask, cases))
        print(f"{size:>6} {overlap:>8} {report.chunks:>7} {m['hit@1']:>6.3f} {m['mrr']:>6.3f} "
              f"{m['answer_accuracy']:>9.3f} {m['overall_accuracy']:>8.3f}")


if __name__ == "__main__":
    main()
