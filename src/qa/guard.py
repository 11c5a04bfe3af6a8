"""Bounded work for every HTTP request, whatever route serves it.

`BodyGuard` is an ASGI middleware in front of the API and of the Gradio app mounted beside it. It
reads a request's body as it streams in, counting bytes (a chunked body has no Content-Length to
trust), and answers 413 as soon as the count passes the limit; only a whole body within the limit
is handed on. A body that has not all arrived within `body_seconds` of the request gets 408 and the
connection is closed, so a client that sends a byte at a time (slowloris) holds a socket for a
bounded time, and never a worker or the search lock (no app code runs before the body is whole).
Before it is handed on, a `Judge` may refuse the request (a rate limit, a question's limits)
with a 4xx of its own. `gradio_call` reads which function a call to Gradio's HTTP API names."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Refusal:
    """A 4xx answer: the status, a message for the person who sent the request, headers."""

    status: int
    message: str
    headers: dict[str, str] = field(default_factory=dict)


Judge = Callable[[dict, bytes], "Refusal | None"]  # (ASGI scope, whole body) -> refusal or None


class RateLimiter:
    """At most `per_minute` requests per client in any sliding minute."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._seen: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> bool:
        if self.per_minute <= 0:
            return True
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen[client]
            while seen and now - seen[0] >= 60.0:
                seen.popleft()
            if len(seen) >= self.per_minute:
                return False
            seen.append(now)
            return True


def client_of(scope: dict) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


class BodyGuard:
    """ASGI middleware: a body over `max_bytes` gets 413 however it is sent, and one not whole
    within `body_seconds` gets 408; `judge` sees every whole body first. Refusals are JSON
    {"error": message}; on Gradio's routes also {"detail": message}, the key its browser client
    shows."""

    def __init__(self, app, max_bytes: int, judge: Judge | None = None,
                 body_seconds: float = 10.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.judge = judge
        self.body_seconds = body_seconds

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_big = Refusal(413, f"request body over {self.max_bytes} bytes")
        length = dict(scope.get("headers") or []).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.max_bytes:
            await self.refuse(scope, send, too_big)
            return
        parts: list[bytes] = []
        size = 0
        more = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_seconds
        while more:
            try:
                message = await asyncio.wait_for(receive(), deadline - loop.time())
            except TimeoutError:
                await self.refuse(scope, send, Refusal(
                    408, f"the request body did not arrive within {self.body_seconds:g} s",
                    {"Connection": "close"}))
                return
            if message["type"] == "http.disconnect":
                return  # the client left: there is no one to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:  # refused before the rest is read or kept
                await self.refuse(scope, send, too_big)
                return
            parts.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(parts)
        refusal = self.judge(scope, body) if self.judge else None
        if refusal is not None:
            await self.refuse(scope, send, refusal)
            return
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:  # after the body, the client's disconnect as the server reports it
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    @staticmethod
    async def refuse(scope: dict, send, refusal: Refusal) -> None:
        content = {"error": refusal.message}
        if scope.get("path", "").startswith(GRADIO_PREFIX):
            content["detail"] = refusal.message
        data = json.dumps(content, ensure_ascii=False).encode()
        headers = [(b"content-type", b"application/json"),
                   (b"content-length", str(len(data)).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in refusal.headers.items()]
        await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
        await send({"type": "http.response.body", "body": data})


GRADIO_PREFIX = "/gradio_api/"
# The routes of Gradio's HTTP API that run an app function, and how each names it: queue/join by
# fn_index, run/ and api/ by fn_index or else by name, call/ and call/v2/ by name (v2: the
# arguments by parameter name rather than in a list).
_GRADIO_CALL = re.compile(r"/gradio_api/(?:(queue)/join|(run|api)/([^/]+)|call/(v2/)?([^/]+))/?")


@dataclass(frozen=True)
class GradioCall:
    """A call to one of the app's functions through Gradio's HTTP API."""

    fn_index: object  # as sent: None when the call names its function by api_name
    api_name: str | None
    data: object  # the arguments: a list in order, or (call/v2) a dict by parameter name
    route: str = "queue"  # queue, run (run/ and api/), call or call/v2
    event_data: object = None  # what the page says of the event (the message liked…)


def gradio_call(path: str, body: bytes) -> GradioCall | None:
    """The call a POST to `path` makes; None for a path that calls no function. ValueError
    when the body is not a JSON object."""
    match = _GRADIO_CALL.fullmatch(path)
    if not match:
        return None
    queue, direct, direct_name, v2, called_name = match.groups()
    try:
        payload = json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError("the body is not JSON") from exc
    if not isinstance(payload, dict):
        raise ValueError("the body is not a JSON object")
    if v2:
        return GradioCall(None, called_name, payload, "call/v2")
    fn_index = payload.get("fn_index") if (queue or direct) else None
    name = None if queue else (direct_name or called_name)
    return GradioCall(fn_index, name, payload.get("data"),
                      "queue" if queue else "run" if direct else "call",
                      payload.get("event_data"))
