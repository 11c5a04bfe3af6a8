"""Time to first token and tokens/s of the configured LLM (default: the packaged SmolLM2-135M
through llama-cpp-python) on questions about the seed corpus.

Run: QA_LLM=llamacpp:smollm2 .venv/bin/python benchmarks/llm.py   (the index must exist)
"""

from __future__ import annotations

import os
import statistics

from qa.config import load_settings
from qa.service import QAService

QUESTIONS = [
    "Which UK university set up a joint college with Chongqing Medical University?",
    "When was the Jiangxi Provincial Alliance for Sino-Foreign Cooperative Education inaugurated?",
    "Which institution chairs the Jiangxi alliance?",
    "Which New Zealand university runs a pharmacy program with Southwest University?",
    "How many China-foreign cooperative education institutions and programs does Chongqing have?",
    "Which Australian university signed an agreement with Jiangxi University of Finance and Economics?",
]


def main() -> None:
    settings = load_settings(llm=os.environ.get("QA_LLM", "llamacpp:smollm2"))
    service = QAService(settings)
    service.ask(QUESTIONS[0])  # load the model
    first, rates, modes = [], [], []
    for question in QUESTIONS:
        generation = service.ask(question).generation
        modes.append(generation.get("mode"))
        if generation.get("tokens"):
            first.append(generation["first_token_ms"])
            rates.append(generation["tokens"] / (generation["generate_ms"] / 1000))
    print(f"model             {settings.llm} on {os.cpu_count()} cores")
    print(f"first token       p50 {statistics.median(first):.0f} ms, max {max(first):.0f} ms")
    print(f"tokens/s          p50 {statistics.median(rates):.1f}")
    print(f"answers           {modes.count('llm')} generated and checked, "
          f"{modes.count('fallback')} fell back to extractive, of {len(QUESTIONS)}")


if __name__ == "__main__":
    main()
