"""Service start time and resident memory at 1,000 and 10,000 documents (not a test).

The corpus is assembled: each page joins 3-6 paragraphs of SQuAD's sample (../shared/data),
drawn at random (seeded), about 2-4 KB of English. Vectors are the hashing embedder's (the
index's content and size are real; the models are not loaded, so the figures leave out
MiniLM's and USE's own start, which each service pays once). Each start runs in a fresh
process: `QAService(...)` until it answers, then one question; memory is that process's peak
resident set. "rebuilt BM25" starts as before index format 9, tokenising every chunk.

Run: .venv/bin/python benchmarks/start.py [--sizes 1000 10000] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "squad2-dev-sample" / "corpus.jsonl"
QUESTION = "Which university works with Chongqing on physics?"


def assemble(folder: Path, count: int, seed: int = 23,
             paragraphs: list[str] | None = None) -> None:
    """`count` pages, each 3-6 paragraphs (of SQuAD's sample, unless given) drawn at random."""
    if paragraphs is None:
        paragraphs = [json.loads(line)["text"]
                      for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    pick = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(count):
        text = "\n\n".join(pick.sample(paragraphs, pick.randint(3, 6)))
        (folder / f"page-{k:05d}.txt").write_text(f"---\ntitle: Page {k}\n---\n{text}",
                                                  encoding="utf-8")


def child(index_dir: str, rebuild: bool, models: bool = False) -> None:
    """Start a service on the index (of QA_CHROMA_URL where set), ask one question, and print
    the figures as JSON; `models`: MiniLM and USE as the settings name them, not hashing."""
    import resource

    from qa import service as service_module
    from qa.config import load_settings
    from qa.embedders import HashingEmbedder

    if rebuild:  # as before format 9: no saved BM25, so it is built from every chunk
        service_module.read_lexical = lambda generations, name: None
    started = time.perf_counter()
    vectors = {} if models else {"embedder": HashingEmbedder(), "multilingual": HashingEmbedder()}
    service = service_module.QAService(load_settings(index_dir=Path(index_dir)), llm=None,
                                       **vectors)
    ready = time.perf_counter() - started
    service.ask(QUESTION)
    answered = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"start_s": ready, "first_answer_s": answered, "peak_rss_mb": peak,
                      "documents": len(service.documents)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--work", type=Path, help="keep corpora and indexes here")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1] == "rebuild")
        return
    from qa.config import load_settings
    from qa.embedders import HashingEmbedder
    from qa.service import run_index

    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        for size in args.sizes:
            corpus, index = work / f"corpus-{size}", work / f"index-{size}"
            if not corpus.is_dir():
                assemble(corpus, size)
            started = time.perf_counter()
            report = run_index(load_settings(corpus_dir=corpus, index_dir=index),
                               HashingEmbedder(), multilingual=HashingEmbedder())
            print(f"\n{size} documents, {report.chunks} chunks: indexed in "
                  f"{time.perf_counter() - started:.1f} s (hashing vectors)")
            print(f"  {'start':16} {'ready s':>8} {'1st answer s':>13} {'peak RSS MB':>12}")
            for how in ("saved", "rebuild"):
                out = subprocess.run([sys.executable, __file__, "--child", str(index), how],
                                     capture_output=True, text=True, check=True).stdout
                figures = json.loads(out.strip().splitlines()[-1])
                label = "saved BM25" if how == "saved" else "rebuilt BM25"
                print(f"  {label:16} {figures['start_s']:8.2f} {figures['first_answer_s']:13.2f} "
                      f"{figures['peak_rss_mb']:12.0f}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
