"""The index on a real Chroma server (`chroma run` on loopback, QA_CHROMA_URL): generations as
collections, a pointer record switched once a generation is whole, and every command working
as it does on a folder."""

import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import asdict

import numpy as np
import pytest

from qa.config import Settings, load_settings
from qa.errors import ConfigError, IndexBusy
from qa.generations import SAVED, ServerGenerations
from qa.index import open_index, read_lexical
from qa.service import QAService, make_generations, partnership_table, run_index
from qa.store import KINDS, server_client

from conftest import ChromaServer, Server, free_port, qa_command, tiny_dataset

pytestmark = [pytest.mark.integration, pytest.mark.slow]
QUESTION = "Which UK university did Chongqing Medical University set up a joint college with?"
CHANGED = "chongqing-creation-vocational-college-international-office.txt"
REMOVED = "china-education-opening-international-exchange-encyclopedia.txt"


def _collections(settings: Settings) -> set[str]:
    client = server_client(settings.chroma_url)
    try:
        return {c.name for c in client.list_collections()
                if c.name.startswith(settings.chroma_index + "-")}
    finally:
        client.close()


def _layers(generations: ServerGenerations, name: str) -> list[str]:
    return [layer for layer, _ in json.loads(generations._record(name)["layers"])]


def _of(settings: Settings, *names: str) -> set[str]:
    """The collections a server index with these generations holds: their layers' (each with
    its BM25 index), and the records'."""
    generations = make_generations(settings)
    layers = {layer for name in names for layer in _layers(generations, name)}
    return ({f"{settings.chroma_index}-generations"}
            | {f"{settings.chroma_index}-{layer}-{kind}" for layer in layers
               for kind in (*KINDS, *SAVED)})


def _manifest(generations) -> dict:
    store, manifest = open_index(generations)
    store.close()
    return manifest


def _env(settings: Settings) -> dict:
    return {**os.environ, "QA_CORPUS_DIR": str(settings.corpus_dir),
            "QA_INDEX_DIR": str(settings.index_dir), "QA_CHROMA_URL": settings.chroma_url,
            "QA_CHROMA_INDEX": settings.chroma_index}


# --- generations and the pointer, with the hashing embedder --------------------------------

def test_a_build_writes_a_generation_then_switches_the_pointer(server_settings, fake_embedder,
                                                              tmp_path):
    generations = make_generations(server_settings)
    assert isinstance(generations, ServerGenerations) and generations.current() is None
    report = run_index(server_settings, fake_embedder, multilingual=None)
    assert len(report.added) == 5 and report.chunks > 5
    name = generations.current()
    assert _collections(server_settings) == _of(server_settings, name)
    assert not server_settings.index_dir.exists(), "nothing is kept in the index folder"
    # the documents, read back from the server, are the ones a folder index holds
    local = server_settings.model_copy(update={"chroma_url": "", "index_dir": tmp_path / "ix"})
    run_index(local, fake_embedder, multilingual=None)
    folder = make_generations(local)
    assert _manifest(generations) == _manifest(folder)
    # and so is the BM25 index saved with it
    saved, local_saved = read_lexical(generations, name), read_lexical(folder, folder.current())
    assert saved.ids == local_saved.ids and saved.vocabulary == local_saved.vocabulary
    assert np.array_equal(saved.counts, local_saved.counts)
    store, manifest = open_index(generations)
    assert store.generation == name and len(manifest["documents"]) == 5
    assert store.count("chunks") == report.chunks
    store.close()
    again = run_index(server_settings, fake_embedder, multilingual=None)
    assert not again.changed and generations.current() == name, "nothing changed, no new one"


