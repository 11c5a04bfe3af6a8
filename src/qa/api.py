"""One web server: the HTTP API, the embeddable widget and the Gradio chat UI.

    POST /api/ask        {"question": "...", "history": [...]} -> Answer as JSON
    GET  /api/health     readiness: index present, document and chunk counts
    GET  /api/partnerships  the partnership table, filtered (country, institution, kind, year)
    GET  /api/docs       OpenAPI page (schema at /api/openapi.json)
    GET  /widget.js      the chat bubble any page can include with a script tag
    GET  /               the Gradio chat (its own API names the endpoint "ask")

Every route, Gradio's included, is behind qa.guard.BodyGuard (the body limit, however a body is
sent) and QuestionLimits (one rate limit, one set of question and history limits).
"""

import inspect
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from importlib import resources

from fastapi import Query, Request
from pydantic import BaseModel, Field, ValidationError

from qa.config import Settings
from qa.errors import BadQuestion, IndexMissing, QAError, StoreUnreachable
from qa.guard import GRADIO_PREFIX, BodyGuard, RateLimiter, Refusal, client_of, gradio_call

log = logging.getLogger("qa.api")
MAX_BODY_BYTES = 64 * 1024
MAX_HISTORY_TURNS = 40
QUESTION_ROUTES = ("/api/ask", "/api/ask/stream")


class Turn(BaseModel):
    role: str = Field(pattern="^(user|assistant)$")
    content: str = Field(max_length=20_000)


class ErrorBody(BaseModel):
    error: str = Field(description="What was wrong, written for the person who asked.")


ERRORS = {400: {"model": ErrorBody, "description": "An empty question, one over the length "
                "limit (QA_MAX_QUESTION_CHARS, 1000 by default), one that is not text, or a "
                "body that cannot be parsed (JSON nested too deep)"},
          408: {"model": ErrorBody, "description": "The body did not all arrive within "
                "QA_BODY_TIMEOUT_S seconds (10 by default); the connection is closed"},
          413: {"model": ErrorBody, "description": f"A body over {MAX_BODY_BYTES} bytes, however "
                "it is sent (a chunked body too)"},
          422: {"model": ErrorBody, "description": "Malformed JSON or fields (more than "
                f"{MAX_HISTORY_TURNS} history turns, a turn over 20000 characters)"},
          429: {"model": ErrorBody, "description": "Over QA_RATE_LIMIT_PER_MINUTE questions a "
                "minute from this client, through this API and the Gradio chat and API "
                "together"},
          503: {"model": ErrorBody, "description": "No index yet (run `qa index`), or the "
                "Chroma server of QA_CHROMA_URL cannot be reached"}}


class AskRequest(BaseModel):
    question: str = Field(description="The question, in any language: at most "
                          "QA_MAX_QUESTION_CHARS characters (1000 by default; a longer one gets "
                          "400).")
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS,
                                description="Earlier turns of the conversation, oldest first.")


class CitationOut(BaseModel):
    source: str = Field(description="The document, relative to the corpus folder.")
    quote: str = Field(description="The exact text that states the fact.")
    start: int = Field(description="Where the quote starts in the document's indexed text.")
    end: int = Field(description="Where it ends.")


class PartnershipOut(BaseModel):
    chinese_institution: str | None
    chinese_place: str | None = Field(description="The Chinese city or province.")
    foreign_institution: str | None
    foreign_country: str | None = Field(description="pycountry's English short name.")
    kind: str = Field(description="joint_institute, joint_programme, overseas_campus, alliance, "
                      "alliance_member, exchange or cooperation.")
    name: str | None = Field(description="The partnership's own name, where one is given.")
    level: str | None
    discipline: str | None
    date: str | None = Field(description="ISO: 2025, 2025-05 or 2025-11-17.")
    status: str | None = Field(description="approved, established, signed…; an alliance "
                               "member's role.")
    citations: list[CitationOut]


class PartnershipsOut(BaseModel):
    count: int
    partnerships: list[PartnershipOut]


def problems(errors: list[dict], skip: int = 0) -> str:
    """Pydantic's errors as 'field: what is wrong', without the values."""
    return "; ".join(f"{'.'.join(map(str, e.get('loc', ())[skip:])) or 'body'}: {e.get('msg')}"
                     for e in errors)


