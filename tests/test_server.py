"""The HTTP API through a test client and through a real server on a loopback port, and the
Gradio app's named endpoint through gradio_client."""

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from qa.config import Settings

from conftest import Server

pytestmark = pytest.mark.integration
QUESTION = "Which institution chairs the Jiangxi alliance?"


@pytest.fixture(scope="module")
def client(indexed_corpus):
    from fastapi.testclient import TestClient

    from qa.api import create_app

    settings = Settings(corpus_dir=indexed_corpus["QA_CORPUS_DIR"],
                        index_dir=indexed_corpus["QA_INDEX_DIR"],
                        data_dir=indexed_corpus["QA_DATA_DIR"], rate_limit_per_minute=5,
                        allowed_origins="https://partner.example")
    return TestClient(create_app(settings, with_ui=False))


@pytest.fixture(scope="module")
def unlimited_client(indexed_corpus):
    """The app without a rate limit, for tests that send many requests."""
    from fastapi.testclient import TestClient

    from qa.api import create_app

    settings = Settings(corpus_dir=indexed_corpus["QA_CORPUS_DIR"],
                        index_dir=indexed_corpus["QA_INDEX_DIR"],
                        data_dir=indexed_corpus["QA_DATA_DIR"], rate_limit_per_minute=0)
    return TestClient(create_app(settings, with_ui=False))


def test_ask_returns_the_answer_as_json(client):
    response = client.post("/api/ask", json={"question": QUESTION, "history": []})
    assert response.status_code == 200
    body = response.json()
    assert "Jiangxi University of Finance and Economics" in body["answer"]
    assert body["citations"][0]["source"].startswith("xinhua-")
    assert set(body) >= {"answer", "abstained", "citations", "timings_ms", "query"}


def test_streaming_endpoint_ends_with_the_answer(client):
    response = client.post("/api/ask/stream", json={"question": QUESTION})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert "Jiangxi University of Finance and Economics" in lines[-1]["answer"]["answer"]
    assert all("token" in line for line in lines[:-1])
    refused = client.post("/api/ask/stream", json={"question": " "})
    assert refused.status_code == 400 and "empty" in refused.json()["error"]


def test_bad_requests_get_clear_4xx_without_internals(client):
    empty = client.post("/api/ask", json={"question": "   "})
    assert empty.status_code == 400 and "empty" in empty.json()["error"]
    malformed = client.post("/api/ask", json={"history": "nope"})
    assert malformed.status_code == 422
    huge = client.post("/api/ask", content=b'{"question": "' + b"x" * 70_000 + b'"}',
                       headers={"content-type": "application/json"})
    assert huge.status_code == 413
    for response in (empty, malformed, huge):
        assert "Traceback" not in response.text and "/src/qa" not in response.text


def test_rate_limit_answers_429(client):
    codes = [client.post("/api/ask", json={"question": QUESTION}).status_code for _ in range(6)]
    assert 429 in codes
    limited = client.post("/api/ask", json={"question": QUESTION})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "60"