def test_changes_make_a_new_generation_and_the_one_before_is_kept_one_run(
        server_settings, fake_embedder, corpus):
    generations = make_generations(server_settings)
    run_index(server_settings, fake_embedder, multilingual=None)
    first = generations.current()
    reader, before = open_index(generations)  # a server answering from the first generation
    (corpus / CHANGED).write_text((corpus / CHANGED).read_text()
                                  + "\nThe office also hosts visiting scholars from Kenya.")
    (corpus / "new.md").write_text("A new note about a joint programme with the University of "
                                   "Ghana.")
    (corpus / REMOVED).unlink()
    report = run_index(server_settings, fake_embedder, multilingual=None)
    assert (report.added, report.updated, report.removed) == (["new.md"], [CHANGED], [REMOVED])
    second = generations.current()
    assert second != first
    store, after = open_index(generations)
    assert set(after["documents"]) == set(before["documents"]) - {REMOVED} | {"new.md"}
    for source in report.unchanged:  # read from the first generation's layer, not copied
        assert after["documents"][source] == before["documents"][source]
    assert _layers(generations, second)[:-1] == _layers(generations, first)
    assert store.count("chunks") == sum(len(d["chunk_ids"]) for d in after["documents"].values())
    assert store.count("sentences") == sum(len(d["sentence_ids"])
                                           for d in after["documents"].values())
    found = store.query("sentences", fake_embedder.embed(["Kenya visiting scholars"])[0], 3)
    assert any("Kenya" in item.text for item in found)
    assert not store.get("chunks", ids=before["documents"][REMOVED]["chunk_ids"])[0]
    store.close()
    # the reader of the first generation still answers from it: it is kept, one run
    assert _collections(server_settings) == _of(server_settings, first, second)
    old = reader.query("sentences", fake_embedder.embed(["Kenya visiting scholars"])[0], 3)
    assert old and not any("Kenya" in item.text for item in old)
    reader.close()
    (corpus / "new.md").unlink()
    run_index(server_settings, fake_embedder, multilingual=None)
    third = generations.current()
    assert _collections(server_settings) == _of(server_settings, second, third)


def test_an_unfinished_generation_is_never_read_and_the_next_run_removes_it(
        server_settings, fake_embedder, corpus):
    generations = make_generations(server_settings)
    run_index(server_settings, fake_embedder, multilingual=None)
    current = generations.current()
    # what a run killed before its switch leaves: a generation written in part, no pointer to it
    begun = generations.begin(current, set())
    unfinished, store = begun.name, begun.store
    vector = fake_embedder.embed(["half-written"])
    store.add("sentences", ["half"], vector, ["A half-written sentence."], [{"source": "x"}])
    store.close()
    assert generations.current() == current
    assert generations.names() == {current, unfinished}
    reader, manifest = open_index(generations)
    assert reader.generation == current and "x" not in manifest["documents"]
    reader.close()
    (corpus / "new.md").write_text("A note about a joint programme with the University of Ghana.")
    run_index(server_settings, fake_embedder, multilingual=None)
    assert unfinished not in generations.names()
    assert _collections(server_settings) == _of(server_settings, current, generations.current())


def test_one_run_at_a_time_and_a_dead_runs_lock_is_taken_over(server_settings, fake_embedder):
    generations = make_generations(server_settings)
    with generations.lock():
        with pytest.raises(IndexBusy, match="another `qa index` run"):
            run_index(server_settings, fake_embedder, multilingual=None)
    dead = subprocess.Popen(["true"])
    dead.wait()
    generations._put("lock", {"host": os.uname().nodename, "pid": dead.pid, "token": "t",
                              "beat": time.time()})  # a run killed with -9
    assert len(run_index(server_settings, fake_embedder, multilingual=None).added) == 5


