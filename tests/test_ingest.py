from pathlib import Path

import pytest

from qa.errors import DocumentError
from qa.ingest import (chunk_document, clean_text, decode_bytes, editor, find_metadata, load_corpus,
                       load_document, mostly_utf8, sentences_of, split_sentences)
from qa.text import word_count
from qa.types import SourceDoc

from conftest import SEED_CORPUS

FURNITURE = [
    "I Agree", "Privacy Statement", "Cookie Policy", "ICP", "公网安备", "举报电话", "MUST READ",
    "【纠错】", "【责任编辑", "Copyright", "微信公众号", "+86-23-67158993", "service@ichongqing.info",
    "字体", "Leaving a message", "(Photo/", "新华网 >", "Current location",
]


def test_seed_documents_lose_all_site_furniture():
    docs = load_corpus(SEED_CORPUS)
    assert len(docs) == 5
    for doc in docs:
        for marker in FURNITURE:
            assert marker not in doc.text, (doc.source, marker)


def test_seed_documents_keep_their_content():
    docs = {d.source: d for d in load_corpus(SEED_CORPUS)}
    xinhua = docs["xinhua-jiangxi-sino-foreign-cooperative-education-alliance.txt"]
    assert "Jiangxi University of Finance and Economics serves as the alliance's chair" in xinhua.text
    # the footer's furniture is gone, but for its byline
    assert xinhua.text.rstrip().endswith("driving its high-quality advancement.\n\n责任编辑:王晓震")
    ichongqing = docs["ichongqing-chongqing-expands-international-education-partnerships.txt"]
    assert "cultivating high-tech talent." in ichongqing.text
    assert "New Era, New Journey" not in ichongqing.text  # a related-story link in the footer


def test_clean_text_rules_are_general():
    raw = ("Breadcrumb > News > Article\n\nA real paragraph about a university partnership that was "
           "signed in 2024 and covers engineering, with many students enrolled each year.\n"
           "粤ICP备12345678号\nCopyright 2024 Example.com All Rights Reserved\n"
           "Another long paragraph after the footer marker would be kept if it were real prose, "
           "with sentences and enough words to count as a paragraph of text.\nShare\nBack\n")
    text = clean_text(raw)
    assert text.startswith("A real paragraph")
    assert "ICP" not in text and "Copyright" not in text and "Share" not in text
    assert "Another long paragraph" in text


def test_prose_about_copyright_or_cookies_is_kept():
    prose = ("The university's copyright office explained how cookie consent rules and privacy "
             "policy changes affect researchers who publish course material online every year.")
    assert clean_text(prose + "\nCopyright 2024\n") == prose


def test_a_dateline_run_into_its_paragraph_is_set_apart():
    assert clean_text("ChongqingChongqing has taken a new step.") == (
        "Chongqing — Chongqing has taken a new step.")
    assert clean_text("Hong KongHong Kong hosts the fair.") == "Hong Kong — Hong Kong hosts the fair."
    # a name written twice with a space, a hyphen, or inside the line is left alone
    for line in ("Walla Walla is a city.", "Baden-Baden hosts a spa.", "He said ChinaChina twice."):
        assert clean_text(line) == line


def test_words_run_together_are_set_apart_in_a_page_that_shows_the_fault():
    glued = ("The Office ofInternational Cooperation from the College,is in charge of foreign "
             "cooperationand exchanges. Our officeattaches importance to scholarexchange,study "
             "tours and teachertraining in an overgrowth of programs.")
    assert clean_text(glued) == (
        "The Office of International Cooperation from the College, is in charge of foreign "
        "cooperation and exchanges. Our office attaches importance to scholar exchange, study "
        "tours and teacher training in an overgrowth of programs.")
    # clean text keeps its compounds and commas: it shows fewer than GLUE_SIGNS signs
    clean = "The overgrowth of fungi, seen in 2010,is rare; timestamp and lockstep stay whole."
    assert clean_text(clean) == clean
    docs = {d.source: d for d in load_corpus(SEED_CORPUS)}
    office = docs["chongqing-creation-vocational-college-international-office.txt"].text
    assert "foreign cooperation and exchanges" in office and "cooperationand" not in office


