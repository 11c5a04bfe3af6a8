"""The partnership extractor on sentences of many shapes (written for these tests, not taken
from the corpus), its helpers, and `select`."""

import pytest

from qa.partnerships import (BadFilter, Partnership, Span, country_code, csv_text,
                             extract, find_date, merge, select)


def _one(text: str, **expected) -> Partnership:
    rows = extract("page.txt", text)
    assert len(rows) == 1, rows
    row = rows[0]
    for key, value in expected.items():
        assert getattr(row, key) == value, (key, getattr(row, key), value)
    c = row.citations[0]
    assert text[c.start:c.end] == c.quote and c.source == "page.txt"
    return row


@pytest.mark.parametrize("text,chinese,foreign,country,kind", [
    ("Xiamen University and the University of Glasgow signed an agreement to deepen research "
     "cooperation.", "Xiamen University", "University of Glasgow", "United Kingdom",
     "cooperation"),
    ("Shandong University has partnered with Spain's University of Barcelona on joint research.",
     "Shandong University", "University of Barcelona", "Spain", "cooperation"),
    ("Harbin Institute of Technology runs a joint programme with Ukrainian university Kyiv "
     "Polytechnic Institute.", "Harbin Institute of Technology", "Kyiv Polytechnic Institute",
     "Ukraine", "joint_programme"),
    ("A cooperation agreement between Tianjin University and the University of Waterloo, Canada, "
     "was signed last week.", "Tianjin University", "University of Waterloo", "Canada",
     "cooperation"),
    ("Nanjing Forestry University opened a joint college with Brazilian partner Federal "
     "University of Paraná in 2021.", "Nanjing Forestry University",
     "Federal University of Paraná", "Brazil", "joint_institute"),
    ("Zhengzhou University launched a student exchange scheme with Seoul National University.",
     "Zhengzhou University", "Seoul National University", "South Korea", "exchange"),
    ("Under the deal, Hangzhou Normal University will offer scholarships together with the "
     "University of Nairobi in Kenya.", "Hangzhou Normal University", "University of Nairobi",
     "Kenya", "exchange"),
    ("Changsha Medical College works with Hungary's Semmelweis University on a nursing "
     "programme.", "Changsha Medical College", "Semmelweis University", "Hungary",
     "joint_programme"),
    ("Shenyang Aerospace University teamed up with the Moscow Aviation Institute to train "
     "pilots.", "Shenyang Aerospace University", "Moscow Aviation Institute",
     "Russian Federation", "cooperation"),
    ("Guangzhou College of Commerce set up an overseas campus with Malaysian partner SEGi "
     "College.", "Guangzhou College of Commerce", "SEGi College", "Malaysia", "overseas_campus"),
])
def test_a_sentence_gives_its_two_parties(text, chinese, foreign, country, kind):
    _one(text, chinese_institution=chinese, foreign_institution=foreign, foreign_country=country,
         kind=kind)


@pytest.mark.parametrize("text,chinese,foreign,country,kind", [
    ("浙江大学与英国爱丁堡大学合作举办生物医学本科教育项目。", "浙江大学", "爱丁堡大学", "United Kingdom",
     "joint_programme"),
    ("山东大学和德国慕尼黑工业大学签署合作协议。", "山东大学", "慕尼黑工业大学", "Germany", "cooperation"),
    ("武汉大学与法国里昂大学开展学生交流。", "武汉大学", "里昂大学", "France", "exchange"),
    ("湖南大学同日本东京大学共建联合研究院。", "湖南大学", "东京大学", "Japan", "joint_institute"),
    ("厦门大学与马来西亚马来亚大学合作开设硕士项目。", "厦门大学", "马来亚大学", "Malaysia",
     "joint_programme"),
    ("吉林大学与俄罗斯莫斯科国立大学合作办学。", "吉林大学", "莫斯科国立大学", "Russian Federation",
     "cooperation"),
    # a name that is only a generic word and a head keeps its country: 越南国家大学, not 国家大学
    ("华中科技大学与越南国家大学合作开设硕士项目。", "华中科技大学", "越南国家大学", "Vietnam",
     "joint_programme"),
])
def test_a_chinese_sentence_gives_its_two_parties(text, chinese, foreign, country, kind):
    _one(text, chinese_institution=chinese, foreign_institution=foreign, foreign_country=country,
         kind=kind)


