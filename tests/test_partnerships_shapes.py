"""The extractor on the shapes of sentence that the second round of general means reads (each
sentence written for these tests, none taken from a benchmark page), the city-to-province map,
and the place filter of `select` and of table answers."""

import pytest

from qa.partnerships import Partnership, Span, extract, province_of, select
from qa.questions import analyse
from qa.tabled import table_answer


def _rows(text: str) -> list[Partnership]:
    rows = extract("page.txt", text, dated="2025-06-01")
    for row in rows:
        for c in row.citations:
            assert text[c.start:c.end] == c.quote
    return rows


def _one(text: str) -> Partnership:
    rows = _rows(text)
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.parametrize("text,chinese,foreign,country", [
    # a closing "of <country>" is where the university is, not part of its name
    ("Nanjing University will run a joint undergraduate programme in physics with Monash "
     "University of Australia.", "Nanjing University", "Monash University", "Australia"),
    ("Harbin Institute of Technology and the University of Porto of Portugal signed a joint "
     "research agreement.", "Harbin Institute of Technology", "University of Porto", "Portugal"),
    # …unless the words before the head name nothing alone
    ("Jilin University signed an exchange agreement with the National University of Singapore.",
     "Jilin University", "National University of Singapore", "Singapore"),
    # a foreign city after "in" gives the country
    ("Guizhou University signed an agreement with the University of Queensland in Brisbane on "
     "soil science.", "Guizhou University", "University of Queensland", "Australia"),
    # heads in the languages foreign universities name themselves in
    ("Tongji University and Universidade de Lisboa launched a dual degree in architecture.",
     "Tongji University", "Universidade de Lisboa", "Portugal"),
    ("Guangxi University partners with Universitas Gadjah Mada of Indonesia on a joint master's "
     "programme.", "Guangxi University", "Universitas Gadjah Mada", "Indonesia"),
])
def test_english_name_grammar(text, chinese, foreign, country):
    row = _one(text)
    assert (row.chinese_institution, row.foreign_institution, row.foreign_country) == (
        chinese, foreign, country)


@pytest.mark.parametrize("text,chinese,place", [
    ("Dalian-based Dalian Maritime University signed a cooperation agreement with Japan's Kobe "
     "University.", "Dalian Maritime University", "Dalian"),
    ("Quanzhou's Huaqiao University and Thailand's Mahidol University agreed to exchange "
     "students.", "Huaqiao University", "Quanzhou"),
    ("Shantou-based Li Ka-shing Business School runs a joint programme with the University of "
     "Manchester.", "Li Ka-shing Business School", "Shantou"),
])
def test_a_place_said_of_the_chinese_party(text, chinese, place):
    row = _one(text)
    assert (row.chinese_institution, row.chinese_place) == (chinese, place)


@pytest.mark.parametrize("text,name,chinese,foreign", [
    ("Harbin Engineering University and the University of Southampton opened the "
     "Harbin-Southampton Joint School of Ocean Engineering.",
     "Harbin-Southampton Joint School of Ocean Engineering", "Harbin Engineering University",
     "University of Southampton"),
    ("The Shandong University - University of Vienna Joint College of Music, a partnership "
     "between the two universities, was inaugurated on May 3.",
     "Shandong University - University of Vienna Joint College of Music", "Shandong University",
     "University of Vienna"),
])
def test_a_joint_name_is_the_partnership_not_a_party(text, name, chinese, foreign):
    row = _one(text)
    assert (row.kind, row.name, row.chinese_institution, row.foreign_institution) == (
        "joint_institute", name, chinese, foreign)


@pytest.mark.parametrize("text,alliance", [
    ("Ningxia University joined the Arab States University Alliance as a founding member.",
     "Arab States University Alliance"),
    ("Tianjin University became a member of the Asia-Pacific University Consortium this year.",
     "Asia-Pacific University Consortium"),
    ("Dalian University of Technology joined the International Association of Maritime "
     "Universities.", "International Association of Maritime Universities"),
    ("兰州大学加入中国—中亚高校联盟。", "中国—中亚高校联盟"),
])
def test_an_alliance_only_joined_names_the_membership(text, alliance):
    row = _one(text)
    assert (row.kind, row.status, row.name) == ("alliance_member", "member", alliance)


def test_an_alliance_described_keeps_its_own_row():
    rows = _rows("Lanzhou University is a member of the Silk Road University Alliance, which was "
                 "founded in 2015.")
    assert {(r.kind, r.chinese_institution or r.name) for r in rows} == {
        ("alliance_member", "Lanzhou University"), ("alliance", "Silk Road University Alliance")}
    assert next(r for r in rows if r.kind == "alliance").date == "2015"


