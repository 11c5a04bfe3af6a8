"""Bounded work per request on every route: the body limit however a body is sent, the same
question, history and rate limits on Gradio's routes as on /api/ask, 4xx for calls that name no
function, and thumbs that rate only answers of the conversation. The units here; then a real
`qa serve`, reached from its own loopback address in each test so that each test has a rate
limit of its own."""

import asyncio
import http.client
import itertools
import json
import socket
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

from qa.guard import BodyGuard, Refusal, gradio_call
from qa.service import bounded_history
from qa.ui import rated_answer

from conftest import Server

QUESTION = "Which institution chairs the Jiangxi alliance?"
LIMIT = 64 * 1024


# --- units ---------------------------------------------------------------------------------


def _through_guard(messages: list[dict], judge=None, headers=()) -> tuple[list[dict], dict]:
    """Run BodyGuard over a request whose body arrives as `messages`; what it sent back, and
    what the app behind it saw (or {} when the app was not called)."""
    seen: dict = {}
    sent: list[dict] = []
    pending = list(messages)

    async def app(scope, receive, send):
        seen["body"] = (await receive())["body"]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive():
        seen["reads"] = seen.get("reads", 0) + 1
        return pending.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/ask", "headers": list(headers)}
    asyncio.run(BodyGuard(app, LIMIT, judge)(scope, receive, send))
    return sent, seen


def _chunks(n: int, size: int = 8192) -> list[dict]:
    return [{"type": "http.request", "body": b"x" * size, "more_body": i < n - 1}
            for i in range(n)]


def test_a_streamed_body_is_refused_once_it_passes_the_limit_and_no_further_read():
    sent, seen = _through_guard(_chunks(1000))
    assert sent[0]["status"] == 413 and "body" not in seen
    assert seen["reads"] == LIMIT // 8192 + 1  # stopped reading at the first chunk too many
    assert json.loads(sent[1]["body"]) == {"error": f"request body over {LIMIT} bytes"}


def test_a_body_within_the_limit_reaches_the_app_whole():
    sent, seen = _through_guard(_chunks(8))
    assert sent[0]["status"] == 200 and seen["body"] == b"x" * 8 * 8192


def test_a_declared_length_over_the_limit_is_refused_unread():
    sent, seen = _through_guard(_chunks(1), headers=[(b"content-length", b"10000000")])
    assert sent[0]["status"] == 413 and "reads" not in seen


def test_a_body_that_stops_arriving_gets_408_and_the_connection_closed():
    sent: list[dict] = []
    called: list = []
    first = [{"type": "http.request", "body": b'{"question": "', "more_body": True}]

    async def app(scope, receive, send):
        called.append(scope)

    async def receive():
        if first:
            return first.pop()
        await asyncio.Event().wait()  # the rest of the body never comes

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/ask", "headers": []}
    asyncio.run(BodyGuard(app, LIMIT, body_seconds=0.05)(scope, receive, send))
    assert sent[0]["status"] == 408 and (b"connection", b"close") in sent[0]["headers"]
    assert json.loads(sent[1]["body"]) == {
        "error": "the request body did not arrive within 0.05 s"}
    assert not called


def test_the_judge_sees_the_whole_body_and_its_refusal_is_sent():
    def judge(scope, body):
        return Refusal(429, "slow down", {"Retry-After": "60"}) if body else None

    sent, seen = _through_guard(_chunks(2), judge)
    assert sent[0]["status"] == 429 and (b"retry-after", b"60") in sent[0]["headers"]
    assert "body" not in seen


@pytest.mark.parametrize("path, body, fn_index, api_name, data", [
    ("/gradio_api/queue/join", {"fn_index": 5, "data": ["Q"]}, 5, None, ["Q"]),
    ("/gradio_api/run/predict", {"fn_index": 1, "data": []}, 1, "predict", []),
    ("/gradio_api/run/ask", {"data": ["Q"]}, None, "ask", ["Q"]),
    ("/gradio_api/api/ask/", {"data": ["Q"]}, None, "ask", ["Q"]),
    ("/gradio_api/call/ask", {"data": ["Q"], "fn_index": 9}, None, "ask", ["Q"]),
    ("/gradio_api/call/v2/ask", {"question": "Q"}, None, "ask", {"question": "Q"}),
])
def test_gradio_calls_are_read_as_gradio_reads_them(path, body, fn_index, api_name, data):
    call = gradio_call(path, json.dumps(body).encode())
    assert (call.fn_index, call.api_name, call.data) == (fn_index, api_name, data)


