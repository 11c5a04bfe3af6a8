"""Real headless Chromium (Debian's, driven by Playwright): the widget on a page served from
another origin, the Gradio chat, and a hostile document whose payload must not run.
Screenshots go to artifacts/."""

import functools
import json
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from conftest import ROOT, Server, free_port

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOSTILE_QUESTION = "Which university does the Evil Institute partner with?"


class HTTPServerOn:
    """A static file server for `folder` on a free loopback port: an origin of its own."""

    def __init__(self, folder: Path) -> None:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()


@pytest.fixture(scope="module")
def host_page(tmp_path_factory):
    """examples/embed.html, served by a plain file server on its own port (another origin)."""
    folder = tmp_path_factory.mktemp("host")
    static = HTTPServerOn(folder)
    yield folder, static.url
    static.stop()


@pytest.fixture(scope="module")
def server(indexed_corpus, host_page):
    _, origin = host_page
    with Server({**indexed_corpus, "QA_ALLOWED_ORIGINS": origin}) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "install Debian's chromium (see .ci/run)"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


def _page_with_widget(browser, host_page, server):
    folder, origin = host_page
    html = (ROOT / "examples" / "embed.html").read_text().replace("http://127.0.0.1:7860",
                                                                  server.url)
    (folder / "index.html").write_text(html)
    page = browser.new_page(viewport={"width": 1100, "height": 760})
    page.goto(origin + "/index.html")
    return page


def _ask_widget(page, question):
    page.locator("qa-widget .bubble").click()
    page.locator("qa-widget input").fill(question)
    page.locator("qa-widget form button").click()
    page.locator("qa-widget .msg.bot .status").last.wait_for(timeout=60_000)


def test_widget_on_another_origin_answers_with_a_working_citation(browser, host_page, server):
    ARTIFACTS.mkdir(exist_ok=True)
    page = _page_with_widget(browser, host_page, server)
    title_style = page.locator("#host-title").evaluate("e => getComputedStyle(e).fontFamily")
    _ask_widget(page, "Which UK university set up a joint college with Chongqing Medical University?")
    reply = page.locator("qa-widget .msg.bot").last
    assert "University of Leicester" in reply.inner_text()
    # the phrase that answers comes first, in bold, before the quoted evidence
    assert reply.locator("b.lead").inner_text() == "University of Leicester"
    assert reply.inner_text().startswith("University of Leicester\n")
    source = reply.locator(".src").first
    assert not source.is_visible()
    reply.locator(".cite").first.click()
    assert source.is_visible() and "Leicester" in source.inner_text()
    assert "chongqing-international-education-framework.txt" in source.inner_text()
    # the host page keeps its own look, and its styles do not reach into the widget
    assert page.locator("#host-title").evaluate("e => getComputedStyle(e).fontFamily") == title_style
    ask_color = page.locator("qa-widget form button").evaluate("e => getComputedStyle(e).backgroundColor")
    assert ask_color == "rgb(59, 110, 165)"
    page.screenshot(path=str(ARTIFACTS / "widget.png"))
    page.close()


def test_hostile_document_payload_does_not_run_in_the_widget(browser, host_page, server):
    page = _page_with_widget(browser, host_page, server)
    _ask_widget(page, HOSTILE_QUESTION)
    reply = page.locator("qa-widget .msg.bot").last
    reply.locator(".cite").first.click()
    assert "<script>" in reply.inner_text()  # shown as text
    assert page.evaluate("window.__pwned") is None
    assert reply.locator("img, script, a").count() == 0
    page.screenshot(path=str(ARTIFACTS / "widget-hostile.png"))
    page.close()


def test_gradio_chat_answers_and_keeps_a_hostile_document_inert(browser, server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server.url + "/")
    page.locator("#qa-question textarea").fill(
        "Which UK university set up a joint college with Chongqing Medical University?")
    page.locator("#qa-ask").click()
    page.locator("#qa-sources mark").first.wait_for(timeout=60_000)
    assert "Leicester" in page.locator("#qa-chat").inner_text()
    assert page.locator("#qa-chat strong").last.inner_text() == "University of Leicester"  # the lead
    assert "Leicester" in page.locator("#qa-sources mark").first.inner_text()
    assert "source" in page.locator("#qa-status").inner_text()
    page.screenshot(path=str(ARTIFACTS / "chat.png"))
    # thumbs up with a comment: stored durably with the question, answer and citations
    page.get_by_label("Comment (optional; saved with your thumbs up or down)").fill("spot on")
    page.get_by_role("button", name="Like").last.click()
    feedback = Path(server.env["QA_DATA_DIR"]) / "feedback.jsonl"
    page.wait_for_timeout(1500)
    [record] = [json.loads(line) for line in feedback.read_text().splitlines()]
    assert (record["rating"], record["comment"]) == ("up", "spot on")
    assert "Leicester" in record["answer"] and record["citations"][0]["quote"]
    page.locator("#qa-question textarea").fill(HOSTILE_QUESTION)
    page.locator("#qa-ask").click()
    page.get_by_text("The Evil Institute partners").first.wait_for(timeout=60_000)
    page.locator("#qa-sources mark").first.wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    assert page.evaluate("window.__pwned") is None
    for region in ("#qa-chat", "#qa-sources"):
        assert page.locator(f"{region} img[src='x'], {region} script").count() == 0
        assert page.locator(f"{region} a[href^='javascript']").count() == 0
    assert "<script>" in page.locator("#qa-sources").inner_text()
    page.screenshot(path=str(ARTIFACTS / "chat-hostile.png"))
    page.close()


def test_the_chat_can_be_framed_only_by_allowed_origins(browser, host_page, server):
    folder, origin = host_page
    (folder / "frame.html").write_text(
        f"<!doctype html><iframe id='qa' src='{server.url}/' width='1000' height='700'></iframe>")
    page = browser.new_page(viewport={"width": 1100, "height": 760})
    page.goto(origin + "/frame.html")
    frame = page.frame_locator("#qa")
    frame.locator("#qa-question textarea").fill("Which institution chairs the Jiangxi alliance?")
    frame.locator("#qa-ask").click()
    frame.locator("#qa-sources mark").first.wait_for(timeout=60_000)
    assert "Jiangxi University of Finance and Economics" in frame.locator("#qa-chat").inner_text()
    page.close()
    # a page from an origin that is not listed: the browser refuses to show the frame
    other = HTTPServerOn(folder)
    page = browser.new_page()
    page.goto(other.url + "/frame.html")
    page.wait_for_timeout(3000)
    framed = page.frame(url=lambda u: u.startswith(server.url))
    assert framed is None or framed.locator("#qa-question").count() == 0
    page.close()
    other.stop()



def test_a_long_conversation_in_the_widget_keeps_working(browser, host_page, server):
    """The widget sends only the turns the API takes (40), so the 22nd question and later are
    answered like the first."""
    page = _page_with_widget(browser, host_page, server)
    page.locator("qa-widget .bubble").click()
    questions = ["Which institution chairs the Jiangxi alliance?",
                 "Where was it inaugurated?"] * 12
    for n, question in enumerate(questions, start=1):
        page.locator("qa-widget input").fill(question)
        page.locator("qa-widget form button").click()
        page.locator("qa-widget .msg.bot .status").nth(n - 1).wait_for(timeout=60_000)
    last = page.locator("qa-widget .msg.bot").last.inner_text()
    assert "Something went wrong" not in last and "Nanchang" in last
    page.close()