class QuestionLimits:
    """What every route that takes a question holds it to, in one place: the rate limit per
    client, the question's length and text, the history's turns. /api/ask's own checks are its
    request model; a Gradio function that takes a `question` (and a `history`) argument is
    checked here against the same model before Gradio queues it, whichever of Gradio's routes
    calls it (queue/join, run/, api/, call/, call/v2/). A call that names no function of the app
    gets a 4xx here rather than a 500 from Gradio, and so does one whose arguments are not the
    function's inputs (too few or too many; on call/v2 an unknown or a missing name)."""

    def __init__(self, settings: Settings, limiter: RateLimiter) -> None:
        self.settings = settings
        self.limiter = limiter
        self.blocks = None  # the Gradio app, once mounted
        self._inputs: dict[int, dict[str, int]] = {}
        self._api_info: dict | None = None  # the named endpoints, read once

    def judge(self, scope: dict, body: bytes) -> Refusal | None:
        if scope.get("method") != "POST":
            return None
        path = scope.get("path", "")
        if path in QUESTION_ROUTES:
            return self.rate_limited(scope)
        if self.blocks is None or not path.startswith(GRADIO_PREFIX):
            return None
        try:
            call = gradio_call(path, body)
        except ValueError as exc:
            return Refusal(422, f"malformed request: {exc}")
        if call is None:
            return None
        fn = self.function(call)
        if fn is None or isinstance(fn, Refusal):
            return fn
        wrong = self.arguments(call, fn)
        if wrong is not None:
            return wrong
        inputs = self.question_inputs(fn)
        if not inputs:
            return None
        return self.rate_limited(scope) or self.check(call.data, inputs)

    def rate_limited(self, scope: dict) -> Refusal | None:
        if self.limiter.allow(client_of(scope)):
            return None
        return Refusal(429, "too many questions; wait a minute and ask again",
                       {"Retry-After": "60"})

    def function(self, call) -> object:
        """The app's function the call names; a Refusal when it names none; None when the call
        names no function at all (Gradio answers that itself)."""
        fns = self.blocks.fns
        if call.fn_index is not None:
            if isinstance(call.fn_index, bool) or not isinstance(call.fn_index, int):
                return Refusal(422, "malformed request: fn_index: must be a whole number")
            if call.fn_index not in fns:
                return Refusal(422, f"malformed request: fn_index: this app has no function "
                               f"{call.fn_index} (the named endpoints are at /gradio_api/info)")
            return fns[call.fn_index]
        if call.api_name is not None:
            for fn in fns.values():
                if fn.api_name == call.api_name:
                    return fn
            return Refusal(404, "this app has no endpoint of that name (the named endpoints "
                           "are at /gradio_api/info)")
        return None

    def arguments(self, call, fn) -> Refusal | None:
        """A 4xx for arguments that are not the function's inputs, before Gradio sees them: it
        answers too few with a 500 on run/, queues them to fail on queue/join and call/, drops
        extra ones silently, and answers an unknown or missing name on call/v2 with a 500."""
        if call.route != "queue" and fn.api_visibility == "private" and fn.queue:
            # not the app's API (Gradio's clients may not call it), and the browser runs it
            # through the queue: Gradio's direct routes answer any error in it with a 500
            return Refusal(404, "this app has no endpoint of that name (the named endpoints "
                           "are at /gradio_api/info)")
        if not text_throughout(call.data):
            return Refusal(400, "The call holds characters that are not text (a lone UTF-16 "
                           "surrogate).")
        if call.route == "call/v2":
            parameters = self.parameters(call.api_name)
            if parameters is None:
                return Refusal(404, "this app has no endpoint of that name (the named endpoints "
                               "are at /gradio_api/info)")
            unknown = [name for name in call.data if name not in parameters]
            missing = [name for name, required in parameters.items()
                       if required and name not in call.data]
            if unknown or missing:
                said = [f"no parameter {', '.join(map(repr, unknown))}" if unknown else "",
                        f"{', '.join(map(repr, missing))} missing" if missing else ""]
                return Refusal(422, f"malformed request: {'; '.join(filter(None, said))} (the "
                               f"parameters are {', '.join(parameters) or 'none'})")
            return None
        if not isinstance(call.data, list):  # Gradio's own 422 would echo it, surrogates too
            return Refusal(422, "malformed request: data: must be a list of the arguments")
        counts = {len(fn.inputs)}
        if call.route == "call":  # call/ may leave out the inputs its API does not show
            counts.add(sum(not block.skip_api for block in fn.inputs))
        if len(call.data) not in counts:
            return Refusal(422, f"malformed request: data: this function takes "
                           f"{' or '.join(map(str, sorted(counts)))} inputs, not {len(call.data)}")
        import gradio as gr

        if self.takes_event_data(fn) and not (isinstance(call.event_data, dict) and {
                "index", "value"} <= set(call.event_data)):  # Gradio: the event fails
            return Refusal(422, "malformed request: event_data: this function answers an event "
                           "of the page (a message liked, a row selected) and needs its index "
                           "and value")
        for n, (block, value) in enumerate(zip(fn.inputs, call.data)):
            examples = len(block.samples or []) if isinstance(block, gr.Dataset) else None
            if examples is not None and value is not None and not (
                    type(value) is int and 0 <= value < examples):  # Gradio: 500, IndexError
                return Refusal(422, f"malformed request: data.{n}: not the index of one of the "
                               f"{examples} examples")
            if (isinstance(block, gr.Dropdown) and not block.allow_custom_value
                    and value is not None and not block.multiselect):  # Gradio: the event fails
                if value not in [choice for _, choice in block.choices]:  # as Gradio checks
                    return Refusal(422, f"malformed request: data.{n}: not one of the choices "
                                   f"of {block.label or 'the list'}")
        return None

    def parameters(self, api_name: str) -> dict[str, bool] | None:
        """A named endpoint's parameters, each with whether it must be given, as call/v2
        reads them; None for a name that no endpoint of the app's API has."""
        if self._api_info is None:
            self._api_info = self.blocks.get_api_info()["named_endpoints"]
        endpoint = self._api_info.get("/" + api_name)
        if endpoint is None:
            return None
        return {p["parameter_name"]: not p.get("parameter_has_default", False)
                for p in endpoint["parameters"] if "parameter_name" in p}

    @staticmethod
    def takes_event_data(fn) -> bool:
        """Whether the function is handed the event's data (gr.LikeData, gr.SelectData…)."""
        import gradio as gr

        return fn.fn is not None and any(
            isinstance(p.annotation, type) and issubclass(p.annotation, gr.EventData)
            for p in inspect.signature(fn.fn).parameters.values())

    def question_inputs(self, fn) -> dict[str, int]:
        """Where the function's `question` and `history` arguments are among its inputs."""
        if fn._id not in self._inputs:
            import gradio as gr

            special = (gr.Request, gr.EventData, gr.Progress)  # filled in by Gradio, not sent
            names = [] if fn.fn is None else [
                p.name for p in inspect.signature(fn.fn).parameters.values()
                if not (isinstance(p.annotation, type) and issubclass(p.annotation, special))
                and not isinstance(p.default, gr.Progress)]
            self._inputs[fn._id] = {n: i for i, n in enumerate(names)
                                    if n in ("question", "history")}
        return self._inputs[fn._id]

    def check(self, data: object, inputs: dict[str, int]) -> Refusal | None:
        """The refusal /api/ask would give this question and history, or None."""
        from qa.service import readable, validate_question

        if isinstance(data, dict):  # call/v2: by parameter name
            args = {name: data.get(name) for name in inputs}
        elif isinstance(data, list):
            args = {name: data[i] if i < len(data) else None for name, i in inputs.items()}
        else:
            return Refusal(422, "malformed request: data: must be a list of the arguments")
        history = args.get("history") or []
        try:
            AskRequest.model_validate({"question": args.get("question"), "history": history})
        except ValidationError as exc:
            return Refusal(422, f"malformed request: {problems(exc.errors())}")
        try:
            validate_question(args["question"], self.settings.max_question_chars)
        except BadQuestion as exc:
            return Refusal(400, str(exc))
        if not all(readable(turn["content"]) for turn in history):
            return Refusal(400, "A turn of the conversation holds characters that are not text "
                           "(control characters or a lone UTF-16 surrogate).")
        return None