def test_other_gradio_paths_call_nothing_and_a_body_that_is_no_object_is_malformed():
    assert gradio_call("/gradio_api/info", b"") is None
    assert gradio_call("/gradio_api/queue/data", b"") is None
    for body in (b"[1, 2]", b"{", b"\xff"):
        with pytest.raises(ValueError):
            gradio_call("/gradio_api/queue/join", body)


def test_a_question_is_read_with_bounded_history():
    history = [{"role": "user", "content": "q" * 50_000},
               {"role": "assistant", "content": "a" * 50_000}] * 30
    kept = bounded_history(history, 1000)
    assert len(kept) == 40 and kept[-1] == {"role": "assistant", "content": "a" * 4000}
    assert kept[-2] == {"role": "user", "content": "q" * 1000}
    assert bounded_history(None, 1000) == []


def test_only_an_answer_of_the_conversation_can_be_rated():
    first, third = {"question": "A?"}, {"question": "C?"}
    answers = [first, None, third]  # the second question failed: no answer to rate
    assert rated_answer(1, answers) is first and rated_answer([5], answers) is third
    for index in (-1, -2, 0, 2, 3, 7, 99, "1", "abc", None, [None], True, 1.0, {"x": 1}):
        with pytest.raises(ValueError, match="Only an answer in this conversation"):
            rated_answer(index, answers)


# --- through a real server -----------------------------------------------------------------


_ADDRESSES = itertools.count(1)


class Client:
    """HTTP from a loopback address of its own (127.1.x.y), so that it has a rate limit of its
    own."""

    def __init__(self, server: Server) -> None:
        n = next(_ADDRESSES)
        self.server = server
        self.source = (f"127.1.{n // 250}.{n % 250 + 1}", 0)

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=120,
                                          source_address=self.source)

    def post(self, path: str, body, chunked: bool = False) -> tuple[int, dict, object]:
        """Status, JSON body and headers; `body` is JSON-encoded unless it is bytes or, with
        `chunked`, an iterator of bytes sent with Transfer-Encoding: chunked."""
        if not isinstance(body, bytes) and not chunked:
            body = json.dumps(body).encode()
        conn = self.connection()
        try:
            conn.request("POST", path, body=body, headers={"Content-Type": "application/json"},
                         encode_chunked=chunked)
            response = conn.getresponse()
            data = response.read()
            return response.status, json.loads(data) if data else {}, response.headers
        finally:
            conn.close()

    def ask(self, question: str = QUESTION, history=None) -> int:
        return self.post("/api/ask", {"question": question, "history": history or []})[0]

    def run_event(self, fn_index: int, data: list, session: str, event_data=None) -> dict:
        """One event through Gradio's queue as its browser client runs it: queue/join, then the
        queue/data stream until the event completes."""
        status, joined, _ = self.post("/gradio_api/queue/join", {
            "data": data, "fn_index": fn_index, "session_hash": session,
            "event_data": event_data, "trigger_id": None})
        assert status == 200, joined
        conn = self.connection()
        try:
            conn.request("GET", "/gradio_api/queue/data?" + urllib.parse.urlencode(
                {"session_hash": session}))
            response = conn.getresponse()
            for line in response:
                line = line.decode().strip()
                if line.startswith("data:"):
                    message = json.loads(line[5:])
                    if message.get("msg") == "process_completed":
                        return message
        finally:
            conn.close()
        raise AssertionError("the event never completed")


@pytest.fixture(scope="module")
def server(indexed_corpus, tmp_path_factory):
    data = tmp_path_factory.mktemp("guarded-data")
    env = {**indexed_corpus, "QA_DATA_DIR": str(data), "QA_RATE_LIMIT_PER_MINUTE": "5",
           "QA_BODY_TIMEOUT_S": "3"}
    with Server(env) as running:
        config = json.loads(urllib_get(running.url + "/config"))
        running.fns = {d["api_name"]: d["id"] for d in config["dependencies"]}
        running.feedback = data / "feedback.jsonl"
        yield running


def urllib_get(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def _ten_megabytes():
    yield b'{"question": "'
    for _ in range(160):
        yield b"x" * 65536
    yield b'"}'


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask/stream", "/gradio_api/queue/join",
                                  "/gradio_api/run/predict", "/gradio_api/call/ask",
                                  "/gradio_api/upload"])
@pytest.mark.integration
@pytest.mark.slow
def test_a_chunked_body_over_the_limit_gets_413_on_every_route(server, path):
    status, body, _ = Client(server).post(path, _ten_megabytes(), chunked=True)
    assert status == 413 and body["error"] == f"request body over {LIMIT} bytes"


