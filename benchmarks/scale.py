"""Indexing and serving at 1,000 and 10,000 documents, in a folder and on a Chroma server (not a
test).

The corpus of a size: the SQuAD sample's 411 documents (as `qa eval --dataset` writes them),
then distractor pages up to the size, assembled as benchmarks/start.py assembles them (3-6
paragraphs a page, drawn at random, seeded) from the sample's paragraphs that no question
names, so that no distractor holds an answer (they do repeat those paragraphs: 183 of them
make every page).

Vectors: the hashing embedder (default), so that the figures are the index's, the store's and
BM25's, not the models'; or, with --models, MiniLM and USE as `qa index` loads them (the build
then takes hours at 10,000 documents on 2 cores).

For each size and mode it prints: the full build (s, documents/s); one document added, then
changed (s); service start in a fresh process (start.py's child: ready, first answer, peak
resident memory); query latency p50/p95 and the answer accuracy over the SQuAD sample's check
half (`qa eval`'s scoring, answers over 60 words wrong, as benchmarks/baseline.py).

Run: .venv/bin/python benchmarks/scale.py [--sizes 1000 10000] [--modes folder server]
     [--models] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from baseline import DATA, MAX_WORDS  # noqa: E402
from server_mode import chroma_server  # noqa: E402
from start import assemble, child  # noqa: E402

SET = "squad2-dev-sample"
ADDED = "A note on the Quartz Institute: it opened a joint campus with Harbour University."


def corpus_of(folder: Path, size: int) -> list:
    """Write the corpus of `size` documents into `folder` (once); the SQuAD sample's cases."""
    from qa.evaluation import dataset_to_corpus

    cases = dataset_to_corpus(DATA / SET, folder)
    named = {s.removesuffix(".txt") for case in cases for s in case.sources}
    free = [doc["text"] for doc in map(json.loads, (DATA / SET / "corpus.jsonl").read_text(
        encoding="utf-8").splitlines()) if doc["id"] not in named]
    own = len(list(folder.glob("squad2-*.txt")))
    if size > own and not (folder / "distractors").is_dir():
        assemble(folder / "distractors", size - own, paragraphs=free)
    return cases


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def measure(settings, models: bool, cases: list) -> dict:
    from qa.embedders import HashingEmbedder, make_multilingual
    from qa.evaluation import metrics, run_cases, select_half
    from qa.service import QAService, make_embedder, run_index

    if models:  # loaded once, so that no figure but the start's holds their loading
        vectors = {"embedder": make_embedder(settings),
                   "multilingual": make_multilingual(settings.multilingual_model)}
    else:
        vectors = {"embedder": HashingEmbedder(), "multilingual": HashingEmbedder()}
    figures: dict = {}
    started = time.perf_counter()
    report = run_index(settings, **vectors)
    figures["build_s"] = time.perf_counter() - started
    figures["built"] = len(report.added)
    figures["chunks"] = report.chunks
    added = settings.corpus_dir / "one-more.txt"
    added.write_text(ADDED)
    figures["add_one_s"] = _timed(lambda: run_index(settings, **vectors))
    added.write_text(ADDED.replace("Harbour", "Cove"))
    figures["change_one_s"] = _timed(lambda: run_index(settings, **vectors))
    added.unlink()
    run_index(settings, **vectors)  # as it was, for the next run with --work

    env = {**os.environ, "QA_CHROMA_URL": settings.chroma_url,
           "QA_CHROMA_INDEX": settings.chroma_index}
    out = subprocess.run([sys.executable, __file__, "--child", str(settings.index_dir),
                          "models" if models else "hashing"], env=env, capture_output=True,
                         text=True, check=True).stdout
    figures.update(json.loads(out.strip().splitlines()[-1]))

    service = QAService(settings, llm=None, **vectors)
    service.ask(cases[0].question)  # warm
    results = run_cases(service.ask, select_half(cases, "check"), max_words=MAX_WORDS[SET])
    service.close()
    scores = metrics(results)
    figures.update({k: scores[k] for k in ("cases", "answer_accuracy", "hit@5",
                                           "latency_p50_ms", "latency_p95_ms")})
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--modes", nargs="+", choices=("folder", "server"),
                        default=["folder", "server"])
    parser.add_argument("--models", action="store_true",
                        help="MiniLM and USE vectors, not the hashing embedder's")
    parser.add_argument("--work", type=Path, help="keep corpora, indexes and the server's data "
                        "here (a later run updates them instead of building)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], False, args.child[1] == "models")
        return
    from qa.config import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        (work / "chroma").mkdir(parents=True, exist_ok=True)
        with chroma_server(work / "chroma") as url:
            for size in args.sizes:
                corpus = work / f"corpus-{size}"
                cases = corpus_of(corpus, size)
                for mode in args.modes:
                    settings = load_settings(
                        corpus_dir=corpus, index_dir=work / f"index-{size}",
                        chroma_url=url if mode == "server" else "",
                        chroma_index=f"scale{size}")
                    f = measure(settings, args.models, cases)
                    print(f"\n{size} documents ({f['chunks']} chunks), {mode}, "
                          f"{'MiniLM and USE' if args.models else 'hashing'} vectors")
                    print(f"  full build         {f['build_s']:8.1f} s  "
                          f"({f['built'] / f['build_s']:.2f} documents/s; {f['built']} built)")
                    print(f"  one document added {f['add_one_s']:8.2f} s")
                    print(f"  one changed        {f['change_one_s']:8.2f} s")
                    print(f"  service start      {f['start_s']:8.2f} s  (first answer "
                          f"{f['first_answer_s']:.2f} s, peak resident {f['peak_rss_mb']:.0f} MB)")
                    print(f"  query              p50 {f['latency_p50_ms']:.0f} ms, "
                          f"p95 {f['latency_p95_ms']:.0f} ms")
                    print(f"  SQuAD check half   accuracy {f['answer_accuracy']:.3f}, hit@5 "
                          f"{f['hit@5']:.3f} ({f['cases']} cases)")
                    sys.stdout.flush()


if __name__ == "__main__":
    main()
