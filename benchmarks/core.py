"""Core figures on the seed corpus: index build, unchanged re-index, warm and cold asks, memory.

Run: .venv/bin/python benchmarks/core.py   (or `make bench`)
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QA = [sys.executable, "-m", "qa.cli"]
QUESTIONS = [
    "Which UK university did Chongqing Medical University set up a joint college with?",
    "When was the Jiangxi Provincial Alliance for Sino-Foreign Cooperative Education inaugurated?",
    "Which institution chairs the Jiangxi alliance?",
    "How many China-foreign cooperative institutions and programs does Chongqing have in total?",
    "Which Russian universities work with Chongqing institutions?",
    "What does the Office of International Cooperation and Exchange do?",
    "What measures has China taken in international exchanges and cooperation?",
    "Which university signed with Belarusian State University?",
    "What is the tuition fee for the Leicester joint college?",
    "Who founded the Luban Workshop?",
]


def timed(cmd: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        env = {**os.environ, "QA_CORPUS_DIR": str(ROOT / "corpus"), "QA_INDEX_DIR": str(index_dir)}
        help_s = min(timed(QA + ["--help"], env)[0] for _ in range(5))
        cold_s, built = timed(QA + ["index"], env)
        chunks = int(built.stdout.split(" chunks embedded")[0].rsplit("(", 1)[1])
        rerun_s = min(timed(QA + ["index"], env)[0] for _ in range(3))
        ask_s = min(timed(QA + ["ask", QUESTIONS[0]], env)[0] for _ in range(3))
        child_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        sys.path.insert(0, str(ROOT / "src"))
        from qa.config import Settings
        from qa.service import QAService

        service = QAService(Settings(corpus_dir=ROOT / "corpus", index_dir=index_dir))
        for question in QUESTIONS:  # warm-up: model load, caches
            service.ask(question)
        latencies = []
        for _ in range(20):
            for question in QUESTIONS:
                started = time.perf_counter()
                service.ask(question)
                latencies.append((time.perf_counter() - started) * 1000)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        shutil.rmtree(index_dir, ignore_errors=True)

    print(f"cpu cores                      {os.cpu_count()}")
    print(f"qa --help                      {help_s:.2f} s   (target <= 0.5 s)")
    print(f"index build, cold (process)    {cold_s:.2f} s   {chunks} chunks, {chunks / cold_s:.1f} chunks/s")
    print(f"re-index, unchanged (process)  {rerun_s:.2f} s   (target <= 2 s)")
    print(f"qa ask, cold (process)         {ask_s:.2f} s   (target <= 5 s)")
    print(f"ask, warm, p50                 {statistics.median(latencies):.1f} ms (target <= 50 ms)")
    print(f"ask, warm, p95                 {percentile(latencies, 0.95):.1f} ms over {len(latencies)} asks")
    print(f"peak memory, warm service      {peak_mb:.0f} MB")
    print(f"peak memory, CLI processes     {child_peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