class Following:
    """The service for the index's current generation, followed as `qa index` replaces it.

    Each use reads the pointer (index/CURRENT, a few bytes, or the `current` record on a Chroma
    server); when another generation is current, that use and
    every later one is answered from it, built with the models already loaded. The service it
    replaces answers the requests that began on it, then lets go of its generation (which the
    index frees then), so no request fails during the switch and no disk space is kept."""

    def __init__(self, settings: Settings, service=None) -> None:
        self.settings = settings
        self.fixed = service is not None  # a service handed in is used as it is
        self._service = service
        self._users: dict[int, int] = {}  # id(service) -> requests using it now
        self._failed = ""  # a generation that would not open: not tried again
        self._generations = None  # where the index lives; its pointer is read at each request
        self._lock = threading.Lock()

    @contextmanager
    def use(self) -> Iterator:
        """The service to answer one request with, kept open until the request ends."""
        retired: list = []
        try:
            with self._lock:
                service = self._current(retired)
                self._users[id(service)] = self._users.get(id(service), 0) + 1
        finally:
            for old in retired:  # outside the lock: freeing a generation takes a while
                old.close()
        try:
            yield service
        finally:
            with self._lock:
                self._users[id(service)] -= 1
                last = not self._users[id(service)] and service is not self._service
                if last:
                    del self._users[id(service)]
            if last:
                service.close()

    def _current(self, retired: list):
        """The service for the current generation, built if need be; a service it replaces and
        no request uses goes to `retired`, to be closed."""
        from qa.index import generation_of
        from qa.service import QAService, make_generations

        old = self._service
        if self.fixed:
            return old
        if self._generations is None:
            self._generations = make_generations(self.settings)
        name = self._generations.current() or ""
        if old is not None and name in (generation_of(old.store), self._failed):
            return old
        if old is None:
            new = QAService(self.settings)
            new.ask("warm up")  # loads the models now, not on a user's first question
        else:
            new = None
            try:  # the models already loaded, where the new generation was built with them
                built = self._generations.settings(name) if name else {}
                multilingual = old.retriever.multilingual
                same = built.get("multilingual_model") == (multilingual.name if multilingual
                                                           else None)
                new = QAService(self.settings, embedder=old.embedder, llm=old.llm,
                                multilingual=multilingual if same else None,
                                ranking=old.ranking)
                new.ask("warm up")  # the new generation's caches, before a user's question
            except IndexMissing:  # the index was emptied or removed: say so, as at start
                self._retire(old, retired)
                raise
            except Exception:  # never worse than before: the old generation goes on answering
                log.exception("cannot open the index's generation %s; answering from %s still",
                              name, generation_of(old.store))
                self._failed = name
                if new is not None:
                    retired.append(new)
                return old
        self._service = new
        if old is not None:
            self._retire(old, retired)
        return new

    def _retire(self, old, retired: list) -> None:
        if self._service is old:
            self._service = None
        if not self._users.get(id(old)):  # else the last request using it closes it
            self._users.pop(id(old), None)
            retired.append(old)

    @staticmethod
    def generation(service) -> str:
        """The name of the generation a service answers from ('' for one handed in)."""
        from qa.index import generation_of

        store = getattr(service, "store", None)
        return generation_of(store) if store is not None else ""