@pytest.mark.parametrize("text,chinese,foreign,country,kind", [
    # pycountry's zh_CN spells Cambodia 柬埔塞; the usual 柬埔寨 is known too
    ("云南大学与柬埔寨皇家农业大学签署合作协议。", "云南大学", "皇家农业大学", "Cambodia", "cooperation"),
    ("广西大学与印尼万隆理工学院开展学生交流。", "广西大学", "万隆理工学院", "Indonesia", "exchange"),
    # a transliterated name jieba cuts into pieces (代尔夫/nr 特/d 理工大学)
    ("河海大学与荷兰代尔夫特理工大学合作举办的水利工程专业硕士教育项目获批。", "河海大学", "代尔夫特理工大学",
     "Netherlands", "joint_programme"),
    # the partner named in the next clause
    ("湖南大学在马来西亚设立海外校区，合作方为马来亚大学。", "湖南大学", "马来亚大学", "Malaysia",
     "overseas_campus"),
    # a campus set up in the clause beside its partner is that partnership
    ("湖南大学与马来西亚马来亚大学合作，在吉隆坡设立海外校区。", "湖南大学", "马来亚大学", "Malaysia",
     "overseas_campus"),
])
def test_chinese_shapes(text, chinese, foreign, country, kind):
    row = _one(text)
    assert (row.chinese_institution, row.foreign_institution, row.foreign_country, row.kind) == (
        chinese, foreign, country, kind)


@pytest.mark.parametrize("text,discipline", [
    ("哈尔滨工业大学联合俄罗斯鲍曼国立技术大学开设机械工程硕士项目。", "机械工程"),
    ("吉林大学同加拿大滑铁卢大学联合开设计算机科学本科项目。", "计算机科学"),
])
def test_a_chinese_discipline_starts_after_the_verb(text, discipline):
    assert _one(text).discipline == discipline


@pytest.mark.parametrize("text,date", [
    ("Yunnan University and Vietnam's Hanoi University will exchange students.\n\n"
     "The agreement was signed in April 2025 in Kunming.", "2025-04"),
    ("Sichuan University signed a memorandum with Spain's University of Navarra.\n\n"
     "The memorandum was signed on March 3.", "2025-03-03"),
    ("贵州大学与泰国清迈大学签署交流协议。\n\n协议于2025年3月生效。", "2025-03"),
])
def test_a_date_the_next_paragraph_gives_the_agreement(text, date):
    assert _one(text).date == date


def test_a_date_of_something_else_in_the_next_sentence_is_not_taken():
    row = _one("Yunnan University and Vietnam's Hanoi University will exchange students.\n\n"
               "Officials met again in April 2025.")
    assert row.date is None


@pytest.mark.parametrize("city,province", [
    ("Nanchang", "Jiangxi"), ("Ganzhou", "Jiangxi"), ("南昌", "江西"), ("南昌市", "江西"),
    ("Qingdao", "Shandong"), ("青岛", "山东"), ("Xi'an", "Shaanxi"), ("温州", "浙江"),
    ("Kunming", "Yunnan"), ("Guilin", "Guangxi"),
])
def test_a_chinese_city_gives_its_province(city, province):
    assert province_of(city) == province


@pytest.mark.parametrize("place", ["Jiangxi", "重庆", "Chongqing", "Paris", "", None])
def test_a_province_or_a_place_not_in_china_gives_no_province(place):
    assert province_of(place) is None


def _row(chinese, place, foreign="University of Leeds", country="United Kingdom", start=0):
    quote = f"{chinese} and {foreign}"
    return Partnership("joint_programme", chinese, place, foreign, country,
                       citations=(Span("news.txt", quote, start, start + len(quote)),))


ROWS = [_row("Nanchang University", "Nanchang", start=0),
        _row("Jiujiang University", "Jiujiang", "Kyoto University", "Japan", start=100),
        _row("Wuhan University", "Wuhan", start=200),
        _row("江西财经大学", "江西", "里昂大学", "France", start=300),
        _row("南昌航空大学", "南昌", "图卢兹大学", "France", start=400)]


@pytest.mark.parametrize("place,expected", [
    ("Jiangxi", {"Nanchang University", "Jiujiang University"}),
    ("jiangxi", {"Nanchang University", "Jiujiang University"}),
    ("江西", {"江西财经大学", "南昌航空大学"}),
    ("Nanchang", {"Nanchang University"}),
    ("Hubei", {"Wuhan University"}),
    ("Sichuan", set()),
])
def test_select_by_a_province_holds_its_cities_rows(place, expected):
    assert {r.chinese_institution for r in select(ROWS, place=place)} == expected


def test_a_table_answer_filtered_by_a_province_holds_its_cities_rows():
    docs = {"news.txt": {"title": "Partnerships", "text": "x" * 500}}
    answer = table_answer(analyse("Which foreign universities partner with Jiangxi institutions?"),
                          ROWS, docs, [])
    assert "University of Leeds" in answer.answer and "Kyoto University" in answer.answer
    assert [c.start for c in answer.citations] == [0, 100]
