"""The partnership table through a real index (MiniLM, the multilingual model, real Chroma): a
document added is in the table with its spans, and gone once it is deleted."""

import shutil

import pytest

from qa.config import Settings
from qa.partnerships import select
from qa.service import QAService, partnership_table, run_index

from conftest import SEED_CORPUS

pytestmark = pytest.mark.integration
PAGE = ("云南新增中外合作办学项目\n\n2024年6月3日\n\n"
        "昆明理工大学与泰国清迈大学合作举办的机械工程专业本科教育项目获批。\n\n"
        "Yunnan Normal University also signed an agreement with Thailand's Mahidol University "
        "on June 12, 2024, to run a joint master's programme in education.\n")


def test_a_document_added_then_deleted(tmp_path):
    shutil.copytree(SEED_CORPUS, tmp_path / "corpus")
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
    run_index(settings)
    before, outdated = partnership_table(settings)
    assert not outdated and not select(before, country="Thailand")

    (tmp_path / "corpus" / "yunnan.txt").write_text(PAGE, encoding="utf-8")
    assert run_index(settings).added == ["yunnan.txt"]
    rows = select(partnership_table(settings)[0], country="泰国")
    assert {(r.chinese_institution, r.foreign_institution, r.kind) for r in rows} == {
        ("昆明理工大学", "清迈大学", "joint_programme"),
        ("Yunnan Normal University", "Mahidol University", "joint_programme")}
    service = QAService(settings)  # the generation that answers holds the same table
    try:
        text = service.documents["yunnan.txt"]["text"]
        for row in rows:
            for c in row.citations:
                assert text[c.start:c.end] == c.quote
        answer = service.ask("Which Thai university works with Yunnan Normal University?")
        assert "Mahidol" in answer.answer
    finally:
        service.close()

    (tmp_path / "corpus" / "yunnan.txt").unlink()
    assert run_index(settings).removed == ["yunnan.txt"]
    after, _ = partnership_table(settings)
    assert not select(after, country="Thailand")
    assert len(after) == len(before)
