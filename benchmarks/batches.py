"""MiniLM's indexing speed by batch size (not a test): sentence-transformers' batch_size, and how
many texts reach it at once (index.EMBED_BATCH rows are embedded between progress updates, and
sentence-transformers sorts by length only within one call).

Texts: the sentences of the first documents of a public set (../shared/data), as `qa index`
splits them. Prints texts/s for each pair.

Run: .venv/bin/python benchmarks/batches.py [--set cmrc2018-dev-sample] [--texts 768]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from qa.embedders import SentenceTransformerEmbedder
from qa.ingest import guess_language, sentences_of
from qa.types import SourceDoc

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", default="cmrc2018-dev-sample")
    parser.add_argument("--texts", type=int, default=768)
    args = parser.parse_args()
    texts: list[str] = []
    for line in (DATA / args.set / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        if len(texts) >= args.texts:
            break
        item = json.loads(line)
        doc = SourceDoc(source=item["id"], title=item.get("title") or item["id"], text=item["text"],
                        language=guess_language(item["text"]))
        texts += [s.text for s in sentences_of(doc)]
    texts = texts[: args.texts]
    embedder = SentenceTransformerEmbedder()
    embedder.embed(texts[:16])  # loads the model
    print(f"{len(texts)} sentences of {args.set}, MiniLM, texts/s")
    print(f"  {'batch_size':>10} {'texts a call':>13} {'texts/s':>8}")
    for batch_size in (16, 32, 64):
        for per_call in (128, len(texts)):
            embedder.batch_size = batch_size
            started = time.perf_counter()
            for i in range(0, len(texts), per_call):
                embedder.embed(texts[i : i + per_call])
            rate = len(texts) / (time.perf_counter() - started)
            print(f"  {batch_size:>10} {per_call:>13} {rate:8.1f}", flush=True)


if __name__ == "__main__":
    main()
