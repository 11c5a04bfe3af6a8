"""The Gradio chat. `build_ui` returns the Blocks and never launches them, so any host can mount
them; the formatting helpers are plain functions. Every text from a document or a user is
escaped before it is shown: nothing in a corpus can run script or render active content."""

import html
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager as ContextManager
from dataclasses import asdict
from pathlib import Path

CONTEXT_CHARS = 240  # characters of the document shown around a quote
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")
_MARKER = re.compile(r"\[(\d+)\]")
CSS = """
.qa-source { border-left: 3px solid #3b6ea5; padding: 4px 10px; margin: 8px 0; }
.qa-source blockquote { margin: 6px 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.qa-source mark { background: #fff3a3; }
.qa-meta { color: #666; font-size: 0.9em; }
"""


def escape_markdown(text: str) -> str:
    """Text that markdown and HTML both show literally."""
    return html.escape(_MARKDOWN_SPECIAL.sub(r"\\\1", text), quote=False)


def answer_markdown(answer: dict) -> str:
    """The answer with its [n] markers linked to the sources panel; all else escaped. Its lead
    line, the phrase that answers, comes first in bold, as a paragraph of its own."""
    text, parts = answer["answer"], []
    lead = answer.get("lead") or ""
    if lead and text.startswith(lead + "\n"):
        parts.append(f"**{escape_markdown(lead)}**\n\n")
        text = text[len(lead) + 1:]
    last = 0
    for match in _MARKER.finditer(text):
        parts.append(escape_markdown(text[last:match.start()]))
        n = match.group(1)
        parts.append(f"[\\[{n}\\]](#qa-source-{n})")
        last = match.end()
    parts.append(escape_markdown(text[last:]))
    return "".join(parts)


def sources_html(answer: dict, documents: dict) -> str:
    """One block per citation: title, publisher, date, file, and the quote highlighted inside
    the text around it."""
    if not answer.get("citations"):
        return "<p class='qa-meta'>No sources: the documents don't hold an answer.</p>"
    blocks = []
    for c in answer["citations"]:
        text = documents.get(c["source"], {}).get("text", "")
        before = text[max(0, c["start"] - CONTEXT_CHARS):c["start"]]
        after = text[c["end"]:c["end"] + CONTEXT_CHARS]
        about = " · ".join(html.escape(x) for x in (c.get("author"), c.get("publisher"),
                                                     c.get("date"), c["source"]) if x)
        blocks.append(
            f"<div class='qa-source' id='qa-source-{int(c['n'])}'>"
            f"<b>[{int(c['n'])}] {html.escape(c['title'])}</b><br>"
            f"<span class='qa-meta'>{about}, characters {int(c['start'])}–{int(c['end'])}</span>"
            f"<blockquote>{'…' if c['start'] > CONTEXT_CHARS else ''}{html.escape(before)}"
            f"<mark>{html.escape(c['quote'])}</mark>{html.escape(after)}"
            f"{'…' if c['end'] + CONTEXT_CHARS < len(text) else ''}</blockquote></div>")
    return "\n".join(blocks)


def status_line(question: str, answer: dict) -> str:
    """Abstained or not, latency, and the searched query when a follow-up was rewritten."""
    total = answer.get("timings_ms", {}).get("total", 0.0)
    state = "no answer in the documents" if answer["abstained"] else (
        f"{len(answer['citations'])} source{'s' if len(answer['citations']) != 1 else ''}")
    line = f"{state} · {total:.0f} ms"
    generation = answer.get("generation") or {}
    if generation.get("mode") == "fallback":
        line += f" · extractive answer: {escape_markdown(generation.get('reason', ''))}"
    elif generation.get("mode") == "llm" and generation.get("dropped"):
        line += f" · {generation['dropped']} unsupported sentence(s) left out"
    query = answer.get("query") or ""
    if query and query.strip() != question.strip():
        line += f" · searched: “{escape_markdown(query)}”"
    return line


def example_questions(corpus_dir: Path) -> list[str]:
    """Questions from `<corpus>/.examples.txt`, one a line (hidden files are not indexed)."""
    path = corpus_dir / ".examples.txt"
    if not path.exists():
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _history(messages: list[dict]) -> list[dict]:
    """Chat messages as the service's history: plain text turns."""
    out = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):  # Gradio may hand back content as parts
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        out.append({"role": message["role"], "content": re.sub(r"\[\\?\[(\d+)\\?\]\]\(#[^)]*\)",
                                                               r"[\1]", str(content or ""))})
    return out


def rated_answer(index: object, answers: list) -> dict:
    """The answer a thumbs up or down is for: the assistant message at chat position `index`
    (user and assistant messages alternate). ValueError, with a message for the user, for any
    other index: a negative one, a user's message, one past the end, not a number."""
    if isinstance(index, (list, tuple)) and len(index) == 1:  # Gradio's [row] form
        index = index[0]
    if isinstance(index, bool) or not isinstance(index, int):
        raise ValueError("Only an answer in this conversation can be rated; this rating names "
                         "no message.")
    position, is_answer = divmod(index, 2)
    if index < 0 or not is_answer or position >= len(answers) or answers[position] is None:
        raise ValueError(f"Only an answer in this conversation can be rated; message {index} "
                         "is not one.")
    return answers[position]