@pytest.mark.parametrize("text", [
    "The University of Oxford is one of the oldest universities in the world.",
    "Many universities in China have established cooperative relations with world-famous "
    "universities.",
    "Peking University ranked first in the national survey this year.",
    "Students from Fudan University visited the museum on Sunday.",
    "清华大学是中国著名的高等学府。",
    "International Exchange Office Opens New Hall At Jinan University",
])
def test_a_sentence_naming_no_partnership_gives_none(text):
    assert extract("page.txt", text) == []


def test_a_list_of_programmes_gives_one_row_each_with_its_level_and_discipline():
    text = ("The new programmes include a chemistry undergraduate programme between Lanzhou "
            "University and Poland's University of Warsaw, a master's programme in data science "
            "with Hefei University of Technology and Ireland's University College Dublin, and "
            "a nursing diploma programme between Xi'an Medical College and Australia's Monash "
            "University.")
    rows = extract("page.txt", text)
    got = {(r.chinese_institution, r.foreign_institution, r.foreign_country, r.level,
            r.discipline) for r in rows}
    assert got == {
        ("Lanzhou University", "University of Warsaw", "Poland", "undergraduate", "chemistry"),
        ("Hefei University of Technology", "University College Dublin", "Ireland", "master's",
         "data science"),
        ("Xi'an Medical College", "Monash University", "Australia", "diploma", "nursing"),
    }
    for r in rows:  # each cited to its own item, not to the whole sentence
        assert len(r.citations[0].quote) < len(text) / 2


def test_a_joint_institute_named_after_both_parties():
    row = _one("The Shanghai University - University of Technology Sydney Joint Institute was "
               "approved in April 2022.", kind="joint_institute",
               chinese_institution="Shanghai University",
               foreign_institution="University of Technology Sydney",
               foreign_country="Australia", date="2022-04", status="approved")
    assert row.name.endswith("Joint Institute")


def test_a_college_at_a_chinese_university_is_a_joint_institute_with_its_namesake():
    _one("Sino-foreign cooperative institutions such as the Exeter College at Henan University "
         "were approved.", kind="joint_institute", chinese_institution="Henan University",
         foreign_institution="Exeter", name="Exeter College")


def test_alliance_members_and_their_roles():
    text = ("The Fujian Alliance for International Education was founded in Fuzhou in 2019. "
            "Fuzhou University is its chair institution, and Minjiang University and Putian "
            "University are among its member institutions.")
    rows = extract("page.txt", text)
    alliance = [r for r in rows if r.kind == "alliance"]
    assert [(r.name, r.date, r.status) for r in alliance] == [
        ("Fujian Alliance for International Education", "2019", "founded")]
    members = {(r.chinese_institution, r.status) for r in rows if r.kind == "alliance_member"}
    assert members == {("Fuzhou University", "chair"), ("Minjiang University", "member"),
                       ("Putian University", "member")}


def test_chinese_alliance_members():
    rows = extract("page.txt", "贵州高校国际合作联盟于2020年成立，贵州大学担任理事长单位。")
    assert {(r.kind, r.name or r.chinese_institution, r.status) for r in rows} == {
        ("alliance", "贵州高校国际合作联盟", "established"),
        ("alliance_member", "贵州大学", "chair")}


def test_a_chinese_alliance_name_with_a_dash():
    rows = extract("page.txt", "中国—中亚高校联盟于2021年在西安成立。")
    assert [(r.kind, r.name, r.date) for r in rows] == [("alliance", "中国—中亚高校联盟", "2021")]


def test_an_overseas_workshop_named_in_quotes():
    rows = extract("page.txt", "Colleges in the province run overseas programmes such as the "
                   "“Silk Road Workshop” and the “Tea Culture College”.")
    assert {(r.kind, r.name) for r in rows} == {("overseas_campus", "Silk Road Workshop"),
                                              ("overseas_campus", "Tea Culture College")}


