"""``ykgeo serve`` answered by real clients: HTTP, GDAL's OAPIF driver (Debian's ogr2ogr) and QGIS's OAPIF provider."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import pytest
import shapely

from tests.ogcapi.conftest import Server
from ykgeo.area import area_m2
from ykgeo.cli import build_parser, main
from ykgeo.progress import progress_report, report_to_json
from ykgeo.store import Store, now

KEY = "low_efficiency_industrial"
DAY = dt.date(2022, 9, 30)
CRS4490 = "http://www.opengis.net/def/crs/EPSG/0/4490"


def _get(server: Server, path: str, **params: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
    query = urllib.parse.urlencode({"f": "json", **params})
    try:
        with urllib.request.urlopen(f"{server.url}{path}?{query}", timeout=120) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as err:
        body = err.read()
        return (
            err.code,
            json.loads(body) if body.startswith(b"{") else {"raw": body.decode()},
            dict(err.headers),
        )


def _all_items(server: Server, collection: str, **params: Any) -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = []
    while True:
        status, page, _ = _get(
            server, f"/collections/{collection}/items", limit=1000, offset=len(features), **params
        )
        assert status == 200, page
        features += page["features"]
        if len(features) >= page["numberMatched"]:
            return features


def _require_gdal() -> str:
    ogr2ogr = shutil.which("ogr2ogr")
    if ogr2ogr is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("ogr2ogr (Debian gdal-bin) is missing in CI")
        pytest.skip("ogr2ogr (gdal-bin) not installed")
    return ogr2ogr


# --- what is served ------------------------------------------------------------------------------


def test_one_collection_per_layer_named_by_key_titled_in_chinese_and_progress(
    server: Server,
) -> None:
    store = Store(server.store)
    status, body, _ = _get(server, "/collections")
    assert status == 200
    collections = {c["id"]: c for c in body["collections"]}
    assert list(collections) == [*store.layer_keys(), "progress"]
    assert collections[KEY]["title"] == "低效工业用地"
    assert collections[KEY]["storageCrs"] == CRS4490
    assert set(collections[KEY]["crs"]) == {"http://www.opengis.net/def/crs/OGC/1.3/CRS84", CRS4490}


def test_datetime_gives_the_rows_of_export_as_of_and_known_at_now_the_corrections(
    server: Server, tmp_path: Path
) -> None:
    store = Store(server.store)
    served = {f["id"]: f["properties"] for f in _all_items(server, KEY, datetime=DAY.isoformat())}
    out = tmp_path / "asof.geojson"
    args = ["export", KEY, "--format", "geojson", "--as-of", DAY.isoformat(), "-o", str(out)]
    assert main([*args, "--store", str(server.store)]) == 0
    exported = {
        f["properties"]["地块编号"]: f["properties"]
        for f in json.loads(out.read_text())["features"]
    }
    assert served.keys() == exported.keys()
    assert {k: v["状态"] for k, v in served.items()} == {k: v["状态"] for k, v in exported.items()}
    assert {k: v["完成日期"] for k, v in served.items()} == {
        k: (v["完成日期"] or None) and v["完成日期"][:10] for k, v in exported.items()
    }
    known_now = {
        f["id"]: f["properties"]["状态"]
        for f in _all_items(server, KEY, datetime=DAY, **{"known-at": "now"})
    }
    expected = store.read_layer(KEY, as_of=DAY, known_at=now())["状态"].to_dict()
    assert known_now == expected
    done_then = sum(v["状态"] == "已完成" for v in served.values())
    done_known_now = sum(v == "已完成" for v in known_now.values())
    done_today = sum(f["properties"]["状态"] == "已完成" for f in _all_items(server, KEY))
    assert done_then < done_known_now < done_today  # the demo's late entries show as such


def test_bbox_property_filters_and_paging(server: Server) -> None:
    store = Store(server.store)
    now_frame = store.read_layer(KEY)
    box = (120.0, 28.85, 120.08, 28.92)
    served = _all_items(server, KEY, bbox=",".join(map(str, box)))
    expected = now_frame[shapely.intersects(now_frame.geometry.to_numpy(), shapely.box(*box))]
    assert sorted(f["id"] for f in served) == sorted(expected.index)
    _, hits, _ = _get(
        server, f"/collections/{KEY}/items", 所属镇街="东城街道", 状态="已完成", resulttype="hits"
    )
    assert hits["numberMatched"] == int(
        ((now_frame["所属镇街"] == "东城街道") & (now_frame["状态"] == "已完成")).sum()
    )
    pages = [
        _get(server, f"/collections/{KEY}/items", limit=50, offset=o)[1]["features"]
        for o in (0, 50)
    ]
    assert [f["id"] for f in pages[0] + pages[1]] == list(now_frame.index[:100])
    roads = store.read_layer("road_projects")
    listed = roads["所属镇街"].str.contains("东城街道").sum()
    _, road_hits, _ = _get(
        server, "/collections/road_projects/items", 所属镇街="东城街道", resulttype="hits"
    )
    assert road_hits["numberMatched"] == listed  # a road on several townships matches each of them


def test_crs84_by_default_and_epsg_4490_on_request_in_its_lat_lon_order(server: Server) -> None:
    _, default, headers = _get(server, f"/collections/{KEY}/items", limit=1)
    _, cgcs, headers_4490 = _get(server, f"/collections/{KEY}/items", limit=1, crs=CRS4490)
    assert headers["Content-Crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    assert headers_4490["Content-Crs"] == f"<{CRS4490}>"
    lon, lat = default["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 119.8 < lon < 120.4 and 28.7 < lat < 29.2
    assert cgcs["features"][0]["geometry"]["coordinates"][0][0][0] == [lat, lon]


def test_progress_collection_gives_each_townships_figures_as_of_the_date(server: Server) -> None:
    store = Store(server.store)
    features = _all_items(server, "progress", datetime=DAY.isoformat())
    report = report_to_json(progress_report(store, as_of=DAY))
    assert len(features) == store.count("townships")
    by_town = {f["properties"]["镇街名称"]: f["properties"] for f in features}
    target = report["targets"][0]
    for row in target["townships"]:
        props = by_town[row["township"]]
        assert props[f"{target['name_zh']}_完成（{target['unit']}）"] == row["done"]
        assert props[f"{target['name_zh']}_完成率（%）"] == row["pct_of_share"]
        assert props[f"{target['name_zh']}_评级"] in {"绿", "黄", "红", "不考核"}
    assert {f["properties"]["统计日"] for f in features} == {"2022-09-30"}
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)


# --- hostile input, private data ------------------------------------------------------------------

HOSTILE = [
    {"filter": "1=1"},
    {"filter": "状态='已完成' OR 1=1; DROP TABLE ykgeo_edit_log"},
    {"filter": "'"},
    {"filter-lang": "sql", "filter": "x"},
    {"bbox": "nan,nan,nan,nan"},
    {"bbox": "1e308,1e308,1e309,1e309"},
    {"bbox": "120.1,28.9,120.0,28.8"},
    {"bbox": "1,2,3"},
    {"bbox": "a,b,c,d"},
    {"bbox": "28.8,120.0,28.9,120.1", "bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/9999"},
    {"datetime": "garbage"},
    {"datetime": "99999999999999999999"},
    {"datetime": "2022-02-30"},
    {"datetime": "2022-01-01/2022-09-30"},
    {"datetime": "2022-09-30", "known-at": "<script>alert(1)</script>"},
    {"known-at": "2022-10-01"},
    {"容积率": "abc"},
    {"完成日期": "2022-13-45"},
    {"no_such_field": "1"},
    {"sortby": "no_such_field"},
    {"limit": "-1"},
    {"offset": "abc"},
    {"crs": "http://www.opengis.net/def/crs/EPSG/0/3857"},
    {"q": "五金"},
]


@pytest.mark.parametrize(
    "params", HOSTILE, ids=[json.dumps(p, ensure_ascii=False) for p in HOSTILE]
)
def test_hostile_requests_get_400_with_a_message(server: Server, params: dict[str, str]) -> None:
    status, body, _ = _get(server, f"/collections/{KEY}/items", **params)
    assert status == 400, body
    assert body.get("description"), body
    assert "Traceback" not in json.dumps(body, ensure_ascii=False)


def test_odd_languages_and_methods_never_give_a_500(server: Server) -> None:
    for language in ("zh-CN", "zh-TW", "fr", "xx-YY", "*", "!!!"):
        request = urllib.request.Request(
            f"{server.url}/collections?f=json", headers={"Accept-Language": language}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200, language
    for method in ("POST", "PUT", "DELETE"):
        request = urllib.request.Request(
            f"{server.url}/collections/{KEY}/items/DX-001-001", data=b"{}", method=method,
            headers={"Content-Type": "application/geo+json"},
        )  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=30)
        assert 400 <= caught.value.code < 500, method
    assert Store(server.store).count(KEY) == Store(server.store).count(KEY)  # read-only


def test_no_user_names_hashes_or_paths_are_served(server: Server) -> None:
    store = Store(server.store)
    users = set(store.edit_log()["user"])
    texts = []
    for path in ("/", "/conformance", "/openapi", "/collections"):
        status, body, _ = _get(server, path)
        assert status == 200
        texts.append(json.dumps(body, ensure_ascii=False))
    for key in [*store.layer_keys(), "progress"]:
        texts.append(json.dumps(_all_items(server, key), ensure_ascii=False))
        texts.append(
            json.dumps(_get(server, f"/collections/{key}/queryables")[1], ensure_ascii=False)
        )
    served = "\n".join(texts)
    for secret in (
        *users,
        "ykgeo_edit_log",
        "scrypt",
        "users.toml",
        str(server.store),
        server.store.name,
    ):
        assert secret not in served, secret


# --- real clients ----------------------------------------------------------------------------------


def test_gdal_reads_every_collection_with_the_stores_counts_and_ellipsoidal_areas(
    server_2022_09_30: Server, tmp_path: Path
) -> None:
    ogr2ogr = _require_gdal()
    out = tmp_path / "oapif.gpkg"
    run = subprocess.run(
        [ogr2ogr, "-f", "GPKG", "-oo", "PAGE_SIZE=1000", str(out), f"OAPIF:{server_2022_09_30.url}"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    store = Store(server_2022_09_30.store)
    read = {name for name, _ in pyogrio.list_layers(out)}
    assert read == {*store.layer_keys(), "progress"}
    for key in store.layer_keys():
        got = pyogrio.read_dataframe(out, layer=key)
        then = store.read_layer(key, as_of=DAY)
        assert len(got) == len(then), key
        assert sorted(got[store.spec(key).id_field].astype(str)) == sorted(then.index), key
        if store.spec(key).geometry_type == "Polygon" and len(then):
            assert area_m2(got).sum() == pytest.approx(area_m2(then).sum(), rel=1e-9), key
    progress = pyogrio.read_dataframe(out, layer="progress")
    assert len(progress) == store.count("townships")
    assert {str(day)[:10] for day in progress["统计日"]} == {"2022-09-30"}


def test_qgis_loads_a_layer_over_oapif_with_the_stores_count_and_area(
    server_2022_09_30: Server, qgis: Callable[..., dict[str, Any]]
) -> None:
    seen = qgis(do="oapif", url=server_2022_09_30.url, collection=KEY)
    then = Store(server_2022_09_30.store).read_layer(KEY, as_of=DAY)
    assert seen["valid"] and seen["count"] == len(then)
    assert seen["area_m2"] == pytest.approx(area_m2(gpd.GeoDataFrame(then)).sum(), rel=1e-6)
    assert "所属镇街" in seen["fields"] and "状态" in seen["fields"]


def test_serve_listens_on_loopback_unless_told_otherwise(server: Server) -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port) == ("127.0.0.1", 5000)
    assert server.url.startswith("http://127.0.0.1:")
    log = (server.store.parent / "serve.log").read_text(encoding="utf-8")
    assert f"{server.url}/collections" in log