TABLE_COLUMNS = ("Chinese institution", "Place", "Foreign institution", "Country", "Kind", "Name",
                 "Level", "Discipline", "Date", "Status", "Source")


def partnership_frame(rows: list) -> "pandas.DataFrame":  # noqa: F821
    """The rows as the tab's table shows them, one line a partnership."""
    import pandas as pd

    from qa.partnerships import KIND_WORDS

    return pd.DataFrame([[r.chinese_institution or "", r.chinese_place or "",
                          r.foreign_institution or "", r.foreign_country or "",
                          KIND_WORDS[r.kind], r.name or "", r.level or "", r.discipline or "",
                          r.date or "", r.status or "", r.source] for r in rows],
                        columns=list(TABLE_COLUMNS))


def partnership_counts(rows: list) -> tuple:
    """Two frames for the charts: partnerships by foreign country, and by year (rows that
    name no country, or no date, are counted as such)."""
    import pandas as pd

    def count(values: list[str], column: str) -> "pd.DataFrame":
        counted: dict[str, int] = {}
        for value in values:
            counted[value] = counted.get(value, 0) + 1
        return pd.DataFrame(sorted(counted.items()), columns=[column, "partnerships"])

    return (count([r.foreign_country or "(no country named)" for r in rows], "country"),
            count([r.date[:4] if r.date else "(no date)" for r in rows], "year"))


def partnership_source_html(row, documents: dict) -> str:
    """Each span a partnership is cited to, highlighted in the text around it."""
    citations = [{"n": i, "source": c.source, "quote": c.quote, "start": c.start, "end": c.end,
                  "title": documents.get(c.source, {}).get("title") or c.source,
                  "publisher": documents.get(c.source, {}).get("publisher", ""),
                  "date": documents.get(c.source, {}).get("date", "")}
                 for i, c in enumerate(row.citations, 1)]
    return sources_html({"citations": citations}, documents)


def build_ui(use_service: Callable[[], ContextManager], feedback) -> "gr.Blocks":  # noqa: F821
    """The chat, sources panel, status line, examples, new-conversation and feedback.

    A function that takes a `question` (and a `history`) argument is held by qa.api to the
    limits /api/ask has, before Gradio queues the call. The conversation is kept on the server
    (gr.State), so the browser sends only the new question, however long the chat grows."""
    import gradio as gr

    from qa.errors import QAError

    def ask_api(question: str, history: list[dict] | None = None) -> dict:
        """Answer a question (with optional earlier turns) and return the Answer as a dict."""
        try:
            with use_service() as service:
                return asdict(service.ask(question, history or []))
        except QAError as exc:
            raise gr.Error(str(exc)) from exc

    def respond(question: str, chat: list[dict], answers: list) -> Iterator:
        """answers: one entry a question, the answer (None where it failed), so that the n-th
        question's answer is message 2n+1 of the chat."""
        messages = list(chat or [])
        history = _history(messages)  # the service reads the last turns of it
        messages.append({"role": "user", "content": escape_markdown(question)})
        try:
            written = ""
            with use_service() as service:  # the generation that answers, held to the end
                documents = service.documents
                for item in service.ask_stream(question, history):
                    if isinstance(item, str):  # a model's token: show the draft as it grows
                        written += item
                        draft = {"role": "assistant", "content": escape_markdown(written)}
                        yield messages + [draft], gr.update(), gr.update(), "writing…", answers, ""
                    else:
                        answer = asdict(item)
        except QAError as exc:
            messages.append({"role": "assistant", "content": escape_markdown(str(exc))})
            answers = answers + [None]
            yield (messages, messages, gr.update(), f"⚠ {escape_markdown(str(exc))}", answers,
                   question)
            return
        shown = answer_markdown(answer)
        pieces = re.split(r"(?<=\))\s+", shown)  # stream the answer part by part
        messages.append({"role": "assistant", "content": ""})
        for i in range(1, len(pieces) + 1):
            messages[-1] = {"role": "assistant", "content": " ".join(pieces[:i])}
            yield messages, gr.update(), gr.update(), "composing…", answers, ""
        answers = answers + [{"question": question, **answer}]
        yield (messages, messages, sources_html(answer, documents),
               status_line(question, answer), answers, "")

    def rate(data: gr.LikeData, answers: list, comment: str):
        try:
            answer = rated_answer(data.index, answers or [])
        except ValueError as exc:
            raise gr.Error(str(exc)) from None
        feedback.add("up" if data.liked else "down", answer["question"], answer, comment or "")
        gr.Info("Thank you: your rating is saved.")
        return ""

    def new_conversation():
        return [], [], "", "", [], ""

    with gr.Blocks(title="Ask the documents") as blocks:
        with gr.Tab("Chat", elem_id="qa-tab-chat"):
            gr.Markdown("### Ask the documents\nAnswers quote the passages they come from; "
                        "click a [n] to see it.")
            with gr.Row():
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(height=460, sanitize_html=True, allow_tags=False,
                                         render_markdown=True, label="Chat",
                                         feedback_options=("Like", "Dislike"), elem_id="qa-chat")
                    status = gr.Markdown(elem_id="qa-status")
                    question = gr.Textbox(label="Question", placeholder="Ask in English or 中文…",
                                          max_lines=4, elem_id="qa-question")
                    with gr.Row():
                        send = gr.Button("Ask", variant="primary", elem_id="qa-ask")
                        clear = gr.Button("New conversation", elem_id="qa-new")
                    comment = gr.Textbox(label="Comment (optional; saved with your thumbs up or down)",
                                         max_lines=3)
                    try:
                        with use_service() as service:
                            examples = example_questions(service.settings.corpus_dir)
                    except QAError:
                        examples = []
                    if examples:
                        gr.Examples(examples=examples, inputs=question, label="Try")
                with gr.Column(scale=2):
                    gr.Markdown("#### Sources")
                    sources = gr.HTML(elem_id="qa-sources")
            chat = gr.State([])  # the messages shown, kept on the server
            answers = gr.State([])
            outputs = [chatbot, chat, sources, status, answers, question]
            send.click(respond, [question, chat, answers], outputs, api_visibility="private")
            question.submit(respond, [question, chat, answers], outputs, api_visibility="private")
            clear.click(new_conversation, None, [chatbot, chat, sources, status, answers, comment],
                        api_visibility="private")
            chatbot.like(rate, [answers, comment], comment, api_visibility="private")
        with gr.Tab("Partnerships", elem_id="qa-tab-partnerships"):
            _partnerships_tab(blocks, use_service)
        gr.api(ask_api, api_name="ask")
    return blocks