def test_a_party_with_no_place_in_its_name_takes_the_documents_city():
    text = ("Chengdu has expanded its international programmes. Southwest Jiaotong University "
            "signed an agreement with the University of Leeds in the UK.")
    row = extract("page.txt", text)[0]
    assert row.chinese_institution == "Southwest Jiaotong University"
    assert row.chinese_place == "Chengdu"
    assert row.foreign_country == "United Kingdom"


@pytest.mark.parametrize("text,year,expected", [
    ("signed on March 5, 2024", None, "2024-03-05"),
    ("signed on 5 March 2024", None, "2024-03-05"),
    ("approved in February 2024", None, "2024-02"),
    ("inaugurated on November 18", "2025", "2025-11-18"),
    ("announced in May", "2025", "2025-05"),
    ("announced in May", None, None),
    ("founded in 2019", None, "2019"),
    ("2023年9月揭牌成立", None, "2023-09"),
    ("于2024年5月18日签署", None, "2024-05-18"),
    ("11月17日签署", "2025", "2025-11-17"),
    ("with no date at all", "2025", None),
])
def test_dates_as_iso(text, year, expected):
    assert find_date(text, year) == expected


@pytest.mark.parametrize("word", ["Russia", "Russian", "russia", "俄罗斯", "Russian Federation",
                                  "RU"])
def test_a_country_by_name_adjective_or_chinese_name(word):
    assert country_code(word) == "RU"


def test_an_unknown_country_says_what_to_give():
    with pytest.raises(BadFilter, match="unknown country 'Atlantis'"):
        country_code("Atlantis")


def _rows() -> list[Partnership]:
    span = Span("a.txt", "q", 0, 1)
    return [
        Partnership("joint_programme", "Chongqing University", "Chongqing",
                    "Novosibirsk State University", "Russian Federation", date="2025-05",
                    citations=(span,)),
        Partnership("joint_institute", "Chongqing Medical University", "Chongqing",
                    "University of Leicester", "United Kingdom", citations=(span,)),
        Partnership("cooperation", "Nanchang Hangkong University", "Nanchang",
                    "Belarusian State University", "Belarus", date="2025-11-17",
                    citations=(span,)),
    ]


@pytest.mark.parametrize("country", ["Russia", "Russian", "俄罗斯", "russian federation"])
def test_select_by_country_in_any_of_its_names(country):
    assert [r.foreign_institution for r in select(_rows(), country=country)] == [
        "Novosibirsk State University"]


def test_select_by_institution_kind_and_year():
    rows = _rows()
    assert [r.chinese_institution for r in select(rows, institution="chongqing")] == [
        "Chongqing University", "Chongqing Medical University"]
    assert [r.foreign_country for r in select(rows, kind="institute")] == ["United Kingdom"]
    assert [r.foreign_country for r in select(rows, kind="programme")] == ["Russian Federation"]
    assert [r.foreign_country for r in select(rows, year=2025, institution="Nanchang")] == [
        "Belarus"]
    assert select(rows, year="2024") == []


@pytest.mark.parametrize("filters,message", [
    ({"year": "twenty"}, "bad year 'twenty'"),
    ({"year": 99}, "bad year 99"),
    ({"kind": "picnic"}, "unknown kind 'picnic'"),
    ({"country": "Narnia"}, "unknown country 'Narnia'"),
])
def test_a_bad_filter_says_what_is_wrong(filters, message):
    with pytest.raises(BadFilter, match=message):
        select(_rows(), **filters)


def test_rows_round_trip_through_dicts_and_csv():
    rows = _rows()
    assert [Partnership.from_dict(r.to_dict()) for r in rows] == rows
    lines = csv_text(rows).splitlines()
    assert lines[0].startswith("chinese_institution,chinese_place,foreign_institution")
    assert len(lines) == 4 and "Belarusian State University" in lines[3]


def test_merge_keeps_one_row_a_partnership_with_every_citation():
    a = Partnership("joint_programme", "X University", None, "Y University", None,
                    citations=(Span("d", "first", 0, 5),))
    b = Partnership("joint_programme", "X University", "Xi'an", "Y University", "Peru",
                    citations=(Span("d", "second", 9, 15),))
    (row,) = merge([a, b])
    assert row.foreign_country == "Peru" and row.chinese_place == "Xi'an"
    assert [c.quote for c in row.citations] == ["first", "second"]
