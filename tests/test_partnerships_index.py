"""The partnership table kept with the index: a changed document's facts are replaced, a removed
one's dropped, and the table is read from the generation that answers (hashing embedder; the
real models in test_partnerships_integration.py)."""

from qa.index import FORMAT_VERSION, open_index
from qa.partnerships import rows_of, select
from qa.service import run_index

PAGE = ("Lanzhou University signed an agreement with Poland's University of Warsaw on "
        "May 4, 2024, to launch a chemistry undergraduate programme.\n")


def _manifest(settings) -> dict:
    store, manifest = open_index(settings.index_dir)
    store.close()
    return manifest


def _table(settings) -> list:
    return rows_of(_manifest(settings)["documents"])


def test_facts_follow_their_document_through_changes(settings, fake_embedder, corpus):
    run_index(settings, fake_embedder)
    manifest = _manifest(settings)
    assert manifest["settings"]["format"] == FORMAT_VERSION
    before = _table(settings)
    assert select(before, institution="Leicester")  # the corpus's own facts are there
    assert not select(before, country="Poland")

    (corpus / "lanzhou.txt").write_text(PAGE, encoding="utf-8")
    report = run_index(settings, fake_embedder)
    assert report.added == ["lanzhou.txt"]
    (row,) = select(_table(settings), country="Polish")
    assert (row.chinese_institution, row.foreign_institution, row.date) == (
        "Lanzhou University", "University of Warsaw", "2024-05-04")
    text = _manifest(settings)["documents"]["lanzhou.txt"]["text"]
    c = row.citations[0]
    assert c.source == "lanzhou.txt" and text[c.start:c.end] == c.quote

    (corpus / "lanzhou.txt").write_text(PAGE.replace("Poland's University of Warsaw",
                                                     "Hungary's Semmelweis University"),
                                        encoding="utf-8")
    report = run_index(settings, fake_embedder)
    assert report.updated == ["lanzhou.txt"]
    table = _table(settings)
    assert not select(table, country="Poland")
    assert [r.foreign_institution for r in select(table, country="Hungary")] == [
        "Semmelweis University"]

    (corpus / "lanzhou.txt").unlink()
    run_index(settings, fake_embedder)
    table = _table(settings)
    assert not select(table, institution="Lanzhou")
    assert len(table) == len(before)
