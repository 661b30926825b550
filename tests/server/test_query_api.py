"""Quick queries, checks, plans, schemas and examples through a real jupyter server."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError, HTTPResponse

from surveylab.demo import M2_EXAMPLE_QUERY
from surveylab.examples import EXAMPLES
from tests.support.openapi import assert_matches_contract

Fetch = Callable[..., Awaitable[HTTPResponse]]


async def post(fetch: Fetch, path: str, body: Any) -> Any:
    response = await fetch(
        "surveylab", "api", *path.split("/"), method="POST", body=json.dumps(body)
    )
    return json.loads(response.body)


async def post_error(
    fetch: Fetch, path: str, body: Any, raw: bytes | None = None
) -> tuple[int, Any]:
    with pytest.raises(HTTPClientError) as caught:
        await fetch(
            "surveylab",
            "api",
            *path.split("/"),
            method="POST",
            body=raw if raw is not None else json.dumps(body),
        )
    response = caught.value.response
    assert response is not None
    assert b"Traceback" not in response.body
    return caught.value.code, json.loads(response.body)


async def test_quick_m2_query_returns_typed_columns(jp_fetch: Fetch) -> None:
    result = await post(jp_fetch, "query", {"sql": M2_EXAMPLE_QUERY})
    assert_matches_contract("/query", "post", 200, result)
    assert result["row_count"] > 1000
    assert not result["truncated"]
    columns = {column["name"]: column for column in result["columns"]}
    assert columns["RA"]["unit"] == "deg"
    assert columns["RA"]["type"] == "double"
    assert "Right ascension" in columns["RA"]["description"] or columns["RA"]["description"]
    names = [column["name"] for column in result["columns"]]
    first = dict(zip(names, result["rows"][0], strict=True))
    assert 323.2 < first["RA"] < 323.5


async def test_quick_query_caps_rows_and_says_so(jp_fetch: Fetch) -> None:
    result = await post(jp_fetch, "query", {"sql": "SELECT RA FROM DR1_MAIN", "max_rows": 25})
    assert result["row_count"] == 25
    assert result["truncated"] is True


async def test_quick_query_nulls_are_null(jp_fetch: Fetch) -> None:
    sql = "SELECT CASE WHEN COADD_OBJECT_ID < 0 THEN 1 END AS NOTHING FROM DR1_MAIN"
    result = await post(jp_fetch, "query", {"sql": sql, "max_rows": 3})
    assert result["rows"] == [[None], [None], [None]]


async def test_quick_query_times_out_in_the_database(jp_fetch: Fetch) -> None:
    slow = "SELECT COUNT(*) FROM DR1_MAIN A, DR1_MAIN B, DR1_MAIN C WHERE A.RA + B.RA > C.DEC"
    status, body = await post_error(jp_fetch, "query", {"sql": slow, "timeout": 0.5})
    assert status == 408
    assert_matches_contract("/query", "post", 408, body)
    assert "0.5" in body["message"]
    # the server is still answering, and the catalog still works
    again = await post(jp_fetch, "query", {"sql": "SELECT 1 AS ONE"})
    assert again["rows"] == [[1]]


@pytest.mark.parametrize(
    ("sql", "status", "needle"),
    [
        ("SELECT RA FROM DR1_MAIN WHERE", 400, "line 1"),
        ("DELETE FROM DR1_MAIN", 400, "read-only"),
        ("DROP TABLE DR1_MAIN", 400, "read-only"),
        ("SELECT * FROM NO_SUCH_TABLE", 400, "NO_SUCH_TABLE"),
        ("", 400, "empty"),
    ],
    ids=["syntax", "delete", "drop", "unknown-table", "empty"],
)
async def test_bad_queries_get_a_clear_message(
    jp_fetch: Fetch, sql: str, status: int, needle: str
) -> None:
    code, body = await post_error(jp_fetch, "query", {"sql": sql})
    assert code == status
    assert_matches_contract("/query", "post", status, body)
    assert needle.lower() in body["message"].lower()


async def test_check_reports_line_and_column(jp_fetch: Fetch) -> None:
    sql = "SELECT RA,\n       DEC\nFROM DR1_MAIN\nWHERE RA > AND 3"
    code, body = await post_error(jp_fetch, "query/check", {"sql": sql})
    assert code == 400
    assert_matches_contract("/query/check", "post", 400, body)
    assert (body["line"], body["column"]) == (4, 12)
    assert "AND" in body["message"]


async def test_a_refused_function_is_placed_by_line_and_column(jp_fetch: Fetch) -> None:
    sql = "SELECT RA,\n       current_setting('home_directory') AS home\nFROM DR1_MAIN"
    code, body = await post_error(jp_fetch, "query", {"sql": sql})
    assert code == 400
    assert_matches_contract("/query", "post", 400, body)
    assert (body["line"], body["column"]) == (2, 8)
    assert "current_setting() is not allowed" in body["message"]


async def test_check_accepts_des_oracle_sql(jp_fetch: Fetch) -> None:
    body = await post(
        jp_fetch, "query/check", {"sql": "SELECT RA FROM DR1_MAIN FETCH FIRST 5 ROWS ONLY"}
    )
    assert_matches_contract("/query/check", "post", 200, body)
    assert "LIMIT 5" in body["sql"]
    assert body["tables"] == ["DR1_MAIN"]


async def test_explain_returns_the_plan(jp_fetch: Fetch) -> None:
    body = await post(jp_fetch, "query/explain", {"sql": M2_EXAMPLE_QUERY})
    assert_matches_contract("/query/explain", "post", 200, body)
    assert "DR1_MAIN" in body["plan"].upper()


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b"{}", "missing field(s): sql"),
        (b'{"sql": "SELECT 1", "max_rows": -3}', "max_rows must be a positive"),
        (b'{"sql": "SELECT 1", "timeout": "soon"}', "timeout must be a positive"),
    ],
    ids=["not-json", "not-object", "no-sql", "negative-rows", "bad-timeout"],
)
async def test_malformed_requests(jp_fetch: Fetch, raw: bytes, needle: str) -> None:
    code, body = await post_error(jp_fetch, "query", None, raw=raw)
    assert code == 400
    assert needle in body["message"]


async def test_oversized_request_is_refused(jp_fetch: Fetch) -> None:
    huge = json.dumps({"sql": "SELECT 1 -- " + "x" * 2_000_000}).encode()
    code, body = await post_error(jp_fetch, "query", None, raw=huge)
    assert code == 413
    assert "at most 1,000,000" in body["message"]


async def test_tables_and_columns(jp_fetch: Fetch) -> None:
    listing = json.loads((await jp_fetch("surveylab", "api", "tables")).body)
    assert_matches_contract("/tables", "get", 200, listing)
    assert {"DR1_MAIN", "DR1_TILE_INFO"} <= {table["name"] for table in listing["tables"]}

    detail = json.loads((await jp_fetch("surveylab", "api", "tables", "dr1_main")).body)
    assert_matches_contract("/tables/{name}", "get", 200, detail)
    columns = {column["name"]: column for column in detail["columns"]}
    assert columns["MAG_AUTO_G"]["unit"] == "mag"
    assert detail["rows"] > 20_000


async def test_find_tables_with_a_column(jp_fetch: Fetch) -> None:
    tilename = json.loads(
        (await jp_fetch("surveylab", "api", "tables", params={"column": "tilename"})).body
    )
    assert {table["name"] for table in tilename["tables"]} == {
        "DR1_MAIN",
        "DR1_TILE_INFO",
        "DR1_ANOMALY_TRUTH",
    }
    ra_cent = json.loads(
        (await jp_fetch("surveylab", "api", "tables", params={"column": "RA_CENT"})).body
    )
    assert [table["name"] for table in ra_cent["tables"]] == ["DR1_TILE_INFO"]


async def test_unknown_table_is_a_clear_error(jp_fetch: Fetch) -> None:
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("surveylab", "api", "tables", "NOPE")
    assert caught.value.code == 404
    assert "no table named 'NOPE'" in json.loads(caught.value.response.body)["message"]  # type: ignore[union-attr]


async def test_examples_are_listed_and_all_run(jp_fetch: Fetch) -> None:
    body = json.loads((await jp_fetch("surveylab", "api", "examples")).body)
    assert_matches_contract("/examples", "get", 200, body)
    names = {example["name"] for example in body["examples"]}
    assert {"m2-stars", "star-galaxy", "colour-magnitude", "healpix-counts"} <= names
    assert len(names) >= 6
    for example in body["examples"]:
        result = await post(jp_fetch, "query", {"sql": example["sql"]})
        assert result["row_count"] > 0, example["name"]
    assert len(EXAMPLES) == len(body["examples"])


async def test_a_self_join_gets_unique_column_names_that_say_what_they_were(
    jp_fetch: Fetch,
) -> None:
    sql = (
        "SELECT a.RA, b.RA FROM DR1_MAIN a JOIN DR1_MAIN b "
        "ON a.COADD_OBJECT_ID = b.COADD_OBJECT_ID FETCH FIRST 3 ROWS ONLY"
    )
    result = await post(jp_fetch, "query", {"sql": sql})
    assert_matches_contract("/query", "post", 200, result)
    first, second = result["columns"]
    assert (first["name"], second["name"]) == ("RA", "RA_2")
    assert (first["original_name"], second["original_name"]) == ("RA", "RA")
    assert first["unit"] == second["unit"] == "deg"
    assert "RA renamed RA_2" in second["description"]
    assert result["row_count"] == 3
    assert all(row[0] == row[1] for row in result["rows"])


async def test_repeated_aliases_get_unique_names(jp_fetch: Fetch) -> None:
    result = await post(jp_fetch, "query", {"sql": "SELECT 1 AS x, 2 AS x"})
    assert [column["name"] for column in result["columns"]] == ["x", "x_2"]
    assert result["rows"] == [[1, 2]]
