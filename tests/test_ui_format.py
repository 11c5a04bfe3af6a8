"""The chat's formatting helpers: everything from documents and users is shown as text."""

from qa.api import RateLimiter
from qa.feedback import FeedbackStore
from qa.ui import _history, answer_markdown, escape_markdown, sources_html, status_line

EVIL = '<script>alert(1)</script> <img src=x onerror="alert(2)"> [x](javascript:alert(3))'


def _answer(text: str, quote: str = "q", **extra) -> dict:
    return {"answer": text, "abstained": False, "query": "Q", "timings_ms": {"total": 12.3},
            "citations": [{"n": 1, "source": "a.txt", "title": "T <i>", "quote": quote,
                           "start": 6, "end": 6 + len(quote), "publisher": "P", "date": "2025-01-01"}],
            **extra}


def test_markdown_answer_links_markers_and_escapes_the_rest():
    shown = answer_markdown(_answer(f"{EVIL} [1]"))
    assert "[\\[1\\]](#qa-source-1)" in shown
    assert "<script>" not in shown and "<img" not in shown
    assert "](javascript:" not in shown  # the brackets are escaped, so no link is formed
    assert "&lt;script&gt;" in shown


def test_sources_panel_escapes_and_highlights_the_quote_in_context():
    documents = {"a.txt": {"text": "Before " + EVIL + " after."}}
    html = sources_html(_answer("x [1]", quote=EVIL), documents)
    assert "<script>" not in html and "<img" not in html and "javascript:alert" in html
    assert "<mark>&lt;script&gt;" in html and "id='qa-source-1'" in html
    assert "T &lt;i&gt;" in html and "P · 2025-01-01 · a.txt" in html
    answer = _answer("x [1]")
    answer["citations"][0]["author"] = "Feng <b>X</b>"
    assert "Feng &lt;b&gt;X&lt;/b&gt; · P · 2025-01-01 · a.txt" in sources_html(answer, documents)


def test_status_line_and_escape():
    assert status_line("Q", _answer("x [1]")) == "1 source · 12 ms"
    rewritten = status_line("When?", _answer("x [1]", query="Who signed? When?"))
    assert "searched: “Who signed? When?”" in rewritten
    assert status_line("Q", {**_answer("x"), "abstained": True, "citations": []}).startswith(
        "no answer in the documents")
    assert escape_markdown("*a* <b>") == "\\*a\\* &lt;b&gt;"


def test_chat_messages_become_plain_history():
    messages = [{"role": "user", "content": "Who?"},
                {"role": "assistant", "content": "Leicester [\\[1\\]](#qa-source-1)"}]
    assert _history(messages)[1] == {"role": "assistant", "content": "Leicester [1]"}


def test_rate_limiter_counts_a_sliding_minute_per_client():
    limiter = RateLimiter(2)
    assert limiter.allow("a", 0.0) and limiter.allow("a", 1.0)
    assert not limiter.allow("a", 2.0)
    assert limiter.allow("b", 2.0)
    assert limiter.allow("a", 60.5)
    assert RateLimiter(0).allow("a", 0.0)


def test_feedback_is_stored_and_read_back(tmp_path):
    store = FeedbackStore(tmp_path / "fb" / "feedback.jsonl")
    store.add("up", "Who?", _answer("Leicester [1]"), " great ")
    store.add("down", "When?", _answer("No idea"))
    with open(store.path, "a") as handle:
        handle.write('{"cut short')  # a crash mid-write loses only that line
    records = store.read()
    assert [(r["rating"], r["comment"]) for r in records] == [("up", "great"), ("down", "")]
    assert records[0]["citations"][0]["source"] == "a.txt"
