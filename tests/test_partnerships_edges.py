"""`qa partnerships` and GET /api/partnerships over an index of the seed corpus (hashing
embedder: the table does not depend on the model)."""

import csv
import io
import json

import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.service import run_index


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    import shutil

    from qa.config import Settings
    from qa.embedders import HashingEmbedder

    from conftest import SEED_CORPUS

    root = tmp_path_factory.mktemp("table")
    shutil.copytree(SEED_CORPUS, root / "corpus")
    settings = Settings(corpus_dir=root / "corpus", index_dir=root / "index",
                        data_dir=root / "data")
    run_index(settings, HashingEmbedder(), multilingual=None)
    return settings


def _cli(settings, *args):
    return CliRunner().invoke(main, ["--corpus-dir", str(settings.corpus_dir), "--index-dir",
                                     str(settings.index_dir), "partnerships", *args])


@pytest.mark.parametrize("country", ["Russia", "Russian", "俄罗斯"])
def test_cli_json_rows_for_a_country_in_any_of_its_names(indexed, country):
    result = _cli(indexed, "--country", country, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["foreign_institution"] for r in rows} == {
        "Moscow Conservatory", "Far Eastern Federal University", "Novosibirsk State University",
        "Moscow State Tchaikovsky Conservatory", "Ulyanovsk State Technical University"}
    documents = {}
    for row in rows:
        assert row["foreign_country"] == "Russian Federation"
        assert set(row) >= {"chinese_institution", "chinese_place", "foreign_institution",
                            "foreign_country", "kind", "date", "citations"}
        for c in row["citations"]:
            assert set(c) == {"source", "quote", "start", "end"}
            path = indexed.corpus_dir / c["source"]
            documents.setdefault(c["source"], path.read_text("utf-8"))
            assert c["quote"].split()[-1].strip(".") in documents[c["source"]]


def test_cli_filters_combine_and_text_output_cites(indexed):
    result = _cli(indexed, "--institution", "Chongqing University", "--kind", "programme")
    assert result.exit_code == 0, result.output
    assert ("Novosibirsk State University (Russian Federation) — Chongqing University"
            ": joint programme, undergraduate, physics") in result.stdout
    assert "characters" in result.stdout and "“a physics undergraduate program" in result.stdout
    assert "Otago" not in result.stdout


def test_cli_csv_has_a_header_and_a_line_a_row(indexed):
    result = _cli(indexed, "--year", "2025", "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(r["date"].startswith("2025") for r in rows)
    assert {r["kind"] for r in rows} >= {"alliance", "cooperation"}


@pytest.mark.parametrize("args,message", [
    (["--country", "Narnia"], "unknown country 'Narnia'"),
    (["--year", "last"], "bad year 'last'"),
    (["--kind", "picnic"], "unknown kind 'picnic'"),
    (["--json", "--csv"], "not both"),
])
def test_cli_bad_filters_are_clear_errors(indexed, args, message):
    result = _cli(indexed, *args)
    assert result.exit_code != 0
    assert message in result.output


def test_cli_without_an_index_says_what_to_run(tmp_path):
    result = CliRunner().invoke(main, ["--index-dir", str(tmp_path / "none"), "partnerships"])
    assert result.exit_code != 0 and "qa index" in result.output


@pytest.fixture(scope="module")
def client(indexed):
    from fastapi.testclient import TestClient

    from qa.api import create_app

    return TestClient(create_app(indexed, with_ui=False))


def test_api_filters_as_the_cli_does(client):
    response = client.get("/api/partnerships", params={"country": "俄罗斯", "kind": "institute"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["partnerships"]) == 2
    assert {r["foreign_institution"] for r in body["partnerships"]} == {
        "Far Eastern Federal University", "Moscow State Tchaikovsky Conservatory"}
    everything = client.get("/api/partnerships").json()
    assert everything["count"] > body["count"]


@pytest.mark.parametrize("params,message", [
    ({"country": "Atlantis"}, "unknown country"), ({"year": "20x5"}, "bad year"),
    ({"kind": "party"}, "unknown kind")])
def test_api_bad_filters_are_400_with_a_message(client, params, message):
    response = client.get("/api/partnerships", params=params)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_api_partnerships_is_in_the_openapi_schema(client):
    schema = client.get("/api/openapi.json").json()
    route = schema["paths"]["/api/partnerships"]["get"]
    assert {p["name"] for p in route["parameters"]} == {"country", "institution", "place", "kind",
                                                       "year"}
    assert "PartnershipOut" in schema["components"]["schemas"]


def test_cli_a_province_holds_the_rows_placed_in_its_cities(indexed):
    from qa.partnerships import province_of

    def rows(place):
        result = _cli(indexed, "--place", place, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    in_nanchang, in_jiangxi = rows("Nanchang"), rows("Jiangxi")
    assert in_nanchang and {r["chinese_place"] for r in in_nanchang} == {"Nanchang"}
    assert {r["chinese_place"] for r in in_jiangxi} >= {"Nanchang", "Jiangxi"}
    assert all(r["chinese_place"] == "Jiangxi" or province_of(r["chinese_place"]) == "Jiangxi"
               or "Jiangxi" in r["chinese_institution"] for r in in_jiangxi)
    assert rows("Tibet") == []


def test_api_place_filter(client):
    by_city = client.get("/api/partnerships", params={"place": "Nanchang"}).json()
    by_province = client.get("/api/partnerships", params={"place": "jiangxi"}).json()
    assert 0 < by_city["count"] < by_province["count"]