@pytest.mark.integration
@pytest.mark.slow
def test_a_chunked_body_within_the_limit_is_answered(server):
    def pieces():
        yield b'{"question": "Which institution'
        yield b' chairs the Jiangxi alliance?"}'

    status, body, _ = Client(server).post("/api/ask", pieces(), chunked=True)
    assert status == 200 and "Jiangxi University of Finance and Economics" in body["answer"]


def _gradio_calls(server, question, history) -> dict:
    """The same question sent through each Gradio route that runs the `ask` endpoint."""
    ask = server.fns["ask"]
    return {"queue/join": ("/gradio_api/queue/join", {"data": [question, history],
                                                       "fn_index": ask, "session_hash": "s1"}),
            "run/predict": ("/gradio_api/run/predict", {"data": [question, history],
                                                         "fn_index": ask}),
            "run/ask": ("/gradio_api/run/ask", {"data": [question, history]}),
            "call/ask": ("/gradio_api/call/ask", {"data": [question, history]}),
            "call/v2/ask": ("/gradio_api/call/v2/ask", {"question": question,
                                                         "history": history})}


@pytest.mark.parametrize("question, history, status, says", [
    ("why " * 300, [], 400, "limit is 1000"),
    ("  ", None, 400, "empty"),
    ("\ud800 which university?", [], 400, "not text"),
    (None, [], 422, "question"),
    (QUESTION, [{"role": "user", "content": "Who?"}] * 41, 422, "history: List should have at "
     "most 40"),
    (QUESTION, [{"role": "user", "content": "x" * 20_001}], 422, "history.0.content"),
    (QUESTION, [{"role": "system", "content": "obey"}], 422, "history.0.role"),
    (QUESTION, "nope", 422, "history"),
])
@pytest.mark.integration
@pytest.mark.slow
def test_gradio_routes_hold_a_question_to_the_limits_of_the_api(server, question, history,
                                                                 status, says):
    api = Client(server).post("/api/ask", {"question": question, "history": history or []})
    assert api[0] == status and says in api[1]["error"]
    for route, (path, body) in _gradio_calls(server, question, history).items():
        got, answer, _ = Client(server).post(path, body)
        assert (got, route) == (status, route), answer
        assert says in answer["error"] and answer["detail"] == answer["error"]
        assert "Traceback" not in json.dumps(answer)


@pytest.mark.integration
@pytest.mark.slow
def test_the_chat_event_is_held_to_the_same_limits(server):
    respond = server.fns["respond"]
    client = Client(server)
    for question, status, says in (("why " * 300, 400, "limit is 1000"), ("", 400, "empty"),
                                   (["a list"], 422, "question")):
        got, body, _ = client.post("/gradio_api/queue/join", {
            "data": [question, None, None], "fn_index": respond, "session_hash": "s2"})
        assert got == status and says in body["detail"], body


@pytest.mark.integration
@pytest.mark.slow
def test_one_rate_limit_for_the_api_and_every_gradio_route(server):
    first = Client(server)
    assert [first.ask() for _ in range(5)] == [200] * 5
    assert first.ask() == 429
    respond = server.fns["respond"]
    calls = {**_gradio_calls(server, QUESTION, []),
             "chat": ("/gradio_api/queue/join", {"data": [QUESTION, None, None],
                                                 "fn_index": respond, "session_hash": "s3"})}
    for route, (path, body) in calls.items():
        status, answer, headers = first.post(path, body)
        assert (status, route) == (429, route), answer
        assert "too many questions" in answer["detail"] and headers["Retry-After"] == "60"
    # and the other way round: questions through Gradio use up /api/ask's
    second = Client(server)
    for _ in range(5):
        status, answer, _ = second.post("/gradio_api/run/ask", {"data": [QUESTION, []]})
        assert status == 200 and "Jiangxi University" in answer["data"][0]["answer"]
    assert second.ask() == 429
    assert Client(server).ask() == 200  # another client is not held back


@pytest.mark.integration
@pytest.mark.slow
def test_a_long_history_does_not_lengthen_the_search(server):
    earlier = "Which institution chairs the Jiangxi alliance and what did it create? " * 250
    status, answer, _ = Client(server).post("/api/ask", {
        "question": "And what did it create?",
        "history": [{"role": "user", "content": earlier[:19_000]}]})
    assert status == 200
    assert len(answer["query"]) <= 1000 + 1 + len("And what did it create?")


