"""One web server: the HTTP API, the embeddable widget and the Gradio chat UI.

    POST /api/ask        {"question": "...", "history": [...]} -> Answer as JSON
    GET  /api/health     readiness: index present, document and chunk counts
    GET  /api/docs       OpenAPI page (schema at /api/openapi.json)
    GET  /widget.js      the chat bubble any page can include with a script tag
    GET  /               the Gradio chat (its own API names the endpoint "ask")
"""

import json
import logging
import threading
import time
from collections import defaultdict, deque
from dataclasses import asdict
from importlib import resources

from fastapi import Request
from pydantic import BaseModel, Field

from qa.config import Settings
from qa.errors import BadQuestion, IndexMissing, QAError

log = logging.getLogger("qa.api")
MAX_BODY_BYTES = 64 * 1024
MAX_HISTORY_TURNS = 40


class Turn(BaseModel):
    role: str = Field(pattern="^(user|assistant)$")
    content: str = Field(max_length=20_000)


class ErrorBody(BaseModel):
    error: str = Field(description="What was wrong, written for the person who asked.")


ERRORS = {400: {"model": ErrorBody, "description": "An empty question, one over the length "
                "limit (QA_MAX_QUESTION_CHARS, 1000 by default), or one that is not text"},
          413: {"model": ErrorBody, "description": f"A body over {MAX_BODY_BYTES} bytes"},
          422: {"model": ErrorBody, "description": "Malformed JSON or fields"},
          429: {"model": ErrorBody, "description": "Over QA_RATE_LIMIT_PER_MINUTE questions"},
          503: {"model": ErrorBody, "description": "No index yet: run `qa index`"}}


class AskRequest(BaseModel):
    question: str = Field(description="The question, in any language: at most "
                          "QA_MAX_QUESTION_CHARS characters (1000 by default; a longer one gets "
                          "400).")
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS,
                                description="Earlier turns of the conversation, oldest first.")


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


def allowed_origins(settings: Settings) -> list[str]:
    return [o.strip().rstrip("/") for o in settings.allowed_origins.split(",") if o.strip()]


def create_app(settings: Settings, service=None, with_ui: bool = True) -> "FastAPI":  # noqa: F821
    """The FastAPI app; `service` is built from the settings when not given (and when the
    index is missing, /api/health says so and /api/ask answers 503 with what to run)."""
    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import JSONResponse, Response

    from qa.feedback import FeedbackStore
    from qa.service import QAService, validate_question

    state: dict = {"service": service}
    lock = threading.Lock()

    def get_service():
        with lock:
            if state["service"] is None:
                service = QAService(settings)
                service.ask("warm up")  # loads the models now, not on a user's first question
                state["service"] = service
            return state["service"]

    app = FastAPI(title="qa: cited answers from your documents", docs_url="/api/docs",
                  openapi_url="/api/openapi.json", redoc_url=None)
    origins = allowed_origins(settings)
    app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type"])
    limiter = RateLimiter(settings.rate_limit_per_minute)
    frame_ancestors = " ".join(["'self'", *origins])

    @app.middleware("http")
    async def guard(request: Request, call_next):
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return JSONResponse({"error": f"request body over {MAX_BODY_BYTES} bytes"}, 413)
        try:
            response = await call_next(request)
        except Exception:  # never a traceback or a server path to the user, but in the log
            log.exception("error answering %s %s", request.method, request.url.path)
            response = JSONResponse({"error": "internal error; the server log has details"}, 500)
        response.headers["Content-Security-Policy"] = f"frame-ancestors {frame_ancestors}"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    from fastapi.exceptions import RequestValidationError

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        """A 422 that says which field is wrong, without echoing its value (NaN cannot be
        written as JSON, and a value is the client's own)."""
        problems = "; ".join(f"{'.'.join(map(str, e.get('loc', ())[1:])) or 'body'}: {e.get('msg')}"
                             for e in exc.errors())
        return JSONResponse({"error": f"malformed request: {problems}"}, 422)

    def too_many(request: Request):
        """A 429 answer when this client has used up its questions for the minute, else None."""
        client = request.client.host if request.client else "unknown"
        if limiter.allow(client):
            return None
        return JSONResponse({"error": "too many questions; wait a minute and ask again"}, 429,
                            headers={"Retry-After": "60"})

    @app.post("/api/ask", summary="Answer a question with citations", responses=ERRORS)
    def ask(body: AskRequest, request: Request):
        if refused := too_many(request):
            return refused
        try:
            answer = get_service().ask(body.question, [t.model_dump() for t in body.history])
        except BadQuestion as exc:
            return JSONResponse({"error": str(exc)}, 400)
        except IndexMissing as exc:
            return JSONResponse({"error": str(exc)}, 503)
        except QAError as exc:
            return JSONResponse({"error": str(exc)}, 422)
        return asdict(answer)

    @app.post("/api/ask/stream", responses=ERRORS, summary="The same, streamed as JSON lines: "
              '{"token": …} while a model writes, then {"answer": …} (or {"error": …})')
    def ask_stream(body: AskRequest, request: Request):
        from fastapi.responses import StreamingResponse

        if refused := too_many(request):
            return refused
        try:  # a bad question is refused with a status code, before any streaming starts
            validate_question(body.question, settings.max_question_chars)
        except BadQuestion as exc:
            return JSONResponse({"error": str(exc)}, 400)
        history = [t.model_dump() for t in body.history]

        def lines():
            try:
                for item in get_service().ask_stream(body.question, history):
                    if isinstance(item, str):
                        yield json.dumps({"token": item}, ensure_ascii=False) + "\n"
                    else:
                        yield json.dumps({"answer": asdict(item)}, ensure_ascii=False) + "\n"
            except QAError as exc:
                yield json.dumps({"error": str(exc)}, ensure_ascii=False) + "\n"

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    @app.get("/api/health", summary="Readiness: is there an index, and how big")
    def health():
        try:
            stats = get_service().stats()
        except IndexMissing as exc:
            return JSONResponse({"ready": False, "error": str(exc)}, 503)
        return {"ready": True, **stats}

    widget = resources.files("qa").joinpath("static/widget.js").read_text(encoding="utf-8")

    @app.get("/widget.js", include_in_schema=False)
    def widget_js():
        return Response(widget, media_type="application/javascript",
                        headers={"Cache-Control": "public, max-age=300",
                                 "Access-Control-Allow-Origin": "*"})

    if with_ui:
        import gradio as gr

        from qa.ui import CSS, build_ui

        feedback = FeedbackStore(settings.data_dir / "feedback.jsonl")
        blocks = build_ui(get_service, feedback)
        app = gr.mount_gradio_app(app, blocks, path="/", css=CSS, footer_links=["api"])
    return app


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the server until interrupted."""
    import uvicorn

    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
