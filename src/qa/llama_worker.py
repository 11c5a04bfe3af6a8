"""The child process that runs a GGUF model with llama-cpp-python for `qa.llms.LlamaWorker`.

Run as `python -m qa.llama_worker MODEL N_CTX THREADS`. It reads one JSON request a line on
stdin ({"messages", "max_tokens", "temperature", "stop"}) and answers each with JSON lines on
stdout: {"t": token}… then {"end": true}, or {"error": message}. Native code that crashes or
hangs here ends this process only; the service sees it and answers without the model.
"""

from __future__ import annotations

import faulthandler
import json
import os
import sys


def main(argv: list[str]) -> int:
    model_path, n_ctx, threads = argv[0], int(argv[1]), int(argv[2])
    # The protocol owns the real stdout; anything native code prints goes to stderr instead.
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    faulthandler.enable()

    def send(message: dict) -> None:
        out.write(json.dumps(message, ensure_ascii=False) + "\n")

    try:
        from llama_cpp import Llama

        llama = Llama(model_path=model_path, n_ctx=n_ctx, n_threads=threads, verbose=False)
    except Exception as exc:  # reported on the first request, which then fails cleanly
        send({"error": f"the model could not be loaded ({type(exc).__name__}: {exc})"})
        return 1
    for line in sys.stdin:
        try:
            request = json.loads(line)
            for part in llama.create_chat_completion(
                    messages=request["messages"], max_tokens=request["max_tokens"],
                    temperature=request.get("temperature", 0.0), stop=request.get("stop"),
                    stream=True):
                token = part["choices"][0]["delta"].get("content")
                if token:
                    send({"t": token})
            send({"end": True})
        except Exception as exc:
            send({"error": f"{type(exc).__name__}: {exc}"})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