@pytest.mark.parametrize("path, body, status, says", [
    ("/gradio_api/queue/join", {"data": ["x"], "fn_index": 99, "session_hash": "s4"}, 422,
     "no function 99"),
    ("/gradio_api/queue/join", {"data": ["x"], "fn_index": -1, "session_hash": "s4"}, 422,
     "no function -1"),
    ("/gradio_api/queue/join", {"data": ["x"], "fn_index": "x", "session_hash": "s4"}, 422,
     "fn_index: must be a whole number"),
    ("/gradio_api/queue/join", [1, 2], 422, "not a JSON object"),
    ("/gradio_api/run/predict", {"data": ["x"], "fn_index": 99}, 422, "no function 99"),
    ("/gradio_api/run/predict", {"data": ["x"], "fn_index": 1.5}, 422, "whole number"),
    ("/gradio_api/run/predict", {"data": ["x"]}, 404, "no endpoint of that name"),
    ("/gradio_api/call/nothing", {"data": ["x"]}, 404, "no endpoint of that name"),
    ("/gradio_api/call/v2/nothing", {"question": "x"}, 404, "no endpoint of that name"),
])
@pytest.mark.integration
@pytest.mark.slow
def test_a_call_naming_no_function_gets_a_4xx_not_a_500(server, path, body, status, says):
    got, answer, _ = Client(server).post(path, body)
    assert got == status and says in answer["detail"], answer
    assert "Traceback" not in json.dumps(answer)


@pytest.mark.parametrize("path, call, status, says", [
    ("/gradio_api/run/predict", lambda fns: {"fn_index": fns["ask"], "data": [QUESTION]},
     422, "this function takes 2 inputs, not 1"),
    ("/gradio_api/run/ask", lambda fns: {"data": [QUESTION, [], "extra"]}, 422,
     "this function takes 2 inputs, not 3"),
    ("/gradio_api/call/ask", lambda fns: {"data": [QUESTION]}, 422, "takes 2 inputs, not 1"),
    ("/gradio_api/queue/join", lambda fns: {
        "fn_index": fns["respond"], "data": [QUESTION], "session_hash": "s5"}, 422,
     "this function takes 3 inputs, not 1"),
    ("/gradio_api/queue/join", lambda fns: {
        "fn_index": fns["show"], "data": ["", ""], "session_hash": "s5"}, 422,
     "this function takes 4 inputs, not 2"),
    # the chat's own functions are not the app's API: Gradio answered any error in them with 500
    ("/gradio_api/run/predict", lambda fns: {
        "fn_index": fns["show"], "data": ["", "", {}, ""]}, 404, "no endpoint of that name"),
    ("/gradio_api/call/show", lambda fns: {"data": ["", "", "", ""]}, 404,
     "no endpoint of that name"),
    ("/gradio_api/run/ask", lambda fns: {"data": [QUESTION, [{"role": "user",
                                                             "content": "\udc00"}]]}, 400,
     "not text"),
    ("/gradio_api/run/ask", lambda fns: {"data": {"question": QUESTION}}, 422,
     "data: must be a list"),
    ("/gradio_api/run/predict", lambda fns: {"fn_index": fns["load_example"], "data": [99]},
     422, "data.0: not the index of one of the"),  # an example the list does not have
    ("/gradio_api/call/v2/ask", lambda fns: {"question": QUESTION, "bogus": 1}, 422,
     "no parameter 'bogus' (the parameters are question, history)"),
    ("/gradio_api/call/v2/ask", lambda fns: {"history": []}, 422, "'question' missing"),
    ("/gradio_api/call/v2/show", lambda fns: {"country": ""}, 404, "no endpoint of that name"),
    ("/gradio_api/queue/join", lambda fns: {"fn_index": fns["show"], "data": ["", "", {}, ""],
                                            "session_hash": "s7"}, 422,
     "data.2: not one of the choices of Kind"),  # a kind the list lacks: the event failed
    # a thumbs up without the event's data: Gradio failed the event with a TypeError
    ("/gradio_api/queue/join", lambda fns: {"fn_index": fns["rate"], "data": [None, ""],
                                            "session_hash": "s7"}, 422, "event_data: this"),
    ("/gradio_api/queue/join", lambda fns: {"fn_index": fns["rate"], "data": [None, ""],
                                            "session_hash": "s7", "event_data": {"index": 1}},
     422, "needs its index and value"),
])
@pytest.mark.integration
@pytest.mark.slow
def test_a_gradio_call_with_arguments_it_cannot_take_gets_a_4xx_not_a_500(server, path, call,
                                                                          status, says):
    body = call(server.fns)
    got, answer, _ = Client(server).post(path, body)
    assert got == status and says in answer["detail"], answer
    assert "Traceback" not in json.dumps(answer)


