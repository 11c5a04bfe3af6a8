"""Our assistant against a tutorial LangChain pipeline, on the same corpus and eval sets, in one run.

The tutorial pipeline: RecursiveCharacterTextSplitter(1000, 200), the same all-MiniLM-L6-v2
embeddings, Chroma, top-4 similarity search, and the top chunk as the answer (it never abstains).
Both are scored by `qa eval`'s own code; the table shows each figure and ours / tutorial.

Both builds are timed first, side by side (ours with the settings' embedders, a full build unless
--work holds an index of the corpus already).

Run: .venv/bin/python benchmarks/baseline.py [--work DIR] [--only NAME] [--builds-only]
(adds ../shared/data sets when present)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from qa.config import load_settings
from qa.embedders import SentenceTransformerEmbedder
from qa.evaluation import dataset_to_corpus, half_of, load_cases, metrics, run_cases
from qa.ingest import list_corpus, load_document
from qa.service import QAService, run_index
from qa.store import ChromaStore, folder_client
from qa.types import Answer, Citation

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
# Answer length limits of issue 4's targets: ~120 words on the domain set, ~60 on SQuAD (CMRC
# names none). A longer answer counts as wrong, however much it contains.
MAX_WORDS = {"partnerships": 120, "squad2-dev-sample": 60}
PUBLIC = ("squad2-dev-sample", "cmrc2018-dev-sample")
FIGURES = ("answer_accuracy", "hit@1", "hit@5", "hit@k", "mrr", "citation_precision", "abstention_recall",
           "false_abstention_rate", "answer_words_mean", "latency_p50_ms")


class TutorialPipeline:
    """What a LangChain tutorial builds: fixed-size chunks, top-4 similarity, top chunk out."""

    def __init__(self, corpus_dir: Path, index_dir: Path) -> None:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        self.embedder = SentenceTransformerEmbedder()
        self.store = ChromaStore(folder_client(index_dir))
        ids, texts, metas = [], [], []
        for path in list_corpus(corpus_dir):
            doc = load_document(path, corpus_dir)
            for i, text in enumerate(splitter.split_text(doc.text)):
                ids.append(f"{doc.source}#{i}")
                texts.append(text)
                metas.append({"source": doc.source, "title": doc.title})
        for start in range(0, len(texts), 256):
            part = slice(start, start + 256)
            self.store.add("chunks", ids[part], self.embedder.embed(texts[part]), texts[part],
                           metas[part])

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        started = time.perf_counter()
        found = self.store.query("chunks", self.embedder.embed([question])[0], 4)
        top = found[0]
        citation = Citation(1, top.metadata["source"], top.metadata["title"], top.text, 0,
                            len(top.text), round(top.similarity, 4))
        retrieved = [{"source": i.metadata["source"], "title": i.metadata["title"],
                      "score": i.similarity} for i in found]
        return Answer(top.text + " [1]", False, [citation], question, retrieved,
                      {"total": (time.perf_counter() - started) * 1000})


def compare(name: str, corpus_dir: Path, cases: list, index_dir: Path, tutorial_dir: Path,
            max_words: int | None, builds_only: bool = False) -> None:
    settings = load_settings(corpus_dir=corpus_dir, index_dir=index_dir)
    started = time.perf_counter()
    report = run_index(settings)
    ours_s = time.perf_counter() - started
    shutil.rmtree(tutorial_dir, ignore_errors=True)
    started = time.perf_counter()
    tutorial = TutorialPipeline(corpus_dir, tutorial_dir)
    tutorial_s = time.perf_counter() - started
    built = len(report.added) + len(report.updated)
    how = "full build" if not report.unchanged else f"{built} of {report.documents} documents " \
        "(an index kept in --work was updated, not built)"
    print(f"\n{name}: build time ({how}): ours {ours_s:.1f} s, tutorial {tutorial_s:.1f} s, "
          f"ours/tutorial {ours_s / tutorial_s:.2f}; ours {built / ours_s:.2f} documents/s")
    if builds_only:
        sys.stdout.flush()
        return
    ours = QAService(settings)
    for warm in (ours, tutorial):
        warm.ask(cases[0].question)
    mine = run_cases(ours.ask, cases, max_words=max_words)
    theirs = run_cases(tutorial.ask, cases, max_words=max_words)
    limit = f", answers over {max_words} words count as wrong" if max_words else ""
    for half in ("check", "tune"):  # check first: the cases no rule or weight was chosen on
        a_half = metrics([r for r in mine if half_of(r["id"]) == half])
        b_half = metrics([r for r in theirs if half_of(r["id"]) == half])
        print(f"\n{name}, {half} half ({a_half['cases']} of {len(cases)} cases{limit})")
        print(f"  {'figure':24} {'ours':>9} {'tutorial':>9} {'ours/tutorial':>14}")
        for figure in FIGURES:
            a, b = a_half.get(figure), b_half.get(figure)
            ratio = f"{a / b:.2f}" if a is not None and b else "–"
            print(f"  {figure:24} {_fmt(a):>9} {_fmt(b):>9} {ratio:>14}")
    sys.stdout.flush()


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, help="keep the datasets' indexes here (updated "
                        "incrementally on the next run) instead of in a temporary folder")
    parser.add_argument("--builds-only", action="store_true",
                        help="time both builds and skip the evaluations")
    parser.add_argument("--only", choices=("partnerships", *PUBLIC),
                        help="this corpus alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        if args.only in (None, "partnerships"):
            compare("evals/partnerships.jsonl", ROOT / "corpus",
                    load_cases([ROOT / "evals" / "partnerships.jsonl"]),
                    work / "partnerships" / "index", work / "partnerships" / "tutorial",
                    MAX_WORDS["partnerships"], args.builds_only)
        for name in PUBLIC:
            if (DATA / name).is_dir() and args.only in (None, name):
                corpus = work / name / "corpus"
                cases = dataset_to_corpus(DATA / name, corpus)
                compare(name, corpus, cases, work / name / "index", work / name / "tutorial",
                        MAX_WORDS.get(name), args.builds_only)


if __name__ == "__main__":
    main()
