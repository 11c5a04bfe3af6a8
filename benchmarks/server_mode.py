"""What the index costs on a Chroma server against a folder: full build, unchanged re-run,
one document added, and opening the index, on the seed corpus plus 60 generated notes.

Vectors come from the hashing embedder at MiniLM's 384 dimensions, so that the figures are the
store's (the copy, the HTTP round trips), not the model's, which is the same in both modes.

Run: .venv/bin/python benchmarks/server_mode.py
"""

from __future__ import annotations

import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from qa.config import Settings  # noqa: E402
from qa.embedders import HashingEmbedder  # noqa: E402
from qa.index import open_index  # noqa: E402
from qa.service import make_generations, run_index  # noqa: E402

RUNS = 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def chroma_server(root: Path) -> Iterator[str]:
    """A `chroma run` on a loopback port keeping its data under `root`, until the block ends;
    its URL."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    chroma = Path(sys.executable).parent / "chroma"
    with open(root / "chroma.log", "w") as log:
        server = subprocess.Popen([str(chroma), "run", "--path", str(root / "data"),
                                   "--host", "127.0.0.1", "--port", str(port)],
                                  stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/api/v2/heartbeat", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def _corpus(target: Path) -> None:
    shutil.copytree(ROOT / "corpus", target)
    for i in range(60):
        (target / f"extra-{i:02d}.txt").write_text(" ".join(
            f"Extra note {i}.{j} describes exchange visit number {j} of college {i}."
            for j in range(20)))


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def measure(settings: Settings, embedder: HashingEmbedder) -> dict[str, float]:
    figures = {"build": _timed(lambda: run_index(settings, embedder, multilingual=None)),
               "unchanged": _timed(lambda: run_index(settings, embedder, multilingual=None))}
    (settings.corpus_dir / "one-more.txt").write_text(
        "The Quartz Institute opened a joint campus with Harbour University in 2024.")
    figures["one added"] = _timed(lambda: run_index(settings, embedder, multilingual=None))

    def open_and_close() -> None:
        store, _ = open_index(make_generations(settings))
        store.close()

    figures["open"] = _timed(open_and_close)
    return figures


def main() -> None:
    embedder = HashingEmbedder(384)
    results: dict[str, list[dict[str, float]]] = {"folder": [], "server": []}
    with tempfile.TemporaryDirectory(prefix="qa-server-bench-") as tmp:
        root = Path(tmp)
        with chroma_server(root) as url:
            for run in range(RUNS):
                for mode in results:
                    corpus = root / f"corpus-{mode}-{run}"
                    _corpus(corpus)
                    settings = Settings(corpus_dir=corpus, index_dir=root / f"index-{run}",
                                        chroma_url=url if mode == "server" else "",
                                        chroma_index=f"bench{run}")
                    results[mode].append(measure(settings, embedder))
    print(f"seed corpus + 60 notes, hashing vectors (384), {RUNS} runs, median (min–max) in s")
    print(f"{'':12}" + "".join(f"{mode:>24}" for mode in results))
    for figure in results["folder"][0]:
        cells = []
        for mode in results:
            values = [r[figure] for r in results[mode]]
            cells.append(f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})")
        print(f"{figure:12}" + "".join(f"{c:>24}" for c in cells))


if __name__ == "__main__":
    main()
