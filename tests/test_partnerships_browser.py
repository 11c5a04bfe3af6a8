"""The Partnerships tab in real headless Chromium (Debian's, driven by Playwright): the table,
a filter, a row's quoted source, the CSV download and the charts."""

import csv
import io
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, Server

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(indexed_corpus):
    with Server(indexed_corpus) as running:
        yield running


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "install Debian's chromium (see .ci/run)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000}, accept_downloads=True)
        page.goto(server.url + "/", wait_until="load")
        page.get_by_role("tab", name="Partnerships").click()
        yield page
        browser.close()


def _table_text(page) -> str:
    return page.locator("#qa-p-table").inner_text()


def test_the_tab_filters_opens_a_source_and_downloads_the_csv(page):
    table = page.locator("#qa-p-table")
    table.get_by_text("University of Leicester").first.wait_for(timeout=60_000)
    assert "Belarusian State University" in _table_text(page)

    page.locator("#qa-p-country input, #qa-p-country textarea").first.fill("俄罗斯")
    page.locator("#qa-p-filter").click()
    page.wait_for_function("() => !document.querySelector('#qa-p-table').innerText"
                           ".includes('Leicester')", timeout=30_000)
    shown = _table_text(page)
    assert "Novosibirsk State University" in shown and "Belarusian" not in shown
    assert "5 partnerships" in page.locator("#qa-p-found").inner_text()

    table.get_by_text("Novosibirsk State University").first.click()
    mark = page.locator("#qa-p-source mark").first
    mark.wait_for(timeout=30_000)
    assert "physics undergraduate program" in mark.inner_text()
    assert "ichongqing-" in page.locator("#qa-p-source").inner_text()

    with page.expect_download(timeout=30_000) as download:
        page.locator("#qa-p-csv").click()
    text = Path(download.value.path()).read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 5
    assert {r["foreign_country"] for r in rows} == {"Russian Federation"}
    assert all(r["quote"] and r["source"] for r in rows)

    chart = page.locator("#qa-p-by-country")
    chart.scroll_into_view_if_needed()
    chart.locator("canvas, svg").first.wait_for(timeout=30_000)
    (ROOT / "artifacts").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "artifacts" / "partnerships-tab.png"), full_page=True)


def test_a_bad_year_is_told_to_the_user(page):
    page.locator("#qa-p-country input, #qa-p-country textarea").first.fill("")
    page.locator("#qa-p-year input, #qa-p-year textarea").first.fill("next year")
    page.locator("#qa-p-filter").click()
    page.get_by_text("bad year 'next year'").first.wait_for(timeout=30_000)
