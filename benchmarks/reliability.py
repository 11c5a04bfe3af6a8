"""Reliability under hostile use: five parts against the real `qa index` and `qa serve`, each
printed as tried / failed / lost / leaked.

    bad files  a corpus with links out of it (to a file, to a folder), link loops, a dangling
               link, a file over QA_MAX_FILE_MB, invalid UTF-8 and NUL bytes, indexed by `qa index`
    kill -9    `qa index` of a 200-document change killed at several points; the old index must
               answer as before, and the next run must complete and tidy up
    swap       a running `qa serve` polled (/api/ask, /api/health) while `qa index` adds a document
    fuzz       schemathesis against /api/openapi.json where it is installed, generated requests to
               the API and to Gradio's routes, and hand-made hostile cases (lone surrogates, NaN,
               control characters, huge and chunked bodies, a body sent a byte at a time, wrong
               Gradio fn_index and input counts)
    load       20 clients for 30 s: questions through /api/ask and Gradio, chat turns rated with
               a thumbs up (feedback lines written)

What each column counts, per part, is printed under the table. Every figure should be 0 but
`tried`.

Vectors come from the hashing embedder (384 dimensions, no cross-lingual channel), so that the
suite takes a few minutes on 2 cores and measures the index and the server, not the model; the
commands are the real CLI with only the embedder swapped. --real-models uses the configured models
(much slower: about 5 passages a second to index on 2 cores).

Run: PYTHONPATH=src .venv/bin/python benchmarks/reliability.py [--seconds 30] [--clients 20]
     [--fuzz 300] [--real-models] [--work DIR]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from qa.generations import GENERATION  # noqa: E402  (after the path to src)

SEED = ROOT / "corpus"
QUESTIONS = [q for q in (SEED / ".examples.txt").read_text(encoding="utf-8").splitlines() if q]
NEW_QUESTION = "Which university did the Quartz Institute open a joint campus with?"
NEW_DOCUMENT = ("The Quartz Institute opened a joint campus with Harbour University in 2024. "
                "The campus teaches marine engineering.\n")
# what no response may hold: a traceback, a path of this machine, a line of /etc/passwd
LEAK = re.compile(r"Traceback|File \"/|site-packages|/src/qa/|root:x:0:0")


@dataclass
class Figures:
    tried: int = 0
    failed: int = 0
    lost: int = 0
    leaked: int = 0
    notes: list[str] = field(default_factory=list)

    def fail(self, note: str) -> None:
        self.failed += 1
        self.notes.append(note)


# --- processes ------------------------------------------------------------------------------


class Runner:
    """How `qa` is started: the real CLI, with the hashing embedder unless --real-models."""

    def __init__(self, real_models: bool, work: Path) -> None:
        self.real = real_models
        self.work = work

    def command(self, *args: str) -> list[str]:
        if self.real:
            return [sys.executable, "-m", "qa.cli", *args]
        return [sys.executable, str(Path(__file__).resolve()), "--qa", *args]

    def env(self, corpus: Path, index: Path, **extra: str) -> dict:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
                   [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]),
               "QA_CORPUS_DIR": str(corpus), "QA_INDEX_DIR": str(index),
               "QA_DATA_DIR": str(index.parent / "data"), "QA_RATE_LIMIT_PER_MINUTE": "0"}
        if not self.real:
            env["QA_MULTILINGUAL_MODEL"] = "none"
        return {**env, **extra}

    def run(self, env: dict, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(*args), env=env, capture_output=True, text=True,
                              timeout=1800)

    def settings(self, env: dict):
        from qa.config import Settings

        return Settings(corpus_dir=Path(env["QA_CORPUS_DIR"]), index_dir=Path(env["QA_INDEX_DIR"]))

    def service(self, env: dict):
        from qa.embedders import HashingEmbedder
        from qa.service import QAService

        return QAService(self.settings(env), embedder=None if self.real else HashingEmbedder(384))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`qa serve` on a loopback port until the block ends."""

    def __init__(self, runner: Runner, env: dict) -> None:
        self.port = _free_port()
        self.runner, self.env = runner, env
        self.log_path = Path(env["QA_DATA_DIR"]) / f"server-{self.port}.log"

    def __enter__(self) -> "Server":
        Path(self.env["QA_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.runner.command("serve", "--port", str(self.port)),
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"qa serve stopped: {self.log_path.read_text()[-2000:]}")
            if request(self.port, "GET", "/api/health", timeout=5)[0] == 200:
                return self
            time.sleep(0.3)
        raise RuntimeError("qa serve did not become ready")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()

    def open_files(self) -> list[str]:
        """What each file descriptor of the server names."""
        folder = f"/proc/{self.proc.pid}/fd"
        found = []
        for fd in os.listdir(folder):
            try:
                found.append(os.readlink(f"{folder}/{fd}"))
            except OSError:  # closed meanwhile
                pass
        return found


_SOURCES = itertools.count(1)


def new_source() -> tuple[str, int]:
    """A loopback address of its own, so that each client is a client of its own."""
    n = next(_SOURCES)
    return (f"127.3.{n // 250}.{n % 250 + 1}", 0)


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict | None = None, source=None, timeout: float = 120,
            chunked: bool = False) -> tuple[int | None, bytes]:
    """Status and body; (None, reason) when no response came."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=source)
    try:
        conn.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
        response = conn.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException) as exc:
        return None, repr(exc).encode()
    finally:
        conn.close()


def post_json(port: int, path: str, payload, source=None) -> tuple[int | None, dict]:
    status, data = request(port, "POST", path, json.dumps(payload).encode(),
                           {"Content-Type": "application/json"}, source)
    try:
        return status, json.loads(data) if status is not None else {}
    except ValueError:
        return status, {"raw": data[:200].decode(errors="replace")}


def answer_of(port: int, question: str, source=None) -> tuple[int | None, dict]:
    return post_json(port, "/api/ask", {"question": question}, source)


# --- 1. bad files ---------------------------------------------------------------------------


def bad_files(runner: Runner) -> Figures:
    """Every bad entry is left out or repaired with a warning naming it from the corpus root;
    nothing from outside the corpus is read."""
    figures = Figures()
    work = runner.work / "bad-files"
    corpus, outside = work / "corpus", work / "outside"
    shutil.copytree(SEED, corpus)
    (outside / "folder").mkdir(parents=True)
    secret = f"OUTSIDE{uuid.uuid4().hex[:8]}"
    (outside / "passwd.txt").write_text(
        "".join(f"{secret}{i}:x:100{i}:100{i}::/home/u{i}:/usr/sbin/nologin\n" for i in range(30)))
    (outside / "folder" / "notes.txt").write_text(f"The {secret} note is outside the corpus.")
    (corpus / "sub").mkdir()
    (corpus / "passwd-link.txt").symlink_to(outside / "passwd.txt")
    (corpus / "outside-folder").symlink_to(outside / "folder")
    (corpus / "sub" / "up").symlink_to("..")  # a folder loop
    (corpus / "self-loop.txt").symlink_to("self-loop.txt")
    (corpus / "ping.txt").symlink_to("pong.txt")
    (corpus / "pong.txt").symlink_to("ping.txt")
    (corpus / "dangling.txt").symlink_to(work / "nothing-here.txt")
    (corpus / "huge.txt").write_text(f"{secret} " * 200_000)  # about 2 MB, over the 1 MB limit
    good = "The Amber College signed an exchange agreement with the Lantern University. "
    (corpus / "damaged.txt").write_bytes((good * 20).encode() + b"\xff\xfe\xc3(" +
                                         "第二部分：交流合作。".encode() + (good * 5).encode())
    (corpus / "nul.txt").write_bytes((good * 80).encode() + b"\x00" * 5 + b"tail text\x00.")
    # (entry, left out?, what the warning must say of it)
    expected = [("passwd-link.txt", True, "outside"), ("outside-folder", True, "folder"),
                ("sub/up", True, "folder"), ("self-loop.txt", True, "not read"),
                ("ping.txt", True, "not read"), ("pong.txt", True, "not read"),
                ("dangling.txt", True, "not read"), ("huge.txt", True, "QA_MAX_FILE_MB"),
                ("damaged.txt", False, "not UTF-8"), ("nul.txt", False, "NUL")]
    env = runner.env(corpus, work / "index", QA_MAX_FILE_MB="1")
    done = runner.run(env, "index")
    figures.tried = len(expected)
    if done.returncode != 0:
        figures.fail(f"qa index exited {done.returncode}: {done.stderr[-500:]}")
        return figures
    warnings = [line.removeprefix("warning: ").removeprefix("skipped ")
                for line in done.stderr.splitlines() if line.startswith("warning: ")]
    service = runner.service(env)
    documents = service.documents
    for entry, left_out, says in expected:
        named = [w for w in warnings if w.startswith(entry + ":") and says in w]
        indexed = entry in documents
        if not named or indexed == left_out:
            figures.fail(f"{entry}: warned {named or 'nothing'}; indexed: {indexed}")
    for entry in ("damaged.txt", "nul.txt"):
        text = documents.get(entry, {}).get("text", "")
        if "\x00" in text or "\ufffd" in text or "Ã" in text:
            figures.fail(f"{entry}: NUL or mojibake left in the indexed text")
        figures.lost += "Lantern University" not in text
    figures.lost += sum(p.name not in documents for p in SEED.glob("[!.]*.txt"))
    figures.leaked += sum(secret in d.get("text", "") or Path(s).is_absolute() or ".." in s
                          for s, d in documents.items())
    figures.leaked += sum(str(work) in w for w in warnings)  # warnings name files from the root
    for question in ("Which user has the shell /usr/sbin/nologin?",
                     "What does the note outside the corpus say?"):
        answer = service.ask(question)
        figures.tried += 1
        figures.leaked += secret in answer.answer + json.dumps([c.__dict__ for c in
                                                                answer.citations], default=str)
    service.close()
    figures.notes.append(f"{len(warnings)} warnings, each as its file was met; "
                         f"{len(documents)} documents indexed")
    return figures


# --- 2. kill -9 during a change -------------------------------------------------------------


def _progress(log: Path) -> tuple[int, int]:
    found = re.findall(r"\| ?(\d+)/(\d+) ", log.read_text(errors="replace"))
    return (int(found[-1][0]), int(found[-1][1])) if found else (0, 0)


KILL_POINTS = {  # where in the run: a test of what can be seen from outside
    "at start": lambda log, new: True,
    "new generation begun": lambda log, new: bool(new()),
    "first passages embedded": lambda log, new: 0 < _progress(log)[0],
    "half embedded": lambda log, new: _progress(log)[0] * 2 >= max(_progress(log)[1], 1),
    "all embedded, not switched": lambda log, new: 0 < _progress(log)[1] == _progress(log)[0],
}


def kill_nine(runner: Runner) -> Figures:
    """After each kill the index holds what it held and answers the same; the next full run
    adds the change and leaves no generation or temporary file behind."""
    figures = Figures()
    work = runner.work / "kill"
    corpus, index = work / "corpus", work / "index"
    shutil.copytree(SEED, corpus)
    env = runner.env(corpus, index)
    built = runner.run(env, "index")
    if built.returncode != 0:
        figures.fail(f"first qa index failed: {built.stderr[-500:]}")
        return figures
    service = runner.service(env)
    before = [(a.answer, a.citations) for a in map(service.ask, QUESTIONS)]
    documents = len(service.documents)
    service.close()
    old = (index / "CURRENT").read_text().strip()
    pristine = work / "index.pristine"
    shutil.copytree(index, pristine)
    for i in range(200):
        (corpus / f"change-{i:03d}.txt").write_text(" ".join(
            f"Note {i}.{j}: the College of {i} sent {j} students to the Harbour campus."
            for j in range(12)))
    for point, reached in KILL_POINTS.items():
        log = work / f"kill-{len(figures.notes)}.log"
        with open(log, "w") as out:
            proc = subprocess.Popen(runner.command("index"), env=env, stdout=out, stderr=out)
        while proc.poll() is None and not reached(log, lambda: {p.name for p in index.glob(
                "gen-*")} - {old}):
            time.sleep(0.005)
        if proc.poll() is not None:  # the run ended before the point: not a kill
            figures.notes.append(f"{point}: the run finished first (not counted)")
            shutil.rmtree(index)
            shutil.copytree(pristine, index)
            continue
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        figures.tried += 1
        done, total = _progress(log)
        figures.notes.append(f"{point}: killed at {done}/{total} passages")
        current = (index / "CURRENT").read_text().strip()
        service = runner.service(env)
        after = [(a.answer, a.citations) for a in map(service.ask, QUESTIONS)]
        figures.lost += documents - len(service.documents)
        service.close()
        if current != old or after != before:
            figures.fail(f"{point}: CURRENT {current} (was {old}); same answers: "
                         f"{after == before}")
    finished = runner.run(env, "index")
    if finished.returncode != 0 or "200 added" not in finished.stdout:
        figures.fail(f"the run after the kills: {finished.stdout[-300:]} {finished.stderr[-300:]}")
    current = (index / "CURRENT").read_text().strip()
    layers = {name for name, _ in json.loads((index / current / GENERATION).read_text())["layers"]}
    figures.leaked += len([p for p in index.iterdir()
                           if p.name not in {current, "CURRENT", ".lock", *layers}])
    return figures


# --- 3. the swap under polling --------------------------------------------------------------


def swap(runner: Runner) -> Figures:
    """Requests polling through a re-index: none fails, the new document is answered from the
    first question after CURRENT changes (lost: answers begun after it, less one, that miss it),
    and the old generation is freed (leaked: generation folders left but the current one)."""
    figures = Figures()
    work = runner.work / "swap"
    corpus, index = work / "corpus", work / "index"
    shutil.copytree(SEED, corpus)
    env = runner.env(corpus, index)
    if runner.run(env, "index").returncode != 0:
        figures.fail("qa index failed")
        return figures
    old = (index / "CURRENT").read_text().strip()
    stop, switched = threading.Event(), []
    results: list[tuple[float, int | None, dict]] = []  # (when begun, status, body)
    lock = threading.Lock()

    def watch() -> None:
        while not stop.is_set() and not switched:
            if (index / "CURRENT").read_text().strip() != old:
                switched.append(time.monotonic())
            time.sleep(0.002)

    with Server(runner, env) as server:
        def poll(kind: str) -> None:
            source = new_source()
            while not stop.is_set():
                begun = time.monotonic()
                if kind == "health":
                    status, data = request(server.port, "GET", "/api/health", source=source)
                    body = json.loads(data) if status == 200 else {"raw": data[:200]}
                else:
                    status, body = answer_of(server.port, NEW_QUESTION if kind == "new" else
                                             QUESTIONS[0], source)
                with lock:
                    results.append((begun, status, {"kind": kind, **body}))

        threads = [threading.Thread(target=poll, args=(k,)) for k in ("old", "new", "health")]
        threads.append(threading.Thread(target=watch))
        for thread in threads:
            thread.start()
        time.sleep(2)
        (corpus / "quartz-institute.txt").write_text(NEW_DOCUMENT)
        indexed = runner.run(env, "index")
        time.sleep(3)  # polling goes on after the switch
        stop.set()
        for thread in threads:
            thread.join()
        time.sleep(1)
        status, data = request(server.port, "GET", "/api/health")
        health = json.loads(data) if status == 200 else {}
        current = (index / "CURRENT").read_text().strip()
        listed = {layer for layer, _ in json.loads(
            (index / current / "generation.json").read_text())["layers"]}
        held = [name for name in server.open_files()
                if ("/gen-" in name and f"/{current}/" not in name)
                or ("/layer-" in name and not any(f"/{layer}/" in name for layer in listed))
                or (("/gen-" in name or "/layer-" in name) and name.endswith("(deleted)"))]
    if indexed.returncode != 0 or not switched:
        figures.fail(f"qa index: {indexed.returncode} {indexed.stderr[-300:]}")
        return figures
    new = (index / "CURRENT").read_text().strip()
    figures.tried = len(results)
    for begun, status, body in results:
        if status != 200:
            figures.fail(f"{body.get('kind')}: {status} {str(body)[:200]}")
    late = sorted((begun, body) for begun, status, body in results
                  if body["kind"] == "new" and begun > switched[0] and status == 200)
    stale = [b for _, b in late if not any(c["source"] == "quartz-institute.txt"
                                           for c in b.get("citations", []))]
    figures.lost = max(0, len(stale) - 1)
    health_after = [b.get("generation") for begun, status, b in results
                    if b["kind"] == "health" and begun > switched[0] + 0.5 and status == 200]
    if health.get("generation") != new or any(g != new for g in health_after):
        figures.fail(f"/api/health reports {health.get('generation')}, CURRENT is {new}")
    figures.leaked = (len([p for p in index.glob("gen-*") if p.name != new])
                      + len([p for p in index.glob("layer-*") if p.name not in listed])
                      + len(held))
    figures.notes.append(f"{len(late)} questions on the new document after the switch, "
                         f"{len(stale)} answered from the old generation")
    return figures


# --- 4. fuzzed and hostile requests ---------------------------------------------------------


def _judge(figures: Figures, name: str, status: int | None, body: bytes,
           expected: tuple = ()) -> None:
    figures.tried += 1
    if status is None:
        figures.lost += 1
        figures.notes.append(f"{name}: no response ({body[:100]!r})")
        return
    if LEAK.search(body.decode(errors="replace")):
        figures.leaked += 1
        figures.notes.append(f"{name}: the body leaks {body[:200]!r}")
    if status >= 500 or (expected and status not in expected):
        figures.fail(f"{name}: {status} {body[:200]!r}")


def schemathesis(port: int, examples: int, work: Path) -> Figures | None:
    """schemathesis's cases against the OpenAPI schema, judged from its HAR record; None when
    schemathesis is not installed."""
    st = Path(sys.executable).parent / "st"
    st = str(st) if st.exists() else shutil.which("st")
    if st is None:
        return None
    figures = Figures()
    har = work / "schemathesis.har"
    done = subprocess.run([st, "run", f"http://127.0.0.1:{port}/api/openapi.json",
                           "--checks", "not_a_server_error", "-n", str(examples), "--seed", "21",
                           "--report", "har", "--report-har-path", str(har), "--no-color",
                           "--request-timeout", "60", "--workers", "2",
                           "--generation-database", "none", "--suppress-health-check", "all"],
                          capture_output=True, text=True, timeout=1800, cwd=work)
    (work / "schemathesis.out").write_text(done.stdout + done.stderr)
    if not har.exists():
        figures.fail(f"schemathesis wrote no record: {done.stdout[-800:]} {done.stderr[-800:]}")
        return figures
    for entry in json.loads(har.read_text())["log"]["entries"]:
        response = entry.get("response") or {}
        status = response.get("status") or None
        text = (response.get("content") or {}).get("text") or ""
        _judge(figures, f"schemathesis {entry['request']['method']} {entry['request']['url']}",
               status, text.encode())
    figures.notes.append(f"schemathesis exited {done.returncode}: "
                         + " ".join(done.stdout.split()[-8:]))
    errors = re.split(r"=+ ERRORS =+", done.stdout, maxsplit=1)[1:]  # its own, not the server's
    if errors:
        said = [line for line in errors[0].splitlines()
                if line.strip() and not line.startswith(("=", "_", " "))]
        figures.notes.append(f"schemathesis's errors ({work / 'schemathesis.out'}): "
                             + "; ".join(said[:3])[:300])
    return figures


_AWKWARD = ["", " ", "\ud800", "\udfff x", "a\x00b", "\x1b[31m", "\u202e", "🦦" * 300,
            "x" * 1001, "x" * 5000, "Which university?", "什么大学？", "<script>alert(1)</script>",
            "../../etc/passwd", "%s%n", "\r\n\r\n", "\ufeff", "\u0085", "NaN", "null"]


def _value(rng: random.Random, depth: int = 0):
    pick = rng.random()
    if pick < 0.35 or depth > 3:
        return rng.choice(_AWKWARD + ["".join(chr(rng.randrange(0x11_0000)) for _ in range(
            rng.randrange(1, 40)))])
    if pick < 0.5:
        return rng.choice([0, -1, 2**64, 1.5, -0.0, True, False, None, 1e308])
    if pick < 0.7:
        return [_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))]
    if pick < 0.8:
        return [{"role": rng.choice(["user", "assistant", "system", 3]),
                 "content": _value(rng, depth + 1)} for _ in range(rng.randrange(0, 45))]
    return {rng.choice(["question", "history", "role", "content", "data", "x"]):
            _value(rng, depth + 1) for _ in range(rng.randrange(0, 4))}


def _raw(payload) -> bytes:
    """JSON as a client may write it: lone surrogates and NaN kept, which json.dumps allows."""
    return json.dumps(payload).encode()


def generated(port: int, count: int, fns: dict) -> Figures:
    """Random bodies for the API's routes and Gradio's, and random query strings."""
    figures = Figures()
    rng = random.Random(21)
    for n in range(count):
        kind = n % 6
        if kind in (0, 1):
            path = ("/api/ask", "/api/ask/stream")[kind]
            payload = {"question": _value(rng), "history": _value(rng)}
            if rng.random() < 0.3:
                payload = _value(rng)
        elif kind == 2:
            path, payload = "/gradio_api/run/predict", {"fn_index": rng.choice(
                [*fns.values(), -1, 99, "1", None, 1.5]), "data": _value(rng)}
        elif kind == 3:
            path, payload = "/gradio_api/queue/join", {
                "fn_index": rng.choice([*fns.values(), 99]), "session_hash": uuid.uuid4().hex,
                "data": [_value(rng) for _ in range(rng.randrange(0, 5))]}
        elif kind == 4:
            path = rng.choice(["/gradio_api/call/ask", "/gradio_api/call/v2/ask",
                               "/gradio_api/run/ask"])
            payload = ({"question": _value(rng), rng.choice(["history", "x"]): _value(rng)}
                       if "v2" in path else {"data": _value(rng)})
        else:
            query = urllib.parse.urlencode({rng.choice(["country", "institution", "kind", "year",
                                                        "x"]): str(_value(rng))}, errors="replace")
            status, body = request(port, "GET", "/api/partnerships?" + query)
            _judge(figures, f"GET /api/partnerships?{query[:80]}", status, body)
            continue
        body = _raw(payload).replace(b'"NaN"', b"NaN") if rng.random() < 0.2 else _raw(payload)
        status, data = request(port, "POST", path, body, {"Content-Type": "application/json"})
        _judge(figures, f"POST {path} {body[:80]!r}", status, data)
    return figures


def _slowly(port: int, path: str, chunked: bool) -> tuple[int | None, bytes]:
    """A body sent a byte every 0.2 s: the server must answer 408 and close the connection."""
    body = b'{"question": "Which institution chairs the Jiangxi alliance?"}'
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % len(body)
    sock = socket.create_connection(("127.0.0.1", port), timeout=60, source_address=new_source())
    reply = b""
    try:
        sock.sendall(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     b"application/json\r\n" + framing + b"\r\n\r\n")
        sock.settimeout(0.2)
        for byte in body:
            try:
                sock.sendall(b"1\r\n%c\r\n" % byte if chunked else bytes([byte]))
                reply += sock.recv(65536)
                break
            except TimeoutError:
                continue
            except OSError:
                break
        sock.settimeout(60)
        while chunk := sock.recv(65536):
            reply += chunk
    except OSError as exc:
        return None, repr(exc).encode()
    finally:
        sock.close()
    match = re.match(rb"HTTP/1\.1 (\d+)", reply)
    return (int(match.group(1)), reply) if match else (None, reply[:200])


def hand_made(port: int, fns: dict) -> Figures:
    figures = Figures()
    q = "Which institution chairs the Jiangxi alliance?"
    json_type = {"Content-Type": "application/json"}
    cases = [  # (name, path, raw body, expected statuses)
        ("lone surrogate", "/api/ask", b'{"question": "\\ud800 which?"}', (400,)),
        ("lone low surrogate in history", "/api/ask",
         b'{"question": "Who?", "history": [{"role": "user", "content": "\\udfff"}]}', (422,)),
        ("NaN", "/api/ask", b'{"question": NaN}', (422,)),
        ("Infinity", "/api/ask/stream", b'{"question": -Infinity}', (422,)),
        ("NUL", "/api/ask", b'{"question": "which\\u0000 university?"}', (400,)),
        ("escape", "/api/ask", b'{"question": "\\u001b[2J which?"}', (400,)),
        ("DEL", "/api/ask/stream", b'{"question": "which\\u007f?"}', (400,)),
        ("not JSON", "/api/ask", b'{"question": ', (422,)),
        ("invalid UTF-8", "/api/ask", b'{"question": "\xff\xfe"}', (422, 400)),
        ("a list", "/api/ask", b"[1, 2]", (422,)),
        ("empty body", "/api/ask", b"", (422,)),
        ("nested 20000 deep", "/api/ask",
         b'{"question": "x", "history": ' + b"[" * 20000 + b"]" * 20000 + b"}", (400,)),
        ("1001 characters", "/api/ask", json.dumps({"question": "y" * 1001}).encode(), (400,)),
        ("41 turns", "/api/ask", json.dumps({"question": q, "history": [
            {"role": "user", "content": "a"}] * 41}).encode(), (422,)),
        ("a body of 70 KB", "/api/ask", b'{"question": "' + b"x" * 70_000 + b'"}', (413,)),
        ("fn_index 99", "/gradio_api/queue/join",
         json.dumps({"fn_index": 99, "data": [q], "session_hash": "h"}).encode(), (422,)),
        ("fn_index -1", "/gradio_api/run/predict", b'{"fn_index": -1, "data": []}', (422,)),
        ("fn_index text", "/gradio_api/run/predict", b'{"fn_index": "1", "data": []}', (422,)),
        ("fn_index true", "/gradio_api/queue/join",
         b'{"fn_index": true, "data": [], "session_hash": "h"}', (422,)),
        ("no session", "/gradio_api/queue/join",
         json.dumps({"fn_index": fns["ask"], "data": [q, []]}).encode(), (400, 422)),
        ("too few inputs, run", "/gradio_api/run/predict",
         json.dumps({"fn_index": fns["ask"], "data": [q]}).encode(), (422,)),
        ("too many inputs, run", "/gradio_api/run/ask",
         json.dumps({"data": [q, [], 1]}).encode(), (422,)),
        ("too few inputs, call", "/gradio_api/call/ask", json.dumps({"data": []}).encode(), (422,)),
        ("too few inputs, queue", "/gradio_api/queue/join", json.dumps(
            {"fn_index": fns["respond"], "data": [q], "session_hash": "h"}).encode(), (422,)),
        ("private function, run", "/gradio_api/run/predict",
         json.dumps({"fn_index": fns["show"], "data": [""]}).encode(), (404,)),
        ("unknown name, v2", "/gradio_api/call/v2/ask",
         json.dumps({"question": q, "bogus": 1}).encode(), (422,)),
        ("missing name, v2", "/gradio_api/call/v2/ask", b'{"history": []}', (422,)),
        ("private endpoint, v2", "/gradio_api/call/v2/show", b'{"country": ""}', (404,)),
        ("data not a list", "/gradio_api/run/ask", b'{"data": "x"}', (422,)),
        ("thumbs without the event", "/gradio_api/queue/join", json.dumps(
            {"fn_index": fns["rate"], "data": [None, ""], "session_hash": "h"}).encode(), (422,)),
        ("no such example", "/gradio_api/run/predict",
         json.dumps({"fn_index": fns["load_example"], "data": [99]}).encode(), (422,)),
        ("not a choice, queue", "/gradio_api/queue/join", json.dumps(
            {"fn_index": fns["show"], "data": ["", "", {}, ""], "session_hash": "h"}).encode(),
         (422,)),
        ("gradio surrogate", "/gradio_api/run/ask", b'{"data": ["\\udc00?", []]}', (400,)),
        ("gradio 1 MB history", "/gradio_api/run/ask",
         b'{"data": ["Who?", [{"role": "user", "content": "' + b"x" * 1_000_000 + b'"}]]}',
         (413,)),
    ]
    for name, path, body, expected in cases:
        status, data = request(port, "POST", path, body, json_type)
        _judge(figures, name, status, data, expected)

    def ten_megabytes():
        yield b'{"question": "'
        for _ in range(160):
            yield b"x" * 65536
        yield b'"}'

    for path in ("/api/ask", "/gradio_api/queue/join", "/gradio_api/upload"):
        status, data = request(port, "POST", path, ten_megabytes(), json_type, chunked=True)
        _judge(figures, f"chunked 10 MB to {path}", status, data, (413,))
    status, data = request(port, "POST", "/api/ask", iter([b'{"question": "Which institution',
                                                           b' chairs the Jiangxi alliance?"}']),
                           json_type, chunked=True)
    _judge(figures, "chunked within the limit", status, data, (200,))
    for path, chunked in (("/api/ask", False), ("/gradio_api/queue/join", True)):
        status, data = _slowly(port, path, chunked)
        _judge(figures, f"a byte every 0.2 s to {path}", status, data, (408,))
    for path in ("/gradio_api/file=/etc/passwd", "/file=/etc/passwd", "/../pyproject.toml",
                 "/api/partnerships?country=%ED%A0%80", "/api/partnerships?year=abc",
                 "/api/partnerships?country=" + "x" * 200):
        status, data = request(port, "GET", path)
        _judge(figures, f"GET {path[:60]}", status, data, (400, 403, 404, 422))
    return figures


def fuzz(runner: Runner, examples: int, server: Server, fns: dict) -> dict[str, Figures]:
    parts = {}
    found = schemathesis(server.port, max(1, examples // 4), runner.work)
    if found is not None:
        parts["fuzz: schemathesis"] = found
    parts["fuzz: generated"] = generated(server.port, examples, fns)
    parts["fuzz: hand-made"] = hand_made(server.port, fns)
    return parts


# --- 5. load --------------------------------------------------------------------------------


def _run_event(port: int, source, fn_index: int, data: list, session: str,
               event_data=None) -> dict | None:
    """One event through Gradio's queue, as its browser client runs it."""
    status, joined = post_json(port, "/gradio_api/queue/join", {
        "data": data, "fn_index": fn_index, "session_hash": session, "event_data": event_data,
        "trigger_id": None}, source)
    if status != 200:
        return None
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=source)
    try:
        conn.request("GET", "/gradio_api/queue/data?" + urllib.parse.urlencode(
            {"session_hash": session}))
        for line in conn.getresponse():
            if line.startswith(b"data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        conn.close()
    return None


def load(server: Server, fns: dict, clients: int, seconds: float, feedback: Path) -> Figures:
    """Clients asking through /api/ask, Gradio's API and the chat, each chat answer rated:
    failed: a request not answered 200 (or an event not completed); lost: a rating answered
    but not in feedback.jsonl, or a 200 without an answer; leaked: file descriptors the server
    holds after the load beyond those it held after a warm-up of it, less connections to the
    index's database (Chroma opens one a thread, and the server's thread pool is bounded)."""
    _load(server, fns, clients, min(5.0, seconds), Figures(), [0])  # the warm-up, not counted
    time.sleep(2)

    def written() -> int:
        return len(feedback.read_text().splitlines()) if feedback.exists() else 0

    figures, rated = Figures(), [0]
    before, lines_before = server.open_files(), written()
    _load(server, fns, clients, seconds, figures, rated)
    time.sleep(2)
    lines = written() - lines_before
    figures.lost += rated[0] - lines
    after = server.open_files()
    gained = list(after)
    for name in before:
        if name in gained:
            gained.remove(name)
    pooled = [name for name in gained if name.endswith("/chroma.sqlite3")]
    figures.leaked = len(gained) - len(pooled)
    figures.notes.append(f"{rated[0]} ratings, {lines} feedback lines; {figures.tried / seconds:.1f}"
                         f" requests/s; server file descriptors {len(before)} before, "
                         f"{len(after)} after, of which {len(pooled)} more connections to the "
                         "index's database (one a thread of the server's pool, which grew)")
    return figures


def _load(server: Server, fns: dict, clients: int, seconds: float, figures: Figures,
          rated: list[int]) -> None:
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(n: int) -> None:
        source = new_source()
        rng = random.Random(n)
        while time.monotonic() < deadline:
            question = rng.choice(QUESTIONS)
            pick = rng.random()
            if pick < 0.1:  # a chat turn and a thumbs up on it
                session = uuid.uuid4().hex
                done = _run_event(server.port, source, fns["respond"], [question, None, None],
                                  session)
                ok = bool(done and done.get("success"))
                if ok:
                    done = _run_event(server.port, source, fns["rate"], [None, f"client {n}"],
                                      session, {"index": 1, "value": "x", "liked": True})
                    ok = bool(done and done.get("success"))
                    with lock:
                        rated[0] += ok
                status, body = (200 if ok else 0), {"answer": "event"}
            elif pick < 0.3:
                status, body = post_json(server.port, "/gradio_api/run/ask",
                                         {"data": [question, []]}, source)
                body = (body.get("data") or [{}])[0] if status == 200 else body
            else:
                status, body = answer_of(server.port, question, source)
            with lock:
                figures.tried += 1
                if status != 200:
                    figures.fail(f"{status} {str(body)[:200]}")
                elif not body.get("answer"):
                    figures.lost += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


# --- the suite ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--fuzz", type=int, default=300, help="generated requests (and about a "
                        "quarter as many schemathesis cases per operation)")
    parser.add_argument("--real-models", action="store_true")
    parser.add_argument("--work", type=Path, help="keep the folders here (default: a temporary "
                        "one, removed)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="qa-reliability-"))
    work.mkdir(parents=True, exist_ok=True)
    runner = Runner(args.real_models, work)
    parts: dict[str, Figures] = {}
    started = time.monotonic()
    try:
        for name, part in (("bad files", bad_files), ("kill -9", kill_nine), ("swap", swap)):
            print(f"{name}…", file=sys.stderr, flush=True)
            parts[name] = part(runner)
        print("fuzz and load…", file=sys.stderr, flush=True)
        served = work / "served"
        shutil.copytree(work / "swap" / "corpus", served / "corpus")
        env = runner.env(served / "corpus", served / "index", QA_BODY_TIMEOUT_S="2")
        runner.run(env, "index")
        with Server(runner, env) as server:
            status, data = request(server.port, "GET", "/config")
            fns = {d["api_name"]: d["id"] for d in json.loads(data)["dependencies"]}
            parts.update(fuzz(runner, args.fuzz, server, fns))
            feedback = Path(env["QA_DATA_DIR"]) / "feedback.jsonl"
            parts[f"load: {args.clients} clients x {args.seconds:g} s"] = load(
                server, fns, args.clients, args.seconds, feedback)
        log = server.log_path.read_text()
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{'part':<28} {'tried':>6} {'failed':>6} {'lost':>6} {'leaked':>6}")
    for name, f in parts.items():
        print(f"{name:<28} {f.tried:>6} {f.failed:>6} {f.lost:>6} {f.leaked:>6}")
    print(f"({time.monotonic() - started:.0f} s; embedder: "
          f"{'the configured models' if args.real_models else 'hashing'}; the server logged "
          f"{log.count('Traceback')} tracebacks)")
    print("""
bad files  tried: bad entries, then questions after the secret; failed: an entry indexed when it
           should not be, or not warned of by its name from the corpus root, or NUL/mojibake
           left; lost: seed documents or repaired text missing; leaked: text from outside the
           corpus indexed or answered, or an absolute path in a warning
kill -9    tried: kills landed; failed: CURRENT moved or an answer changed after a kill, or the
           next run did not complete; lost: documents missing after a kill; leaked: folders and
           files other than the current generation left after the next run
swap       tried: requests while re-indexing; failed: a request not answered 200, or
           /api/health not on the new generation; lost: answers begun after the switch, less
           one, from the old generation; leaked: generation folders left beside the current one,
           and files of another generation the server still holds open
fuzz       tried: requests; failed: a 5xx or, for hand-made cases, another status than the one
           meant; lost: no response; leaked: a traceback, a server path or /etc/passwd in a body
load       tried: requests and chat events; failed: not answered 200; lost: ratings answered but
           not written, answers without text; leaked: file descriptors the server gained
           after a 5 s warm-up, less connections to the index's database (one a pool thread)""")
    for name, f in parts.items():
        for note in f.notes[:8]:
            print(f"  {name}: {note}")


def run_qa(args: list[str]) -> None:
    """`qa ARGS` with the hashing embedder in place of the sentence-transformers model."""
    import qa.service
    from qa.cli import main as qa_main
    from qa.embedders import HashingEmbedder

    qa.service.make_embedder = lambda settings: HashingEmbedder(384)
    qa_main(args=args, prog_name="qa")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--qa"]:
        run_qa(sys.argv[2:])
    else:
        main()
