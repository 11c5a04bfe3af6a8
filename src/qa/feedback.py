"""Thumbs up/down on answers, kept in a JSON Lines file that survives restarts."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from qa.errors import QAError

MAX_COMMENT_CHARS = 2000


class FeedbackStore:
    """Appends one JSON line per rating; each write is flushed and fsynced before returning."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def add(self, rating: str, question: str, answer: dict, comment: str = "") -> dict:
        if rating not in ("up", "down"):
            raise QAError(f"rating must be 'up' or 'down', not {rating!r}")
        record = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "rating": rating,
                  "comment": comment.strip()[:MAX_COMMENT_CHARS], "question": question,
                  "answer": answer.get("answer", ""), "abstained": answer.get("abstained"),
                  "citations": answer.get("citations", [])}
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        return record

    def read(self) -> list[dict]:
        """Every rating so far; a line cut short by a crash is skipped."""
        if not self.path.exists():
            return []
        records = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return records
