"""ADQL 2.1 translated by ``surveylab.vo.adql`` and run on real databases: the demo survey on
DuckDB and on PostgreSQL, synthetic skies on DuckDB (RA 0, the poles), Oracle's SQL parsed back.

Every geometric answer is checked against an independent computation in numpy or astropy; the
prefilter is checked in DuckDB's own profile of the query."""

from __future__ import annotations

import datetime
import doctest
import json
import math
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pytest
import sqlglot
from astropy import units as u
from astropy.coordinates import SkyCoord
from sqlglot import exp

from surveylab.catalog import DuckDBCatalog, PostgresCatalog
from surveylab.catalog.base import Catalog
from surveylab.demo import M2_DEC, M2_RA
from surveylab.errors import (
    FunctionNotAllowedError,
    ReadOnlyQueryError,
    RequestError,
    SQLSyntaxError,
)
from surveylab.vo import adql
from surveylab.vo.adql import ADQLTranslationError, translate

Positions = tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]

#: DES's M2 example as ADQL: a 0.12 degree cone around the cluster.
M2_CONE = (
    "SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_G AS G FROM DR1_MAIN "
    f"WHERE CONTAINS(POINT('ICRS', RA, DEC), CIRCLE('ICRS', {M2_RA}, {M2_DEC}, 0.12)) = 1"
)


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def duck(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBCatalog]:
    """The demo catalog on DuckDB, from a copy of its file: DuckDB lets a process open a file
    with one configuration only, and the PostgreSQL fixture reads the original its own way."""
    copy = tmp_path_factory.mktemp("adql") / "catalog.duckdb"
    shutil.copyfile(demo_data_dir / "catalog.duckdb", copy)
    catalog = DuckDBCatalog(copy)
    yield catalog
    catalog.close()


@pytest.fixture(scope="module")
def demo_positions(duck: DuckDBCatalog) -> Positions:
    """COADD_OBJECT_ID, RA and DEC of every demo object, read with plain SQL."""
    with duck.execute("SELECT COADD_OBJECT_ID, RA, DEC FROM DR1_MAIN") as handle:
        table = handle.reader().read_all()
    return tuple(np.asarray(table.column(i)) for i in range(3))  # type: ignore[return-value]


#: Where the synthetic sky crowds its points: across RA 0, and around both poles.
CROWDS = ((0.0, 0.0, 3.0), (0.0, 89.0, 1.5), (137.0, -88.5, 2.0))


