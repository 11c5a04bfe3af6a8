"""Load: 20 concurrent clients asking for 60 s against POST /api/ask of a real `qa serve`.

Prints requests/s, p50/p95 latency and errors. Targets on 2 cores for the seed corpus: zero
errors, p95 <= 1 s. Run: .venv/bin/python benchmarks/load.py [--clients 20] [--seconds 60]
(the index must exist: `make index`).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [line for line in (ROOT / "corpus" / ".examples.txt").read_text().splitlines() if line]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "QA_RATE_LIMIT_PER_MINUTE": "0"}  # one machine plays every client
    server = subprocess.Popen([sys.executable, "-m", "qa.cli", "serve", "--port", str(port)],
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(url + "/api/health", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds

        def client(number: int) -> None:
            i = number
            while time.monotonic() < stop:
                body = json.dumps({"question": QUESTIONS[i % len(QUESTIONS)]}).encode()
                request = urllib.request.Request(url + "/api/ask", data=body, method="POST",
                                                 headers={"Content-Type": "application/json"})
                started = time.perf_counter()
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        response.read()
                    with lock:
                        latencies.append(time.perf_counter() - started)
                except Exception as exc:  # every failure counts as an error
                    with lock:
                        errors.append(type(exc).__name__)
                i += 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
        began = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - began
    finally:
        server.terminate()
        server.wait(timeout=20)
    ordered = sorted(latencies)
    print(f"clients {args.clients}, {elapsed:.0f} s, cpu cores {os.cpu_count()}")
    print(f"requests   {len(latencies)} ok, {len(errors)} errors {sorted(set(errors))}")
    print(f"throughput {len(latencies) / elapsed:.1f} requests/s")
    if ordered:
        print(f"latency    p50 {statistics.median(ordered) * 1000:.0f} ms, "
              f"p95 {ordered[int(0.95 * (len(ordered) - 1))] * 1000:.0f} ms (target p95 <= 1000 ms)")


if __name__ == "__main__":
    main()