def test_metadata_from_bylines_and_date_lines():
    docs = {d.source: d for d in load_corpus(SEED_CORPUS)}
    ich = docs["ichongqing-chongqing-expands-international-education-partnerships.txt"]
    assert (ich.title, ich.author, ich.date) == (
        "Chongqing Expands International Education Partnerships", "Feng, Xiaolou", "2025-06-01")
    xinhua = docs["xinhua-jiangxi-sino-foreign-cooperative-education-alliance.txt"]
    assert xinhua.date == "2025-12-18"
    assert xinhua.publisher == "Jiangxi Provincial Education Department"
    assert xinhua.title.startswith("Jiangxi Province Establishes Provincial Alliance")
    assert all(d.language == "en" for d in docs.values())
    assert find_metadata("By He Yu/The World and Chongqing\n") == {
        "author": "He Yu", "publisher": "The World and Chongqing"}
    assert find_metadata("发布时间：2024年3月5日\n")["date"] == "2024-03-05"


def test_sidecar_overrides_what_the_text_says(tmp_path: Path):
    (tmp_path / "a.txt").write_text("By Jane Roe|Mar 02,2024\n\nSome text about a partnership "
                                    "between two universities.", encoding="utf-8")
    (tmp_path / "a.txt.meta.json").write_text('{"title": "Set title", "date": "2024-03-01"}')
    doc = load_document(tmp_path / "a.txt", tmp_path)
    assert (doc.title, doc.date, doc.author) == ("Set title", "2024-03-01", "Jane Roe")


def test_front_matter_sets_metadata(tmp_path: Path):
    (tmp_path / "n.md").write_text("---\ntitle: Front title\npublisher: Press\n---\n"
                                   "Body text about an exchange programme with Otago.\n")
    doc = load_document(tmp_path / "n.md", tmp_path)
    assert (doc.title, doc.publisher) == ("Front title", "Press")
    assert doc.text == "Body text about an exchange programme with Otago."


CHINESE = "重庆医科大学与英国莱斯特大学合作举办联合学院。该学院培养了大量国际化医学人才。"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_chinese_text_in_each_encoding(tmp_path: Path, encoding: str):
    (tmp_path / "zh.txt").write_bytes(CHINESE.encode(encoding))
    doc = load_document(tmp_path / "zh.txt", tmp_path)
    assert doc.text == CHINESE
    assert doc.language == "zh"
    assert [doc.text[s:e] for s, e in split_sentences(doc.text)] == [
        "重庆医科大学与英国莱斯特大学合作举办联合学院。", "该学院培养了大量国际化医学人才。"]


def test_html_is_extracted_without_boilerplate(tmp_path: Path):
    html = """<html><head><title>Leicester joint college | Example News</title></head><body>
    <nav><a href="/">Home</a> <a href="/news">News</a></nav>
    <article><h1>Leicester joint college opens</h1>
    <p>Chongqing Medical University and the University of Leicester opened a joint college in
    2022, teaching medicine and biomedical science to Chinese students.</p>
    <p>The college admits about two hundred students each year to its undergraduate programmes.</p>
    </article><footer>Copyright 2024 Example News. All rights reserved. 渝ICP备000号</footer>
    </body></html>"""
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    doc = load_document(tmp_path / "page.html", tmp_path)
    assert "University of Leicester opened a joint college" in doc.text
    assert "Copyright" not in doc.text and "Home" not in doc.text
    assert "Leicester" in doc.title


def test_pdf_and_docx(tmp_path: Path):
    import docx
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 10, "Southwest University runs a pharmacy programme with the University "
                          "of Otago in New Zealand.")
    pdf.output(str(tmp_path / "otago.pdf"))
    document = docx.Document()
    document.core_properties.title = "Tchaikovsky partnership"
    document.add_paragraph("Chongqing Normal University partnered with the Moscow Conservatory.")
    document.save(str(tmp_path / "music.docx"))
    docs = {d.source: d for d in load_corpus(tmp_path)}
    assert "University of Otago" in docs["otago.pdf"].text
    assert docs["music.docx"].title == "Tchaikovsky partnership"
    assert "Moscow Conservatory" in docs["music.docx"].text


def test_unreadable_files_are_skipped_with_a_warning_naming_them(tmp_path: Path):
    (tmp_path / "good.txt").write_text("A readable document about a joint institute in Chongqing.")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02\x03" * 100)
    (tmp_path / "empty.md").write_text("")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (tmp_path / "broken.docx").write_bytes(b"not a zip")
    (tmp_path / "latin.txt").write_bytes(bytes(range(128, 256)) * 3)
    warnings: list[str] = []
    docs = load_corpus(tmp_path, on_skip=warnings.append)
    assert [d.source for d in docs] == ["good.txt"]
    named = " ".join(warnings)
    for name in ("binary.txt", "empty.md", "broken.pdf", "broken.docx", "latin.txt"):
        assert name in named
    with pytest.raises(DocumentError, match="empty.md"):
        load_document(tmp_path / "empty.md", tmp_path)