@pytest.fixture(scope="module")
def sky() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB table SKY(ID, RA, DEC): 40,000 points over the whole sphere and
    20,000 crowded around each of :data:`CROWDS`, RA in [0, 360)."""
    rng = np.random.default_rng(7)
    whole = rng.normal(size=(40_000, 3))
    parts = [whole / np.linalg.norm(whole, axis=1, keepdims=True)]
    for ra, dec, spread in CROWDS:
        centre = _unit(np.array([ra]), np.array([dec]))[0]
        points = centre + rng.normal(scale=math.radians(spread), size=(20_000, 3))
        parts.append(points / np.linalg.norm(points, axis=1, keepdims=True))
    xyz = np.concatenate(parts)
    ra = np.degrees(np.arctan2(xyz[:, 1], xyz[:, 0])) % 360
    dec = np.degrees(np.arcsin(xyz[:, 2]))
    con = duckdb.connect()
    con.register("points", pa.table({"ID": np.arange(len(ra)), "RA": ra, "DEC": dec}))
    con.execute("CREATE TABLE SKY AS SELECT * FROM points ORDER BY DEC")
    con.unregister("points")
    yield con
    con.close()


def _unit(ra: npt.ArrayLike, dec: npt.ArrayLike) -> npt.NDArray[np.float64]:
    a, d = np.radians(ra), np.radians(dec)
    return np.stack([np.cos(d) * np.cos(a), np.cos(d) * np.sin(a), np.sin(d)], axis=-1)


def _separation(
    ra: npt.ArrayLike, dec: npt.ArrayLike, ra0: float, dec0: float
) -> npt.NDArray[np.float64]:
    """Degrees between each (ra, dec) and (ra0, dec0), by vectors (not the haversine)."""
    points, centre = _unit(ra, dec), _unit(ra0, dec0)
    angle: npt.NDArray[np.float64] = np.degrees(
        np.arctan2(np.linalg.norm(np.cross(points, centre), axis=-1), points @ centre)
    )
    return angle


def _sky_positions(sky: duckdb.DuckDBPyConnection) -> Positions:
    table = sky.sql("SELECT ID, RA, DEC FROM SKY").to_arrow_table()
    return tuple(np.asarray(table.column(i)) for i in range(3))  # type: ignore[return-value]


def _sky_ids(sky: duckdb.DuckDBPyConnection, where: str) -> set[int]:
    """IDs of SKY that the ADQL condition ``where`` selects, run on DuckDB."""
    sql = translate(f"SELECT ID FROM SKY WHERE {where}", "duckdb").sql
    return {int(row[0]) for row in sky.execute(sql).fetchall()}


def _run(catalog: Catalog, text: str, uploads: dict[str, pa.Table] | None = None) -> pa.Table:
    """Translate ``text`` for ``catalog`` and run it, as the TAP service does."""
    query = translate(text, catalog.dialect, uploads=uploads)
    with catalog.execute(query.sql, timeout=60) as handle:
        return handle.reader().read_all()


def _ids(table: pa.Table) -> set[int]:
    return {int(value) for value in table.column(0).to_pylist()}


def _parse_oracle(sql: str) -> exp.Expr:
    """Oracle's SQL read back by sqlglot's Oracle dialect (it raises on anything it cannot)."""
    tree = sqlglot.parse_one(sql, read="oracle", error_level=sqlglot.ErrorLevel.RAISE)
    assert tree is not None
    return tree


def test_module_examples() -> None:
    assert doctest.testmod(adql, raise_on_error=True).attempted >= 2


# --- cones: the M2 example and the synthetic sky -----------------------------------------------


def test_m2_cone_returns_what_a_brute_force_filter_returns(
    duck: DuckDBCatalog, demo_positions: Positions
) -> None:
    ids, ra, dec = demo_positions
    inside = set(ids[_separation(ra, dec, M2_RA, M2_DEC) <= 0.12].tolist())
    found = _run(duck, M2_CONE)
    assert _ids(found) == inside
    assert len(inside) > 1000  # M2's stars are there
    assert found.column_names == ["COADD_OBJECT_ID", "RA", "DEC", "G"]


def test_m2_cone_on_postgres_returns_the_same_rows(
    postgres_catalog: PostgresCatalog, demo_positions: Positions
) -> None:
    ids, ra, dec = demo_positions
    inside = set(ids[_separation(ra, dec, M2_RA, M2_DEC) <= 0.12].tolist())
    assert _ids(_run(postgres_catalog, M2_CONE)) == inside


CONES = [
    # (id, ra, dec, radius)
    ("across-ra-0", 0.3, 0.5, 2.0),
    ("across-ra-0-west", 359.2, -1.0, 1.5),
    ("near-north-pole", 0.0, 88.0, 1.2),
    ("reaches-north-pole", 200.0, 89.5, 1.0),
    ("around-south-pole", 137.0, -89.9, 0.5),
    ("south-pole-off-centre", 100.0, -87.5, 2.0),
    ("wide", 10.0, 20.0, 40.0),
]


@pytest.mark.parametrize(("ra", "dec", "radius"), [c[1:] for c in CONES], ids=[c[0] for c in CONES])
def test_cones_match_brute_force_across_ra_0_and_at_the_poles(
    sky: duckdb.DuckDBPyConnection, ra: float, dec: float, radius: float
) -> None:
    ids, ras, decs = _sky_positions(sky)
    distance = _separation(ras, decs, ra, dec)
    inside = set(ids[distance <= radius].tolist())
    circle = f"CIRCLE('ICRS', {ra}, {dec}, {radius})"
    point = "POINT('ICRS', RA, DEC)"
    assert len(inside) > 100
    assert _sky_ids(sky, f"CONTAINS({point}, {circle}) = 1") == inside
    assert _sky_ids(sky, f"1 = CONTAINS({point}, {circle})") == inside
    assert _sky_ids(sky, f"INTERSECTS({circle}, {point}) = 1") == inside
    assert _sky_ids(sky, f"CONTAINS({point}, {circle}) = 0") == set(ids.tolist()) - inside
    assert _sky_ids(sky, f"DISTANCE({point}, POINT({ra}, {dec})) <= {radius}") == inside


def test_geometry_in_a_coordinate_is_translated_too(sky: duckdb.DuckDBPyConnection) -> None:
    ids, ras, decs = _sky_positions(sky)
    inside = set(ids[_separation(ras, decs, 0.3, 0.5) <= 2].tolist())
    point = "POINT(COORD1(POINT('ICRS', RA, DEC)), COORD2(POINT(RA, DEC)))"
    assert _sky_ids(sky, f"CONTAINS({point}, CIRCLE(0.3, 0.5, 2)) = 1") == inside


def test_a_cone_as_a_value_is_1_or_0(sky: duckdb.DuckDBPyConnection) -> None:
    ids, ras, decs = _sky_positions(sky)
    sql = translate(
        "SELECT ID, CONTAINS(POINT(RA, DEC), CIRCLE(0.3, 0.5, 2)) AS INSIDE FROM SKY", "duckdb"
    ).sql
    flags = dict(sky.execute(sql).fetchall())
    expected = _separation(ras, decs, 0.3, 0.5) <= 2
    assert [flags[int(i)] for i in ids] == expected.astype(int).tolist()


def test_circles_inside_and_overlapping_circles(sky: duckdb.DuckDBPyConnection) -> None:
    ids, ras, decs = _sky_positions(sky)
    distance = _separation(ras, decs, 0.0, 0.0)
    # circles of 0.5 degree around each point: inside a 2 degree circle, or touching it
    within = "CONTAINS(CIRCLE(RA, DEC, 0.5), CIRCLE(0, 0, 2)) = 1"
    touching = "INTERSECTS(CIRCLE(RA, DEC, 0.5), CIRCLE(0, 0, 2)) = 1"
    assert _sky_ids(sky, within) == set(ids[distance <= 1.5].tolist())
    assert _sky_ids(sky, touching) == set(ids[distance <= 2.5].tolist())
    assert _sky_ids(sky, "CONTAINS(CIRCLE(RA, DEC, 3), CIRCLE(0, 0, 2)) = 1") == set()


# --- polygons, boxes, distances ----------------------------------------------------------------


def _in_convex_polygon(
    ras: npt.NDArray[np.float64], decs: npt.NDArray[np.float64], vertices: list[tuple[float, float]]
) -> npt.NDArray[np.bool_]:
    """Inside a convex spherical polygon, by the gnomonic projection around its vertices'
    centre (great circles project to straight lines) and a planar test."""
    corners = _unit(*zip(*vertices, strict=True))
    centre = corners.sum(axis=0)
    centre /= np.linalg.norm(centre)
    east = np.cross([0.0, 0.0, 1.0], centre)
    east /= np.linalg.norm(east)
    north = np.cross(centre, east)

    def project(xyz: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        depth = xyz @ centre
        return np.stack([(xyz @ east) / depth, (xyz @ north) / depth], axis=-1)

    points = _unit(ras, decs)
    flat, plane = project(points), project(corners)
    edges = np.roll(plane, -1, axis=0) - plane
    crosses = np.stack(
        [
            e[0] * (flat[:, 1] - p[1]) - e[1] * (flat[:, 0] - p[0])
            for e, p in zip(edges, plane, strict=True)
        ]
    )
    same_side = np.all(crosses >= 0, axis=0) | np.all(crosses <= 0, axis=0)
    inside: npt.NDArray[np.bool_] = same_side & (points @ centre > 0)
    return inside


POLYGONS = [
    # (id, vertices)
    ("square-across-ra-0", [(358.5, -1.5), (1.5, -1.5), (1.5, 1.5), (358.5, 1.5)]),
    ("pentagon", [(1.0, -2.0), (2.5, 0.0), (1.0, 2.5), (-1.5, 1.5), (-1.0, -2.5)]),
    ("triangle-around-north-pole", [(0.0, 88.0), (120.0, 88.0), (240.0, 88.0)]),
    ("near-south-pole", [(120.0, -86.0), (150.0, -86.0), (140.0, -89.0)]),
]


@pytest.mark.parametrize("vertices", [p[1] for p in POLYGONS], ids=[p[0] for p in POLYGONS])
@pytest.mark.parametrize("clockwise", [False, True], ids=["one-way", "other-way"])
def test_convex_polygons_match_brute_force_in_either_orientation(
    sky: duckdb.DuckDBPyConnection, vertices: list[tuple[float, float]], clockwise: bool
) -> None:
    ids, ras, decs = _sky_positions(sky)
    inside = set(ids[_in_convex_polygon(ras, decs, vertices)].tolist())
    ordered = vertices[::-1] if clockwise else vertices
    numbers = ", ".join(f"{ra}, {dec}" for ra, dec in ordered)
    points = ", ".join(f"POINT({ra}, {dec})" for ra, dec in ordered)
    assert len(inside) > 100
    assert _sky_ids(sky, f"CONTAINS(POINT(RA, DEC), POLYGON('ICRS', {numbers})) = 1") == inside
    assert _sky_ids(sky, f"INTERSECTS(POLYGON({points}), POINT(RA, DEC)) = 1") == inside


BOXES = [
    # (id, ra, dec, width, height)
    ("across-ra-0", 359.5, 0.5, 3.0, 2.0),
    ("east-of-ra-0", 1.0, -1.0, 1.0, 4.0),
    ("polar-cap-band", 180.0, 88.5, 360.0, 2.0),
    ("narrow", 0.0, 0.0, 1.0, 0.5),
]


@pytest.mark.parametrize(
    ("ra", "dec", "width", "height"), [b[1:] for b in BOXES], ids=[b[0] for b in BOXES]
)
def test_boxes_are_coordinate_ranges(
    sky: duckdb.DuckDBPyConnection, ra: float, dec: float, width: float, height: float
) -> None:
    ids, ras, decs = _sky_positions(sky)
    ra_offset = (ras - ra + 180) % 360 - 180
    inside = set(
        ids[(np.abs(decs - dec) <= height / 2) & (np.abs(ra_offset) <= width / 2)].tolist()
    )
    assert len(inside) > 100
    box = f"BOX('ICRS', {ra}, {dec}, {width}, {height})"
    assert _sky_ids(sky, f"CONTAINS(POINT('ICRS', RA, DEC), {box}) = 1") == inside
    assert (
        _sky_ids(sky, f"CONTAINS(POINT(RA, DEC), BOX(POINT({ra}, {dec}), {width}, {height})) = 1")
        == inside
    )


def test_a_box_centred_on_columns_wraps_ra(sky: duckdb.DuckDBPyConnection) -> None:
    sky.execute(
        "CREATE OR REPLACE TABLE CENTRE AS SELECT 359.5::DOUBLE AS CRA, 0.5::DOUBLE AS CDEC"
    )
    ids, ras, decs = _sky_positions(sky)
    ra_offset = (ras - 359.5 + 180) % 360 - 180
    inside = set(ids[(np.abs(decs - 0.5) <= 1) & (np.abs(ra_offset) <= 1.5)].tolist())
    sql = translate(
        "SELECT s.ID FROM SKY AS s, CENTRE AS c "
        "WHERE CONTAINS(POINT(s.RA, s.DEC), BOX(c.CRA, c.CDEC, 3, 2)) = 1",
        "duckdb",
    ).sql
    assert {int(row[0]) for row in sky.execute(sql).fetchall()} == inside


def test_distances_agree_with_astropy(duck: DuckDBCatalog) -> None:
    found = _run(
        duck,
        "SELECT TOP 500 RA, DEC, DISTANCE(POINT('ICRS', RA, DEC), POINT('ICRS', 323.36, -0.82)) "
        "AS D1, DISTANCE(RA, DEC, 10.0, -45.0) AS D2 FROM DR1_MAIN ORDER BY COADD_OBJECT_ID",
    )
    coords = SkyCoord(found["RA"].to_numpy() * u.deg, found["DEC"].to_numpy() * u.deg)
    near = coords.separation(SkyCoord(323.36 * u.deg, -0.82 * u.deg)).deg
    far = coords.separation(SkyCoord(10.0 * u.deg, -45.0 * u.deg)).deg
    assert np.allclose(found["D1"].to_numpy(), near, rtol=0, atol=1e-9)
    assert np.allclose(found["D2"].to_numpy(), far, rtol=0, atol=1e-9)
    assert found.num_rows == 500


def test_distances_on_postgres_agree_with_astropy(postgres_catalog: PostgresCatalog) -> None:
    found = _run(
        postgres_catalog,
        "SELECT TOP 200 RA, DEC, DISTANCE(RA, DEC, 323.36, -0.82) AS D FROM DR1_MAIN "
        "ORDER BY COADD_OBJECT_ID",
    )
    coords = SkyCoord(found["RA"].to_numpy() * u.deg, found["DEC"].to_numpy() * u.deg)
    expected = coords.separation(SkyCoord(323.36 * u.deg, -0.82 * u.deg)).deg
    assert np.allclose(found["D"].to_numpy(), expected, rtol=0, atol=1e-9)


def test_coordinates_of_a_point(duck: DuckDBCatalog) -> None:
    found = _run(
        duck,
        "SELECT TOP 3 COORD1(POINT('ICRS', RA, DEC)) AS A, COORD2(POINT(RA, DEC)) AS D, "
        "COORDSYS(POINT('ICRS GEOCENTER', RA, DEC)) AS S, RA, DEC FROM DR1_MAIN",
    )
    assert found["A"].to_pylist() == found["RA"].to_pylist()
    assert found["D"].to_pylist() == found["DEC"].to_pylist()
    assert found["S"].to_pylist() == ["ICRS GEOCENTER"] * 3


# --- the prefilter prunes ----------------------------------------------------------------------


def _scans(plan: object) -> Iterator[dict[str, object]]:
    """The TABLE_SCAN operators of a DuckDB JSON profile."""
    if isinstance(plan, dict):
        if plan.get("type") == "TABLE_SCAN":
            yield plan
        for value in plan.values():
            yield from _scans(value)
    elif isinstance(plan, list):
        for value in plan:
            yield from _scans(value)


def _scan_of(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, object]:
    """The one table scan of ``sql`` as DuckDB ran it (``EXPLAIN ANALYZE``)."""
    profile = json.loads(con.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}").fetchall()[0][1])
    (scan,) = _scans(profile)
    return scan


def test_a_cone_reads_few_row_groups(
    duck: DuckDBCatalog, tmp_path: Path, demo_positions: Positions
) -> None:
    """DR1_MAIN copied in its HEALPix order into row groups of 2,048 rows: the cone's Dec band
    and RA range are pushed into the scan, whose zone maps skip most row groups; the exact
    test alone reads them all."""
    with duck.execute("SELECT * FROM DR1_MAIN ORDER BY HPIX_1024, COADD_OBJECT_ID") as handle:
        rows = handle.reader().read_all()
    con = duckdb.connect()
    con.execute(f"ATTACH '{tmp_path / 'small-groups.duckdb'}' AS small (ROW_GROUP_SIZE 2048)")
    con.execute("USE small")
    con.register("demo_rows", rows)
    con.execute("CREATE TABLE DR1_MAIN AS SELECT * FROM demo_rows")
    con.unregister("demo_rows")
    ids, ras, decs = demo_positions
    far = _separation(ras, decs, M2_RA, M2_DEC) > 5  # among field objects, not M2's crowd
    ra, dec = float(np.median(ras[far & (ras < 180)])), float(np.median(decs[far]))
    cone = f"CONTAINS(POINT('ICRS', RA, DEC), CIRCLE('ICRS', {ra}, {dec}, 1.5))"
    query = translate(f"SELECT COADD_OBJECT_ID FROM DR1_MAIN WHERE {cone} = 1", "duckdb")
    inside = set(ids[_separation(ras, decs, ra, dec) <= 1.5].tolist())
    assert {row[0] for row in con.execute(query.sql).fetchall()} == inside
    assert len(inside) > 5
    scan = _scan_of(con, query.sql)
    filters = json.dumps(scan["extra_info"])
    assert "DEC >=" in filters and "DEC <=" in filters and "RA >=" in filters
    total = math.ceil(len(ids) / 2048)
    assert scan["total_row_groups_to_scan"] == total
    # most are skipped (4 or 5 of the 12, as the row-group boundaries fall)
    assert int(str(scan["row_groups_scanned"])) * 2 < total
    # NOT (... = 0) is the exact test alone, with no prefilter: every row group is read
    exact_only = translate(f"SELECT COADD_OBJECT_ID FROM DR1_MAIN WHERE NOT ({cone} = 0)", "duckdb")
    assert "BETWEEN" not in exact_only.sql
    assert _scan_of(con, exact_only.sql)["row_groups_scanned"] == total
    con.close()


# --- ADQL 2.1 syntax and functions -------------------------------------------------------------


@pytest.fixture(params=["duckdb", "postgres"])
def catalog(request: pytest.FixtureRequest, duck: DuckDBCatalog) -> Catalog:
    """The demo survey on DuckDB, then on PostgreSQL."""
    if request.param == "duckdb":
        return duck
    return request.getfixturevalue("postgres_catalog")  # type: ignore[no-any-return]


def test_top_and_offset(catalog: Catalog, demo_positions: Positions) -> None:
    ordered = sorted(demo_positions[0].tolist())
    query = "SELECT TOP 5 COADD_OBJECT_ID FROM DR1_MAIN ORDER BY COADD_OBJECT_ID"
    assert _run(catalog, query).column(0).to_pylist() == ordered[:5]
    assert _run(catalog, f"{query} OFFSET 7").column(0).to_pylist() == ordered[7:12]
    distinct = _run(catalog, "SELECT DISTINCT TOP 2 EXTENDED_CLASS_COADD FROM DR1_MAIN ORDER BY 1")
    assert distinct.column(0).to_pylist() == [0, 1]


def test_with_set_operations_and_quoted_names(catalog: Catalog) -> None:
    found = _run(
        catalog,
        'WITH bright AS (SELECT "COADD_OBJECT_ID" AS "Id", "ra" FROM DR1_MAIN '
        "WHERE MAG_AUTO_G < 19) "
        'SELECT b."Id" FROM bright AS b WHERE b.ra > 300 '
        "UNION SELECT COADD_OBJECT_ID FROM DR1_MAIN WHERE MAG_AUTO_G < 19 AND RA < 10 "
        "EXCEPT SELECT COADD_OBJECT_ID FROM DR1_MAIN WHERE DEC > 0",
    )
    expected = _run(
        catalog,
        "SELECT COADD_OBJECT_ID FROM DR1_MAIN WHERE MAG_AUTO_G < 19 AND (RA > 300 OR RA < 10) "
        "AND DEC <= 0",
    )
    assert _ids(found) == _ids(expected)
    assert found.num_rows > 10
    assert found.column_names == ["Id"]


#: ADQL's functions on literal arguments, with what they must give.
FUNCTIONS = [
    ("ABS(-2.5)", 2.5),
    ("CEILING(1.2)", 2.0),
    ("FLOOR(-1.5)", -2.0),
    ("DEGREES(PI())", 180.0),
    ("RADIANS(180)", math.pi),
    ("EXP(1)", math.e),
    ("LOG(EXP(2))", 2.0),
    ("LOG10(1000)", 3.0),
    ("MOD(7, 3)", 1.0),
    ("MOD(RA - RA + 7.5, 2)", 1.5),
    ("POWER(2, 10)", 1024.0),
    ("SQRT(16)", 4.0),
    ("ROUND(2.567, 2)", 2.57),
    ("ROUND(RA - RA + 2.567, 1)", 2.6),
    ("TRUNCATE(DEC - DEC + 2.567, 1)", 2.5),
    ("SIN(PI() / 2)", 1.0),
    ("COS(0)", 1.0),
    ("TAN(PI() / 4)", 1.0),
    ("ASIN(1)", math.pi / 2),
    ("ACOS(1)", 0.0),
    ("ATAN(1)", math.pi / 4),
    ("ATAN2(1, 1)", math.pi / 4),
    ("COT(PI() / 4)", 1.0),
    ("COALESCE(NULL, 3)", 3.0),
    ("CAST(RA - RA + 2.9 AS INTEGER)", 3.0),
]


@pytest.mark.parametrize(("expression", "value"), FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_adql_functions_compute_what_adql_says(
    catalog: Catalog, expression: str, value: float
) -> None:
    found = _run(catalog, f"SELECT TOP 1 {expression} AS V FROM DR1_MAIN")
    assert float(found.column(0)[0].as_py()) == pytest.approx(value, abs=1e-12)


def test_strings_and_random_numbers(catalog: Catalog) -> None:
    found = _run(
        catalog,
        "SELECT TOP 1 LOWER('AbC') || UPPER('d') AS S, RAND() AS R FROM DR1_TILE_INFO "
        "WHERE TILENAME ILIKE 'des%'",
    )
    assert found.column(0).to_pylist() == ["abcD"]
    assert 0 <= found.column(1)[0].as_py() < 1


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "oracle"])
def test_functions_become_what_the_backend_has(dialect: str) -> None:
    sql = translate(
        "SELECT LOG(RA), LOG10(RA), DEGREES(RA), RADIANS(DEC), PI(), COT(RA), RAND(), "
        "TRUNCATE(RA, 2), ROUND(DEC, 1), MOD(RA, 3), CAST(RA AS VARCHAR) FROM DR1_MAIN "
        "WHERE TILENAME ILIKE 'x%'",
        dialect,
    ).sql
    assert "LN(" in sql and "TRUNCATE" not in sql
    if dialect == "oracle":
        tree = _parse_oracle(sql)
        written = {type(node).__name__ for node in tree.find_all(exp.Func)}
        assert not written & {"Degrees", "Radians", "Pi", "Cot", "ILike"}
        assert "LOG(10, " in sql and "DBMS_RANDOM.VALUE" in sql and "MOD(" in sql
        assert 'CAST("RA" AS VARCHAR2(4000))' in sql
    else:
        assert "LOG10(" in sql and "RANDOM()" in sql


def test_oracle_gets_fetch_first_and_offset_rows() -> None:
    sql = translate(
        "SELECT TOP 10 RA FROM DR1_MAIN WHERE CONTAINS(POINT(RA, DEC), CIRCLE(0.1, 0, 1)) = 1 "
        "ORDER BY RA OFFSET 20",
        "oracle",
    ).sql
    tree = _parse_oracle(sql)
    assert sql.endswith("OFFSET 20 ROWS FETCH FIRST 10 ROWS ONLY")
    assert tree.find(exp.Or) is not None  # the RA range, split across RA 0


# --- TAP_SCHEMA ---------------------------------------------------------------------------------


def test_tap_schema_is_queried_like_any_table(catalog: Catalog) -> None:
    columns = _run(
        catalog,
        "SELECT c.column_name, c.principal, c.indexed, c.unit FROM TAP_SCHEMA.columns AS c "
        "JOIN TAP_SCHEMA.tables AS t ON t.table_name = c.table_name "
        "WHERE t.table_name = 'DR1_MAIN' AND c.indexed = 1 ORDER BY c.column_index",
    )
    assert columns.column(0).to_pylist() == ["COADD_OBJECT_ID", "RA", "DEC", "HPIX_1024"]
    assert columns.column(1).to_pylist() == [1, 1, 1, 0]
    assert columns.column(3).to_pylist() == ["", "deg", "deg", ""]
    query = translate("SELECT table_name FROM TAP_SCHEMA.tables", catalog.dialect)
    assert query.tables == ("TAP_SCHEMA.TABLES",)


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "oracle"])
def test_reserved_words_are_quoted_in_the_backends_case(dialect: str) -> None:
    sql = translate(
        'SELECT "size", "std", principal, indexed, "MixedCase" FROM TAP_SCHEMA.columns', dialect
    ).sql
    size = {"duckdb": '"size"', "postgres": '"size"', "oracle": '"SIZE"'}[dialect]
    assert size in sql and '"MixedCase"' in sql
    if dialect == "oracle":
        _parse_oracle(sql)


# --- uploads ------------------------------------------------------------------------------------


def _targets(positions: Positions) -> pa.Table:
    """Targets: 60 demo objects moved by 1.8 arcsec, and 3 places with no object."""
    ids, ra, dec = positions
    rng = np.random.default_rng(3)
    pick = rng.choice(len(ids), 60, replace=False)
    angle = rng.uniform(0, 2 * np.pi, 60)
    shift = 0.0005
    target_dec = dec[pick] + shift * np.sin(angle)
    target_ra = (ra[pick] + shift * np.cos(angle) / np.cos(np.radians(dec[pick]))) % 360
    return pa.table(
        {
            "target": np.arange(63),
            "ra": np.concatenate([target_ra, [100.0, 200.0, 300.0]]),
            "dec": np.concatenate([target_dec, [80.0, 85.0, 89.0]]),
        }
    )


def _pairs(positions: Positions, targets: pa.Table, radius: float) -> set[tuple[int, int]]:
    ids, ra, dec = positions
    found = set()
    for target, tra, tdec in zip(*(targets.column(i).to_pylist() for i in range(3)), strict=True):
        near = ids[_separation(ra, dec, tra, tdec) <= radius]
        found |= {(int(target), int(i)) for i in near}
    return found


def test_a_cross_match_with_an_upload(catalog: Catalog, demo_positions: Positions) -> None:
    targets = _targets(demo_positions)
    found = _run(
        catalog,
        "SELECT u.target, m.COADD_OBJECT_ID FROM DR1_MAIN AS m "
        "JOIN TAP_UPLOAD.targets AS u "
        "ON CONTAINS(POINT('ICRS', m.RA, m.DEC), CIRCLE('ICRS', u.ra, u.dec, 0.001)) = 1",
        uploads={"Targets": targets},
    )
    pairs = {
        (int(a), int(b))
        for a, b in zip(*(found.column(i).to_pylist() for i in range(2)), strict=True)
    }
    assert pairs == _pairs(demo_positions, targets, 0.001)
    assert {target for target, _ in pairs} >= set(range(60))


def test_a_cross_match_joins_on_a_dec_band() -> None:
    sql = translate(
        "SELECT * FROM DR1_MAIN AS m, TAP_UPLOAD.t AS u "
        "WHERE 1 = CONTAINS(POINT('ICRS', m.RA, m.DEC), CIRCLE('ICRS', u.ra, u.dec, 0.001))",
        "duckdb",
        uploads={"t": pa.table({"ra": [1.0], "dec": [2.0]})},
    ).sql
    assert "m.DEC BETWEEN (u.dec - 0.001000001) AND (u.dec + 0.001000001)" in sql


#: Times of the upload, relative to now (no test depends on the calendar): one to the
#: microsecond, and a midnight long before it.
SEEN = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=400)).replace(
    tzinfo=None, microsecond=600000
)
LONG_AGO = datetime.datetime.combine(SEEN.date() - datetime.timedelta(days=9000), datetime.time())

#: An upload with a column of each kind, NULLs among them, and TAP_SCHEMA-like names.
UPLOAD = pa.table(
    {
        "id": pa.array([1, 2, 3], pa.int32()),
        "ra": pa.array([10.5, None, 0.1 + 0.2], pa.float64()),
        "name": pa.array(["a", "o'neil", None]),
        "flag": pa.array([True, None, False]),
        "seen": pa.array(
            [SEEN, None, LONG_AGO],
            pa.timestamp("us"),
        ),
        "size": pa.array([None, 7, 8], pa.int64()),
        "std": pa.array([None, None, None], pa.int16()),
    }
)


def test_an_upload_keeps_its_values_types_and_nulls(catalog: Catalog) -> None:
    found = _run(
        catalog,
        'SELECT id, ra, name, flag, seen, "size", std FROM TAP_UPLOAD.things ORDER BY id',
        uploads={"things": UPLOAD},
    )
    assert [column.to_pylist() for column in found.columns] == [
        column.to_pylist() for column in UPLOAD.columns
    ]
    assert found.schema.types[:5] == UPLOAD.schema.types[:5]


def test_an_empty_upload_and_one_of_10000_rows(catalog: Catalog) -> None:
    empty = pa.table({"x": pa.array([], pa.float64())})
    assert (
        _run(catalog, "SELECT COUNT(*) FROM TAP_UPLOAD.e", {"e": empty}).column(0)[0].as_py() == 0
    )
    rows = pa.table({"n": np.arange(10_000), "x": np.linspace(0, 1, 10_000)})
    found = _run(catalog, "SELECT COUNT(*), SUM(n), SUM(x) FROM TAP_UPLOAD.big", {"big": rows})
    count, total, x_total = (found.column(i)[0].as_py() for i in range(3))
    assert (count, int(total)) == (10_000, int(rows["n"].to_numpy().sum()))
    assert x_total == pytest.approx(float(rows["x"].to_numpy().sum()), rel=1e-12)


def test_oracle_reads_an_upload_from_dual() -> None:
    query = translate(
        "SELECT t.name, m.RA FROM TAP_UPLOAD.things AS t JOIN DR1_MAIN AS m "
        "ON CONTAINS(POINT(m.RA, m.DEC), CIRCLE(t.ra, 0, 0.01)) = 1",
        "oracle",
        uploads={"things": UPLOAD},
    )
    tree = _parse_oracle(query.sql)
    (cte,) = tree.find_all(exp.CTE)
    assert cte.alias == "TAP_UPLOAD_THINGS"
    assert len(list(cte.find_all(exp.Union))) == UPLOAD.num_rows - 1
    assert all(table.name == "DUAL" for table in cte.find_all(exp.Table))
    stamp = f"{SEEN:%Y-%m-%d %H:%M:%S}.600000"
    assert f"TO_TIMESTAMP('{stamp}', 'YYYY-MM-DD HH24:MI:SS.FF6')" in query.sql
    assert "CAST('a' AS VARCHAR2(6))" in query.sql  # as long as its longest string, in bytes
    assert "'o''neil'" in query.sql
    assert query.tables == ("DR1_MAIN",)


def test_upload_names_and_types_are_checked() -> None:
    query = "SELECT * FROM TAP_UPLOAD.t"
    with pytest.raises(RequestError, match="upload name '2t' is not an ADQL identifier"):
        translate(query, "duckdb", uploads={"2t": UPLOAD})
    nested = pa.table({"x": pa.array([[1, 2]])})
    with pytest.raises(RequestError, match=r"column 'x' has type list<item: int64>"):
        translate(query, "duckdb", uploads={"t": nested})
    twice = pa.table([pa.array([1]), pa.array([2])], names=["a", "A"])
    with pytest.raises(RequestError, match="two columns named 'A'"):
        translate(query, "postgres", uploads={"t": twice})


# --- errors -------------------------------------------------------------------------------------


def test_a_syntax_error_says_where_and_what() -> None:
    with pytest.raises(SQLSyntaxError) as raised:
        translate("SELECT RA,\n  DEC FROM DR1_MAIN\nWHERE RA = = 3", "duckdb")
    error = raised.value
    assert (error.line, error.column, error.token) == (3, 12, "=")
    assert error.details() == {"line": 3, "column": 12, "token": "="}


ERRORS = [
    # (id, ADQL, error class, words of the message, (line, column))
    ("unknown-function", "SELECT SIND(DEC) FROM DR1_MAIN", FunctionNotAllowedError,
     "the function sind() is not allowed in a read-only survey query written in ADQL", (1, 8)),
    ("reads-a-file", "SELECT RA FROM DR1_MAIN WHERE TILENAME = pg_read_file('/etc/passwd')",
     FunctionNotAllowedError, "the function pg_read_file() is not allowed", (1, 42)),
    ("reads-a-file-as-a-table", "SELECT * FROM read_csv('/etc/passwd')", ReadOnlyQueryError,
     "the table function read_csv() is not allowed", None),
    ("delete", "DELETE FROM DR1_MAIN", ReadOnlyQueryError,
     "only read-only queries (SELECT or WITH) are allowed; this is a DELETE statement", None),
    ("drop", "DROP TABLE DR1_MAIN", ReadOnlyQueryError, "this is a DROP statement", None),
    ("unknown-upload", "SELECT * FROM DR1_MAIN AS m,\n  TAP_UPLOAD.missing AS t",
     ADQLTranslationError, "no upload named 'missing': the request uploads none", (2, 14)),
    ("point-in-select-list", "SELECT POINT('ICRS', RA, DEC) FROM DR1_MAIN",
     ADQLTranslationError, "a POINT cannot stand here", (1, 8)),
    ("circle-in-polygon",
     "SELECT RA FROM DR1_MAIN WHERE CONTAINS(CIRCLE(RA, DEC, 1), POLYGON(0, 0, 1, 0, 1, 1)) = 1",
     ADQLTranslationError, "CONTAINS(CIRCLE, POLYGON) is not supported", (1, 31)),
    ("box-meets-box",
     "SELECT RA FROM DR1_MAIN WHERE INTERSECTS(BOX(RA, DEC, 1, 1), BOX(0, 0, 1, 1)) = 1",
     ADQLTranslationError, "INTERSECTS(BOX, BOX) is not supported", (1, 31)),
    ("galactic",
     "SELECT RA FROM DR1_MAIN\nWHERE CONTAINS(POINT('GALACTIC', RA, DEC), CIRCLE(0, 0, 1)) = 1",
     ADQLTranslationError, "coordinate system 'GALACTIC' is not supported", (2, 16)),
    ("non-convex",
     "SELECT RA FROM DR1_MAIN WHERE CONTAINS(POINT(RA, DEC), "
     "POLYGON(0, 0, 2, 0, 2, 2, 1, 0.5, 0, 2)) = 1",
     ADQLTranslationError, "this POLYGON is not convex", (1, 56)),
    ("polygon-of-columns",
     "SELECT RA FROM DR1_MAIN WHERE CONTAINS(POINT(0, 0), POLYGON(RA, DEC, 1, 0, 1, 1)) = 1",
     ADQLTranslationError, "the vertices of a POLYGON must be numbers", (1, 53)),
    ("dec-out-of-range", "SELECT RA FROM DR1_MAIN WHERE DISTANCE(RA, DEC, 10, 95) < 1",
     ADQLTranslationError, "declination 95 is outside [-90, 90]", (1, 31)),
    ("negative-radius",
     "SELECT RA FROM DR1_MAIN WHERE CONTAINS(POINT(RA, DEC), CIRCLE(0, 0, -1)) = 1",
     ADQLTranslationError, "the size of a CIRCLE must be positive, not -1", (1, 56)),
    ("in-unit", "SELECT IN_UNIT(RA, 'arcsec') FROM DR1_MAIN", ADQLTranslationError,
     "IN_UNIT is not offered by this service", (1, 8)),
    ("region", "SELECT RA FROM DR1_MAIN WHERE CONTAINS(POINT(RA, DEC), REGION('x')) = 1",
     ADQLTranslationError, "REGION is not offered by this service", (1, 56)),
    ("seeded-rand", "SELECT RAND(42) FROM DR1_MAIN", ADQLTranslationError,
     "RAND(seed) is not supported", (1, 8)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "kind", "words", "where"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS]
)
def test_errors_say_what_is_wrong_and_where(
    text: str, kind: type[Exception], words: str, where: tuple[int, int] | None
) -> None:
    with pytest.raises(kind) as raised:
        translate(text, "duckdb")
    error = raised.value
    assert words in str(error)
    if where is not None:
        assert (getattr(error, "line", None), getattr(error, "column", None)) == where
        assert str(error).endswith(f"(line {where[0]}, column {where[1]})")


def test_an_unknown_upload_names_the_ones_sent() -> None:
    with pytest.raises(ADQLTranslationError, match="the request uploads a, b") as raised:
        translate("SELECT * FROM TAP_UPLOAD.c", "postgres", uploads={"b": UPLOAD, "a": UPLOAD})
    assert raised.value.token is not None


def test_an_unknown_dialect_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown SQL dialect 'sqlite'"):
        translate("SELECT RA FROM DR1_MAIN", "sqlite")


def test_an_adql_query_nested_too_deeply_is_a_syntax_error_not_a_crash() -> None:
    query = "SELECT " + "(" * 300 + "RA" + ")" * 300 + " FROM DR1_MAIN"
    with pytest.raises(SQLSyntaxError, match=r"nested too deeply to check \(300 levels") as err:
        translate(query, "duckdb")
    assert (err.value.line, err.value.column) == (1, 8 + 300 - 1)
