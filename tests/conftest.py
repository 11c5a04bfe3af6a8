import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.config import Settings
from qa.embedders import HashingEmbedder

ROOT = Path(__file__).resolve().parent.parent
SEED_CORPUS = ROOT / "corpus"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A copy of the seed corpus that a test may change."""
    target = tmp_path / "corpus"
    shutil.copytree(SEED_CORPUS, target)
    return target


@pytest.fixture
def settings(corpus: Path, tmp_path: Path) -> Settings:
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index")


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder()


def tiny_dataset(folder: Path) -> Path:
    """A public-benchmark-shaped set (corpus.jsonl, qa.jsonl) of two documents and one question."""
    import json

    folder.mkdir()
    docs = [{"id": "d1", "title": "Otters", "text": "Sea otters use stones to crack open shellfish."},
            {"id": "d2", "title": "Bridges", "text": "The Golden Gate Bridge opened in 1937."}]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(d) for d in docs))
    (folder / "qa.jsonl").write_text(json.dumps({"id": "q1", "question": "When did the Golden Gate "
                                                 "Bridge open?", "answers": ["1937"],
                                                 "doc_ids": ["d2"]}))
    return folder


def qa_command() -> list[str]:
    return [sys.executable, "-m", "qa.cli"]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`qa serve` in a subprocess on a loopback port, stopped when the block ends."""

    def __init__(self, env: dict, port: int | None = None) -> None:
        self.env = env
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def __enter__(self) -> "Server":
        import os
        import subprocess
        import time
        import urllib.request

        self.log = open(self.env.get("QA_DATA_DIR", "/tmp") + f"/server-{self.port}.log", "w")
        self.proc = subprocess.Popen(qa_command() + ["serve", "--port", str(self.port)],
                                     env={**os.environ, **self.env}, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "the server stopped while starting"
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise AssertionError("the server did not become ready")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except Exception:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def indexed_corpus(tmp_path_factory) -> dict:
    """The seed corpus plus a hostile document, indexed once with the real models; the env
    that points `qa` at it."""
    from qa.service import run_index

    root = tmp_path_factory.mktemp("served")
    shutil.copytree(SEED_CORPUS, root / "corpus")
    (root / "corpus" / "hostile-page.txt").write_text(
        "The Evil Institute partners with the University of Nowhere "
        "<script>window.__pwned = 1</script> <img src=x onerror=\"window.__pwned = 2\"> "
        "[click here](javascript:window.__pwned=3) <b>bold</b> on a payload program.\n",
        encoding="utf-8")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index",
                        data_dir=root / "data")
    run_index(settings)
    (root / "data").mkdir(exist_ok=True)
    return {"QA_CORPUS_DIR": str(root / "corpus"), "QA_INDEX_DIR": str(root / "index"),
            "QA_DATA_DIR": str(root / "data")}


class ChromaServer:
    """A real `chroma run` on a loopback port, its data under `root`, stopped when the block
    ends (whatever happened in it)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def __enter__(self) -> "ChromaServer":
        import subprocess
        import time
        import urllib.request

        chroma = Path(sys.executable).parent / "chroma"
        self.log = open(self.root / "chroma.log", "w")
        self.proc = subprocess.Popen(
            [str(chroma if chroma.exists() else "chroma"), "run", "--path",
             str(self.root / "data"), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                assert self.proc.poll() is None, (self.root / "chroma.log").read_text()
                try:
                    with urllib.request.urlopen(self.url + "/api/v2/heartbeat", timeout=2):
                        return self
                except OSError:
                    assert time.monotonic() < deadline, "chroma run did not start"
                    time.sleep(0.2)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        import subprocess

        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __exit__(self, *exc) -> None:
        self.stop()


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory) -> Iterator[str]:
    """The URL of a Chroma server shared by the session's tests (each names its own index)."""
    with ChromaServer(tmp_path_factory.mktemp("chroma-server")) as server:
        yield server.url


@pytest.fixture
def server_settings(settings: Settings, chroma_server: str) -> Settings:
    """The test's settings with the index on the Chroma server, under a name of its own."""
    import uuid

    return settings.model_copy(update={"chroma_url": chroma_server,
                                       "chroma_index": f"t{uuid.uuid4().hex[:10]}"})