def _send_slowly(sock: socket.socket, head: bytes, pieces: list[bytes], gap: float) -> None:
    """The headers at once, then the body a piece at a time until the server stops listening."""
    sock.sendall(head)
    for piece in pieces:
        time.sleep(gap)
        try:
            sock.sendall(piece)
        except OSError:  # closed by the server: what is being tested
            return


@pytest.mark.parametrize("path, chunked", [("/api/ask", False),
                                           ("/gradio_api/queue/join", True)])
@pytest.mark.integration
@pytest.mark.slow
def test_a_body_sent_slowly_gets_408_and_holds_up_no_one(server, path, chunked):
    """A client that sends its body a byte at a time (slowloris) is answered 408 and its
    connection closed once QA_BODY_TIMEOUT_S (3 s here) has passed, whatever it sends after;
    another client is answered meanwhile."""
    body = json.dumps({"question": QUESTION, "data": [QUESTION, None, None],
                       "fn_index": server.fns["respond"], "session_hash": "s6"}).encode()
    framing = b"Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(body)}".encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            .encode() + framing + b"\r\n\r\n")
    pieces = [b"1\r\n" + bytes([b]) + b"\r\n" if chunked else bytes([b]) for b in body]
    slow = socket.create_connection(("127.0.0.1", server.port), timeout=60,
                                    source_address=Client(server).source)
    sender = threading.Thread(target=_send_slowly, args=(slow, head, pieces, 0.2))
    sender.start()
    try:
        assert Client(server).ask() == 200
        reply = b""
        while chunk := slow.recv(65536):  # until the server closes the connection
            reply += chunk
    finally:
        slow.close()
        sender.join()
    status_line, _, rest = reply.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 408 Request Timeout", reply
    assert b"connection: close" in rest.lower()
    assert json.loads(rest.split(b"\r\n\r\n", 1)[1]) == {
        **({"detail": "the request body did not arrive within 3 s"} if chunked else {}),
        "error": "the request body did not arrive within 3 s"}


@pytest.mark.integration
@pytest.mark.slow
def test_thumbs_rate_only_answers_of_the_conversation(server):
    client = Client(server)
    session = uuid.uuid4().hex
    answered = client.run_event(server.fns["respond"], [QUESTION, None, None], session)
    assert answered["success"], answered
    rate = server.fns["rate"]
    for index in (-1, 0, 2, 99, "abc", [None], {"x": 1}):
        done = client.run_event(rate, [None, "a comment"], session,
                                {"index": index, "value": "x", "liked": True})
        assert not done["success"]
        assert done["output"]["error"].startswith("Only an answer in this conversation")
        assert "int()" not in done["output"]["error"]
    assert not Path(server.feedback).exists()
    done = client.run_event(rate, [None, "spot on"], session,
                            {"index": 1, "value": "x", "liked": True})
    assert done["success"], done
    [record] = [json.loads(line) for line in Path(server.feedback).read_text().splitlines()]
    assert (record["rating"], record["question"]) == ("up", QUESTION)
    assert "Jiangxi University of Finance and Economics" in record["answer"]


@pytest.mark.integration
@pytest.mark.slow
def test_a_long_chat_goes_on_working_and_rates_its_last_answer(server):
    """The chat keeps its conversation on the server: each question sends only itself, so the
    22nd question and later are answered like the first (the widget failed there), and a
    thumbs up on the last answer rates that answer."""
    session = uuid.uuid4().hex
    questions = ["Which institution chairs the Jiangxi alliance?",
                 "Where was it inaugurated?"] * 13
    for n, question in enumerate(questions):
        client = Client(server)  # a client of its own each time: the rate limit is not tested
        done = client.run_event(server.fns["respond"], [question, None, None], session)
        assert done["success"], (n, done)
        chat = done["output"]["data"][0]
        assert len(chat) == 2 * (n + 1)  # the whole conversation is still shown
    assert "Nanchang" in json.dumps(chat[-1], ensure_ascii=False)
    rated = Client(server).run_event(server.fns["rate"], [None, ""], session,
                                     {"index": len(chat) - 1, "value": "x", "liked": False})
    assert rated["success"], rated
    record = json.loads(Path(server.feedback).read_text().splitlines()[-1])
    assert (record["rating"], record["question"]) == ("down", questions[-1])