def test_an_unreachable_server_is_named_with_what_to_run(settings, tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    down = settings.model_copy(update={"chroma_url": url})
    with pytest.raises(ConfigError) as raised:
        QAService(down)
    assert url in str(raised.value) and "chroma run" in str(raised.value)
    env = {**os.environ, "QA_CORPUS_DIR": str(settings.corpus_dir), "QA_CHROMA_URL": url}
    for command in (["index"], ["ask", QUESTION]):
        run = subprocess.run(qa_command() + command, env=env, capture_output=True, text=True)
        assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
        assert url in run.stderr and "chroma run --path DIR" in run.stderr
    from fastapi.testclient import TestClient

    from qa.api import create_app

    api = TestClient(create_app(down, with_ui=False))  # a server that cannot be reached: 503
    for response in (api.get("/api/health"), api.post("/api/ask", json={"question": QUESTION})):
        assert response.status_code == 503 and url in response.json()["error"]
    with pytest.raises(ConfigError, match="http://HOST:PORT"):
        make_generations(settings.model_copy(update={"chroma_url": "localhost:8000"})).current()


class _TokenProxy:
    """An auth proxy in front of the Chroma server, as a team would put one (Chroma 1.x leaves
    auth to a proxy): it forwards requests that carry the token and refuses the rest (401)."""

    def __init__(self, upstream: str, token: str) -> None:
        import http.server
        import threading

        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _forward(self) -> None:
                if self.headers.get("x-chroma-token") != token:
                    proxy.refused += 1
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                request = urllib.request.Request(upstream + self.path, data=body,
                                                 method=self.command,
                                                 headers={"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        status, data = response.status, response.read()
                except urllib.error.HTTPError as exc:
                    status, data = exc.code, exc.read()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

            def log_message(self, *args) -> None:
                pass

        self.refused = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_server_that_stops_during_a_run_is_named_and_changes_nothing(settings, fake_embedder,
                                                                       tmp_path):
    with ChromaServer(tmp_path) as server:
        settings = settings.model_copy(update={"chroma_url": server.url})
        calls = []

        class StopsTheServer:  # the hashing embedder, stopping the server at its second batch
            name = fake_embedder.name

            def embed(self, texts):
                calls.append(len(texts))
                if len(calls) == 2:
                    server.proc.kill()
                    server.proc.wait()
                return fake_embedder.embed(texts)

        with pytest.raises(ConfigError) as raised:
            run_index(settings, StopsTheServer(), multilingual=None)
        assert server.url in str(raised.value) and "chroma run" in str(raised.value)
    with ChromaServer(tmp_path) as again:  # the same data, on another port: nothing current
        settings = settings.model_copy(update={"chroma_url": again.url})
        assert make_generations(settings).current() is None
        assert len(run_index(settings, fake_embedder, multilingual=None).added) == 5


def test_headers_tenant_and_database_reach_a_server_behind_auth(server_settings, fake_embedder,
                                                               monkeypatch):
    proxy = _TokenProxy(server_settings.chroma_url, "s3cret")
    try:
        monkeypatch.setenv("QA_CHROMA_URL", proxy.url)
        monkeypatch.setenv("QA_CHROMA_INDEX", server_settings.chroma_index)
        monkeypatch.setenv("QA_CORPUS_DIR", str(server_settings.corpus_dir))
        with pytest.raises(ConfigError, match=proxy.url):  # no token: refused, and said so
            run_index(load_settings(), fake_embedder, multilingual=None)
        assert proxy.refused
        monkeypatch.setenv("QA_CHROMA_HEADERS", '{"x-chroma-token": "s3cret"}')
        monkeypatch.setenv("QA_CHROMA_TENANT", "default_tenant")
        monkeypatch.setenv("QA_CHROMA_DATABASE", "default_database")
        settings = load_settings()
        assert "s3cret" not in repr(settings)
        assert len(run_index(settings, fake_embedder, multilingual=None).added) == 5
        store, manifest = open_index(make_generations(settings))
        assert store.count("chunks") == sum(len(d["chunk_ids"])
                                            for d in manifest["documents"].values())
        store.close()
        monkeypatch.setenv("QA_CHROMA_DATABASE", "no_such_database")
        with pytest.raises(ConfigError, match=proxy.url):
            make_generations(load_settings()).current()
    finally:
        proxy.close()


# --- every command, with the real models ---------------------------------------------------

def test_answers_on_a_server_are_the_folders_and_follow_changes(server_settings, corpus):
    local = server_settings.model_copy(update={"chroma_url": ""})
    run_index(local)
    folder = QAService(local)
    expected = folder.ask(QUESTION)
    folder.close()
    env = _env(server_settings)
    indexed = subprocess.run(qa_command() + ["index"], env=env, capture_output=True, text=True)
    assert indexed.returncode == 0, indexed.stderr
    assert "5 added" in indexed.stdout and server_settings.chroma_url in indexed.stdout
    asked = subprocess.run(qa_command() + ["ask", QUESTION, "--json"], env=env,
                           capture_output=True, text=True)
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["answer"] == expected.answer
    assert answer["citations"] == [asdict(c) for c in expected.citations]
    # the partnership table lives with the generation on the server too
    table = subprocess.run(qa_command() + ["partnerships", "--country", "Russia", "--json"],
                           env=env, capture_output=True, text=True)
    assert table.returncode == 0, table.stderr
    rows = json.loads(table.stdout)
    assert rows and {r["foreign_country"] for r in rows} == {"Russian Federation"}
    assert rows == [r.to_dict() for r in partnership_table(local)[0]
                    if r.foreign_country == "Russian Federation"]

    (corpus / "quartz-institute.txt").write_text(
        "The Quartz Institute opened a joint campus with Harbour University in 2024.\n")
    (corpus / REMOVED).unlink()
    indexed = subprocess.run(qa_command() + ["index"], env=env, capture_output=True, text=True)
    assert indexed.returncode == 0, indexed.stderr
    assert "1 added, 0 updated, 1 removed, 4 unchanged" in indexed.stdout
    service = QAService(server_settings)
    assert set(service.documents) == set(folder.documents) - {REMOVED} | {"quartz-institute.txt"}
    new = service.ask("Which university did the Quartz Institute open a joint campus with?")
    assert "Harbour University" in new.answer
    assert new.citations[0].source == "quartz-institute.txt"
    gone = service.ask("What does the encyclopedia say about international exchange in "
                       "China's education opening?")
    assert all(c.source != REMOVED for c in gone.citations)
    service.close()


def test_a_running_server_follows_the_pointer(server_settings, corpus, tmp_path):
    env = _env(server_settings)
    run_index(server_settings)
    generations = make_generations(server_settings)
    old = generations.current()
    (tmp_path / "data").mkdir()
    served = {k: env[k] for k in ("QA_CORPUS_DIR", "QA_INDEX_DIR", "QA_CHROMA_URL",
                                  "QA_CHROMA_INDEX")}
    served.update(QA_DATA_DIR=str(tmp_path / "data"), QA_RATE_LIMIT_PER_MINUTE="0")
    with Server(served) as server:
        assert _health(server.url)["generation"] == old
        (corpus / "quartz-institute.txt").write_text(
            "The Quartz Institute opened a joint campus with Harbour University in 2024.\n")
        indexed = subprocess.run(qa_command() + ["index"], env=env, capture_output=True,
                                 text=True)
        assert indexed.returncode == 0, indexed.stderr
        new = generations.current()
        assert new != old
        answer = _ask(server.url, "Which university did the Quartz Institute open a joint "
                                  "campus with?")
        assert "Harbour University" in answer["answer"], answer
        assert answer["citations"][0]["source"] == "quartz-institute.txt"
        health = _health(server.url)
        assert (health["generation"], health["documents"]) == (new, 6)
        log = (tmp_path / "data" / f"server-{server.port}.log").read_text()
    assert "Traceback" not in log, log


def test_eval_on_a_dataset_uses_a_temporary_index_on_the_server(server_settings, tmp_path):
    data = tiny_dataset(tmp_path / "set")
    before = _collections(server_settings.model_copy(update={"chroma_index": "eval"}))
    run = subprocess.run(qa_command() + ["eval", "--dataset", str(data), "--out",
                                         str(tmp_path / "out")], env=_env(server_settings),
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    [result] = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").open()]
    assert result["scores"]["correct"] is True and result["scores"]["hit@1"] is True
    assert _collections(server_settings) == set(), "the main index is left alone"
    assert _collections(server_settings.model_copy(update={"chroma_index": "eval"})) == before, \
        "the temporary index is removed"


def _health(url: str) -> dict:
    with urllib.request.urlopen(url + "/api/health", timeout=60) as response:
        return json.loads(response.read())


def _ask(url: str, question: str) -> dict:
    request = urllib.request.Request(url + "/api/ask", method="POST",
                                     data=json.dumps({"question": question}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())