def test_decode_refuses_binary():
    with pytest.raises(DocumentError, match="binary"):
        decode_bytes(b"PK\x03\x04\x00\x00", "x.txt")


def test_sentences_respect_abbreviations_and_list_numbers():
    text = "Dr. Smith met Mr. Li in the U.S. on Monday. They signed a deal!\n1. Promote exchange."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Dr. Smith met Mr. Li in the U.S. on Monday.", "They signed a deal!", "1. Promote exchange."]


def test_a_sentence_end_inside_brackets_that_close_later_does_not_end_the_sentence():
    def split(text: str) -> list[str]:
        return [text[s:e] for s, e in split_sentences(text)]

    assert split("氨碱法（Solvay process；又称“索尔维制碱法”）是一种方法。它很常用。") == [
        "氨碱法（Solvay process；又称“索尔维制碱法”）是一种方法。", "它很常用。"]
    assert split("《激斗忍者大战！EX2》为一款游戏。") == ["《激斗忍者大战！EX2》为一款游戏。"]
    assert split("硕塞（；），清太宗皇太极第五子。") == ["硕塞（；），清太宗皇太极第五子。"]
    assert split("甲；乙。") == ["甲；", "乙。"]
    assert split("陈寿：「廖立以才拔进。」并以吕凯为太守。") == ["陈寿：「廖立以才拔进。」", "并以吕凯为太守。"]
    assert split("The Pharmacy (Pharm. D.) degree is required. It takes years.") == [
        "The Pharmacy (Pharm. D.) degree is required.", "It takes years."]
    # the sentence that ends with its bracket ends there; a bracket never closed changes nothing
    assert split("(It lacks recognition.) The group operates.") == [
        "(It lacks recognition.)", "The group operates."]
    assert split("An open ( bracket. Never closed.\nNext.") == [
        "An open ( bracket.", "Never closed.", "Next."]


def test_a_line_that_goes_on_with_the_sentence_before_it_does_not_end_it():
    text = "Passengers have an emergency supply of O\n2 automatically supplied.\nHeading\n1. An item."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Passengers have an emergency supply of O\n2 automatically supplied.", "Heading",
        "1. An item."]


def _doc(text: str) -> SourceDoc:
    return SourceDoc(source="d.txt", text=text, title="T")


def test_chunks_point_at_their_text_and_overlap():
    text = " ".join(f"Sentence number {i} talks about partnership {i}." for i in range(60))
    doc = _doc(text)
    chunks = chunk_document(doc, size=300, overlap=80)
    assert len(chunks) > 5
    for chunk in chunks:
        assert doc.text[chunk.start:chunk.end] == chunk.text
        assert len(chunk.text) <= 300
    for before, after in zip(chunks, chunks[1:]):
        assert after.start < before.end, "consecutive chunks share whole sentences"
        assert after.start > before.start
    assert chunks[-1].end == len(text)


def test_chunk_and_sentence_ids_are_stable():
    doc = _doc("First sentence here. Second sentence there. Third one.")
    assert [c.id for c in chunk_document(doc, 30, 10)] == [c.id for c in chunk_document(doc, 30, 10)]
    assert [s.id for s in sentences_of(doc)] == [s.id for s in sentences_of(_doc(doc.text))]
    assert len({s.id for s in sentences_of(doc)}) == 3


def test_an_overlong_sentence_becomes_its_own_chunk():
    doc = _doc("Short one. " + "word " * 200 + "end. Short two.")
    chunks = chunk_document(doc, size=100, overlap=20)
    assert any(len(c.text) > 100 for c in chunks)
    assert chunks[-1].text == "Short two."