def text_throughout(value: object) -> bool:
    """No string in the value, key or item, holds a lone UTF-16 surrogate (which cannot be
    encoded, so Gradio fails on it with a 500)."""
    if isinstance(value, str):
        return not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return all(text_throughout(k) and text_throughout(v) for k, v in value.items())
    if isinstance(value, list):
        return all(map(text_throughout, value))
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
    from qa.service import validate_question

    services = Following(settings, service)

    app = FastAPI(title="qa: cited answers from your documents", docs_url="/api/docs",
                  openapi_url="/api/openapi.json", redoc_url=None)
    origins = allowed_origins(settings)
    limiter = RateLimiter(settings.rate_limit_per_minute)
    questions = QuestionLimits(settings, limiter)
    # innermost, so that its refusals pass through CORS and get the headers below
    app.add_middleware(BodyGuard, max_bytes=MAX_BODY_BYTES, judge=questions.judge,
                       body_seconds=settings.body_timeout_s)
    app.add_middleware(CORSMiddleware, allow_origins=origins, allow_methods=["GET", "POST"],
                       allow_headers=["Content-Type"])
    frame_ancestors = " ".join(["'self'", *origins])

    @app.middleware("http")
    async def guard(request: Request, call_next):
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
        return JSONResponse({"error": f"malformed request: {problems(exc.errors(), 1)}"}, 422)

    from starlette.exceptions import HTTPException

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        """FastAPI's own refusals (a body it cannot parse, nested too deep) in the shape of the
        API's others."""
        return JSONResponse({"error": str(exc.detail)}, exc.status_code, headers=exc.headers)

    @app.post("/api/ask", summary="Answer a question with citations", responses=ERRORS)
    def ask(body: AskRequest):
        try:
            with services.use() as service:
                answer = service.ask(body.question, [t.model_dump() for t in body.history])
        except BadQuestion as exc:
            return JSONResponse({"error": str(exc)}, 400)
        except (IndexMissing, StoreUnreachable) as exc:
            return JSONResponse({"error": str(exc)}, 503)
        except QAError as exc:
            return JSONResponse({"error": str(exc)}, 422)
        return asdict(answer)

    @app.post("/api/ask/stream", responses=ERRORS, summary="The same, streamed as JSON lines: "
              '{"token": …} while a model writes, then {"answer": …} (or {"error": …})')
    def ask_stream(body: AskRequest):
        from fastapi.responses import StreamingResponse

        try:  # a bad question is refused with a status code, before any streaming starts
            validate_question(body.question, settings.max_question_chars)
        except BadQuestion as exc:
            return JSONResponse({"error": str(exc)}, 400)
        history = [t.model_dump() for t in body.history]

        def lines():
            try:
                with services.use() as service:
                    for item in service.ask_stream(body.question, history):
                        if isinstance(item, str):
                            yield json.dumps({"token": item}, ensure_ascii=False) + "\n"
                        else:
                            yield json.dumps({"answer": asdict(item)}, ensure_ascii=False) + "\n"
            except QAError as exc:
                yield json.dumps({"error": str(exc)}, ensure_ascii=False) + "\n"

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    @app.get("/api/health", summary="Readiness: is there an index, how big, and which "
             "generation of it answers")
    def health():
        try:
            with services.use() as service:
                stats = {**service.stats(), "generation": services.generation(service)}
        except (IndexMissing, StoreUnreachable) as exc:
            return JSONResponse({"ready": False, "error": str(exc)}, 503)
        return {"ready": True, **stats}

    @app.get("/api/partnerships", response_model=PartnershipsOut,
             summary="The partnerships the documents state, each cited to its span",
             responses={400: {"model": ErrorBody, "description": "An unknown country or kind, "
                              "or a year that is not one"},
                        503: ERRORS[503]})
    def partnerships(country: str | None = Query(None, max_length=100, description=(
                         "A country's English name or adjective, or its Chinese name: Russia, "
                         "Russian and 俄罗斯 select the same rows.")),
                     institution: str | None = Query(None, max_length=200, description=(
                         "Words of a Chinese or foreign institution's name, in any case.")),
                     place: str | None = Query(None, max_length=100, description=(
                         "A Chinese city or province, English or Chinese: Jiangxi also "
                         "selects the rows placed in Nanchang.")),
                     kind: str | None = Query(None, max_length=50, description=(
                         "One of the kinds, or a word of one (programme, institute).")),
                     year: str | None = Query(None, max_length=10, description=(
                         "The year of the partnership's date, e.g. 2025."))):
        from qa.partnerships import BadFilter, select
        from qa.service import partnership_table

        try:
            rows, _ = partnership_table(settings)
            rows = select(rows, country=country, institution=institution, kind=kind, year=year,
                          place=place)
        except BadFilter as exc:
            return JSONResponse({"error": str(exc)}, 400)
        except IndexMissing as exc:
            return JSONResponse({"error": str(exc)}, 503)
        return {"count": len(rows), "partnerships": [r.to_dict() for r in rows]}

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
        blocks = build_ui(services.use, feedback)
        questions.blocks = blocks
        # show_error=False: an unexpected error's text stays in the server log; the messages
        # the UI raises on purpose (gr.Error) are still shown
        app = gr.mount_gradio_app(app, blocks, path="/", css=CSS, footer_links=["api"],
                                  show_error=False)
    return app


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the server until interrupted."""
    import uvicorn

    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