def _partnerships_tab(blocks, use_service: Callable[[], ContextManager]) -> None:
    """The partnership table: filters, the table, the quoted source of the row clicked, a CSV
    download and charts by country and by year."""
    import tempfile

    import gradio as gr

    from qa.errors import QAError
    from qa.partnerships import KINDS, csv_text, rows_of, select

    def show(country: str, institution: str, kind: str, year: str):
        try:
            with use_service() as service:
                rows = select(rows_of(service.documents), country=country or None,
                              institution=institution or None, kind=kind or None,
                              year=year or None)
        except QAError as exc:
            raise gr.Error(str(exc)) from exc
        folder = Path(tempfile.mkdtemp(prefix="qa-partnerships-"))
        path = folder / "partnerships.csv"
        path.write_text(csv_text(rows), encoding="utf-8")
        by_country, by_year = partnership_counts(rows)
        found = f"{len(rows)} partnership{'s' if len(rows) != 1 else ''}; click a row to see " \
                "its source."
        return (partnership_frame(rows), [r.to_dict() for r in rows], str(path), by_country,
                by_year, found, "")

    def open_source(shown: list, evt: gr.SelectData):
        from qa.partnerships import Partnership

        index = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        if not isinstance(index, int) or not 0 <= index < len(shown or []):
            return ""
        with use_service() as service:
            return partnership_source_html(Partnership.from_dict(shown[index]), service.documents)

    gr.Markdown("### Partnerships\nEvery partnership the documents state, each with the passage "
                "that states it.")
    with gr.Row():
        country = gr.Textbox(label="Country", placeholder="Russia, Russian, 俄罗斯",
                             elem_id="qa-p-country")
        institution = gr.Textbox(label="Institution", placeholder="words of a name",
                                 elem_id="qa-p-institution")
        kind = gr.Dropdown(choices=[("any", "")] + [(k.replace("_", " "), k) for k in KINDS],
                           value="", label="Kind", elem_id="qa-p-kind")
        year = gr.Textbox(label="Year", placeholder="2025", elem_id="qa-p-year")
    with gr.Row():
        apply = gr.Button("Filter", variant="primary", elem_id="qa-p-filter")
        download = gr.DownloadButton("Download CSV", elem_id="qa-p-csv")
    found = gr.Markdown(elem_id="qa-p-found")
    table = gr.Dataframe(headers=list(TABLE_COLUMNS), interactive=False, wrap=True,
                         elem_id="qa-p-table")
    source = gr.HTML(elem_id="qa-p-source")
    with gr.Row():
        by_country = gr.BarPlot(x="country", y="partnerships", title="By country", y_lim=[0, None],
                                elem_id="qa-p-by-country")
        by_year = gr.BarPlot(x="year", y="partnerships", title="By year", y_lim=[0, None],
                             elem_id="qa-p-by-year")
    shown = gr.State([])
    inputs = [country, institution, kind, year]
    outputs = [table, shown, download, by_country, by_year, found, source]
    apply.click(show, inputs, outputs, api_visibility="private")
    for box in (country, institution, year):
        box.submit(show, inputs, outputs, api_visibility="private")
    table.select(open_source, shown, source, api_visibility="private")
    blocks.load(show, inputs, outputs, api_visibility="private")