def test_health_openapi_widget_and_headers(client, indexed_corpus):
    health = client.get("/api/health").json()
    assert health == {"ready": True, "documents": 6, "chunks": health["chunks"],
                      "generation": health["generation"]}
    current = Path(indexed_corpus["QA_INDEX_DIR"], "CURRENT").read_text().strip()
    assert health["generation"] == current and current.startswith("gen-")
    schema = client.get("/api/openapi.json").json()
    assert "/api/ask" in schema["paths"]
    widget = client.get("/widget.js")
    assert widget.status_code == 200 and "attachShadow" in widget.text
    assert client.get("/api/health").headers["content-security-policy"] == (
        "frame-ancestors 'self' https://partner.example")
    allowed = client.options("/api/ask", headers={"Origin": "https://partner.example",
                                                  "Access-Control-Request-Method": "POST"})
    assert allowed.headers.get("access-control-allow-origin") == "https://partner.example"
    refused = client.options("/api/ask", headers={"Origin": "https://evil.example",
                                                  "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in refused.headers


def test_no_server_file_is_reachable(client):
    for path in ("/../pyproject.toml", "/static/../api.py", "/file=/etc/passwd",
                 "/gradio_api/file=/etc/passwd", "/src/qa/api.py"):
        response = client.get(path)
        assert response.status_code in (403, 404), path
        assert "root:" not in response.text


def test_missing_index_says_what_to_run(tmp_path):
    from fastapi.testclient import TestClient

    from qa.api import create_app

    settings = Settings(corpus_dir=tmp_path, index_dir=tmp_path / "none", data_dir=tmp_path)
    client = TestClient(create_app(settings, with_ui=False))
    health = client.get("/api/health")
    assert health.status_code == 503 and "qa index" in health.json()["error"]
    assert client.post("/api/ask", json={"question": QUESTION}).status_code == 503


@pytest.mark.slow
def test_real_server_api_and_gradio_client(indexed_corpus):
    from gradio_client import Client

    with Server(indexed_corpus) as server:
        request = urllib.request.Request(server.url + "/api/ask", method="POST",
                                         data=json.dumps({"question": QUESTION}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.loads(response.read())
        assert "Jiangxi University of Finance and Economics" in body["answer"]
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(
                server.url + "/api/ask", method="POST", data=b'{"question": ""}',
                headers={"Content-Type": "application/json"}), timeout=30)
        assert refused.value.code == 400
        result = Client(server.url + "/", verbose=False).predict(QUESTION, [], api_name="/ask")
        assert "Jiangxi University of Finance and Economics" in result["answer"]
        assert result["citations"][0]["quote"] in result["answer"]


@pytest.mark.parametrize("body, status, says", [
    ('{"question": "\\ud800 which university?"}', 400, "not text"),
    ('{"question": "which\\u0000 university?"}', 400, "not text"),
    ('{"question": NaN}', 422, "question"),
    ('{"question": Infinity}', 422, "question"),
    ('{"question": "Who?", "history": [{"role": "user", "content": "\\udfff"}]}', 422,
     "history.0.content"),
    ('{"question": "x", "history": ' + "[" * 20000 + "]" * 20000 + "}", 400,
     "error parsing the body"),  # nested too deep for the parser: FastAPI's own 400, as ours
])
def test_invalid_text_gets_a_4xx_that_explains_it(unlimited_client, body, status, says):
    response = unlimited_client.post("/api/ask", content=body.encode(),
                           headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    assert says in response.json()["error"]
    assert "Traceback" not in response.text and "NaN" not in response.text


def test_the_openapi_schema_says_what_is_enforced(unlimited_client):
    client = unlimited_client
    schema = client.get("/api/openapi.json").json()
    responses = schema["paths"]["/api/ask"]["post"]["responses"]
    assert {"400", "413", "422", "429", "503"} <= set(responses)
    question = schema["components"]["schemas"]["AskRequest"]["properties"]["question"]
    assert "maxLength" not in question and "1000" in question["description"]
    long = client.post("/api/ask", json={"question": "why " * 300})
    assert long.status_code == 400 and "limit is 1000" in long.json()["error"]


@pytest.mark.slow
def test_a_real_server_error_is_logged_with_its_traceback_and_not_shown(indexed_corpus, tmp_path):
    """The index broken under a running server (its Chroma database overwritten): the request
    gets a 500 that says only where to look, and the server log has the traceback."""
    import shutil

    shutil.copytree(indexed_corpus["QA_INDEX_DIR"], tmp_path / "index")
    (tmp_path / "data").mkdir()
    env = {**indexed_corpus, "QA_INDEX_DIR": str(tmp_path / "index"),
           "QA_DATA_DIR": str(tmp_path / "data"), "QA_RATE_LIMIT_PER_MINUTE": "0"}

    def ask(question: str) -> tuple[int, str]:
        request = urllib.request.Request(server.url + "/api/ask", method="POST",
                                         data=json.dumps({"question": question}).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    with Server(env) as server:
        assert ask(QUESTION)[0] == 200
        current = (tmp_path / "index" / "CURRENT").read_text().strip()
        [[layer, _]] = json.loads((tmp_path / "index" / current / "generation.json")
                                  .read_text())["layers"]
        database = tmp_path / "index" / layer / "chroma.sqlite3"
        with open(database, "r+b") as handle:
            handle.write(b"\0" * database.stat().st_size)
        status, body = ask("When was the Jiangxi alliance inaugurated?")
    assert (status, json.loads(body)) == (500, {"error": "internal error; the server log has "
                                                         "details"})
    log = (tmp_path / "data" / f"server-{server.port}.log").read_text()
    assert "error answering POST /api/ask" in log and "Traceback" in log