def test_a_long_sentence_is_also_indexed_as_runs_of_its_clauses():
    sentence = ("Four programs were launched, including a physics program between Chongqing "
                "University and Novosibirsk State University, a pharmacy program with Southwest "
                "University and New Zealand's University of Otago, a digital media arts program "
                "with a Berlin university, and a diploma program with Ulyanovsk State Technical "
                "University.")
    doc = _doc("Short first sentence. " + sentence)
    units = sentences_of(doc)
    whole = [u for u in units if u.sentence_start < 0]
    runs = [u for u in units if u.sentence_start >= 0]
    assert [u.text for u in whole] == ["Short first sentence.", sentence]
    assert any(u.text.startswith("a pharmacy program with Southwest University and New Zealand's "
                                 "University of Otago") and "Novosibirsk" not in u.text for u in runs)
    for run in runs:
        assert doc.text[run.start:run.end] == run.text
        assert run.sentence_span == (whole[1].start, whole[1].end)
        assert whole[1].start <= run.start < run.end <= whole[1].end
        assert 3 <= word_count(run.text) <= 25 or "," not in run.text
    assert len({u.id for u in units}) == len(units)
    assert [u for u in sentences_of(_doc("A short sentence, with a comma."))
            if u.sentence_start >= 0] == []


def test_utf8_with_a_few_bad_bytes_is_read_as_utf8_without_them_and_warned(tmp_path: Path):
    text = ("重庆市教育委员会与莱斯特大学合作。The Chongqing–Leicester college opened in 2013. "
            * 20)
    data = text.encode("utf-8")
    damaged = data[:300] + b"\xff\xfe" + data[300:600] + b"\x80" + data[600:]
    (tmp_path / "damaged.txt").write_bytes(damaged)
    warnings: list[str] = []
    doc = load_document(tmp_path / "damaged.txt", tmp_path, warnings.append)
    assert "重庆市教育委员会" in doc.text and "Chongqing–Leicester" in doc.text
    assert not any(c in doc.text for c in "\ufffdÃ©ï¿½")  # no mojibake, no replacement marks
    assert warnings == ["damaged.txt: 3 byte sequences that are not UTF-8 left out; the rest is "
                        "read as UTF-8"]


@pytest.mark.parametrize("encoding", ["gb18030", "big5", "cp1252"])
def test_text_in_another_encoding_is_not_taken_for_damaged_utf8(encoding: str):
    text = {"cp1252": "Café, naïve façade, déjà vu — the résumé of a coöperative. " * 10,
            "big5": "重慶市教育委員會與萊斯特大學合作舉辦中外合作辦學機構。" * 10,
            "gb18030": "重庆市教育委员会与莱斯特大学合作举办中外合作办学机构。" * 10}[encoding]
    warnings: list[str] = []
    decoded = decode_bytes(text.encode(encoding), "x.txt", warnings.append)
    assert mostly_utf8(text.encode(encoding)) == 0 and warnings == []
    assert decoded == text or encoding == "cp1252"  # which 8-bit page is charset-normalizer's


def test_nul_characters_are_removed_with_a_warning(tmp_path: Path):
    head = "A readable document about a joint institute in Chongqing. " * 100  # over 4 KB
    (tmp_path / "nul.txt").write_bytes((head + "It\x00 opened\x00 in 2013.").encode())
    warnings: list[str] = []
    doc = load_document(tmp_path / "nul.txt", tmp_path, warnings.append)
    assert "\x00" not in doc.text and "It opened in 2013." in doc.text
    assert warnings == ["nul.txt: 2 NUL characters removed"]


def test_a_file_over_the_size_limit_is_not_read_and_named(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "big.txt").write_text("A long document. " * 70_000)  # 1.1 MB
    (tmp_path / "small.txt").write_text("A readable document about a joint institute.")
    warnings: list[str] = []
    docs = load_corpus(tmp_path, warnings.append, max_bytes=1024 * 1024)
    assert [d.source for d in docs] == ["small.txt"]
    assert warnings == ["sub/big.txt: 1.1 MB, over the 1 MB limit for one file "
                        "(QA_MAX_FILE_MB); not read"]


@pytest.mark.parametrize("raw,kept,edited_by", [
    ("【纠错】 【责任编辑:王晓震】", "责任编辑:王晓震", "王晓震"),
    ("Editor: Jane Smith", "Editor: Jane Smith", "Jane Smith"),
    ("记者 李明", "记者 李明", ""),  # a reporter, not an editor
])
def test_a_byline_in_the_page_furniture_is_kept_alone(raw, kept, edited_by):
    prose = "The alliance unites universities of the province to share courses and teachers, it said."
    text = clean_text(f"{prose}\n{raw}\n")
    assert text.removeprefix(prose).strip() == kept
    assert editor(text) == edited_by
