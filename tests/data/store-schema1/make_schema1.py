"""Make tests/data/store-schema1.gpkg and its expectations with ykgeo 908e9e9 (schema 1, JSON log values).

Run with the old checkout first on PYTHONPATH: python make_schema1.py OUT_DIR
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

import geopandas as gpd
import shapely

from ykgeo.layers import load_layers
from ykgeo.store import TZ, Edit, Store

KEY = "low_efficiency_industrial"


def at(m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(2022, m, d, h, tzinfo=TZ)


def parcels(ids: list[str], statuses: list[str], shift: float = 0.0) -> gpd.GeoDataFrame:
    boxes = [
        shapely.box(500000 + 300 * i + shift, 3198000, 500100 + 300 * i + shift, 3198100)
        for i in range(len(ids))
    ]
    return gpd.GeoDataFrame(
        {
            "地块编号": ids,
            "企业名称": [f"永康市测试五金制品有限公司{i}" for i in range(len(ids))],
            "所属镇街": ["东城街道"] * len(ids),
            "状态": statuses,
            "用地面积（亩）": [15.0 + i for i in range(len(ids))],
            "容积率": [0.8 + 0.1 * i for i in range(len(ids))],
        },
        geometry=boxes,
        crs=4549,
    ).to_crs(4490)


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    path = out / "store-schema1.gpkg"
    path.unlink(missing_ok=True)
    layer_dir = out / "layers"
    layer_dir.mkdir(exist_ok=True)
    (layer_dir / f"{KEY}.toml").write_text(
        (Path(__import__("ykgeo").__file__).parent.parent / "layers" / f"{KEY}.toml").read_text(
            encoding="utf-8"
        ),
        encoding="utf-8",
    )
    layers = load_layers(layer_dir)
    store = Store.create(path, layers=layers, meta={"created_at": "2022-01-01T08:00:00+08:00"})
    ids = [f"A{i}" for i in range(8)]
    store.import_features(
        KEY,
        parcels(ids, ["未启动"] * 8),
        user="张三",
        source="台账.xlsx",
        effective_date=dt.date(2022, 1, 1),
        recorded_at=at(1, 5),
    )
    store.apply_edits(
        [
            Edit(KEY, "A0", {"状态": "推进中", "计划完成日期": "2022-08-31"}, dt.date(2022, 3, 1)),
            Edit(KEY, "A1", {"状态": "推进中", "亩均税收（万元/亩）": 3.5}, dt.date(2022, 3, 2)),
        ],
        user="李四",
        recorded_at=at(3, 5),
    )
    store.apply_edits(
        [
            Edit(KEY, "A0", {"状态": "已完成", "完成日期": "2022-05-20"}),
            Edit(
                KEY,
                "A2",
                {"geometry": parcels(["A2"], ["未启动"], shift=40).geometry.iloc[0]},
                dt.date(2022, 5, 1),
            ),
            Edit(
                KEY, "A3", {"备注": "<b>已约谈</b> 'quoted'", "容积率": 1.25}, dt.date(2022, 5, 2)
            ),
        ],
        user="李四",
        recorded_at=at(5, 25),
    )
    store.delete_features(
        KEY,
        ["A4"],
        user="王五",
        effective_date=dt.date(2022, 6, 1),
        recorded_at=at(6, 3),
        note="撤销",
    )
    # a back-dated correction: recorded in October, effective in April, before A0's completion row
    store.apply_edits(
        [Edit(KEY, "A0", {"完成日期": "2022-04-30"}, dt.date(2022, 4, 30))],
        user="赵六",
        source="更正",
        recorded_at=at(10, 12),
    )
    store.apply_edits(
        [Edit(KEY, "A5", {"状态": "推进中"}, dt.date(2022, 9, 1))],
        user="李四",
        recorded_at=at(9, 8),
    )
    store.import_features(
        KEY,
        parcels(["A4"], ["推进中"], shift=10),
        user="张三",
        source="补录.xlsx",
        effective_date=dt.date(2022, 9, 15),
        recorded_at=at(9, 20),
    )
    expect: dict[str, object] = {}
    for day in ("2022-01-31", "2022-04-30", "2022-05-31", "2022-06-30", "2022-09-30", "2022-12-31"):
        for known in (None, "2022-12-31T23:00:00+08:00"):
            gdf = store.read_layer(
                KEY,
                as_of=dt.date.fromisoformat(day),
                known_at=None if known is None else dt.datetime.fromisoformat(known),
            )
            rows = {}
            for fid, row in gdf.iterrows():
                values = {
                    c: (
                        None
                        if row[c] is None or (not isinstance(row[c], str) and row[c] != row[c])
                        else str(row[c])
                    )
                    for c in gdf.columns
                    if c != "geometry"
                }
                values["geometry"] = hashlib.sha1(
                    shapely.to_wkb(row["geometry"], hex=True).encode()
                ).hexdigest()[:16]
                rows[str(fid)] = values
            expect[f"{day}|{known}"] = rows
    log = store.edit_log()
    expect["edit_log"] = json.loads(log.to_json(orient="records", force_ascii=False))
    import shutil
    import sqlite3

    shutil.rmtree(layer_dir)
    conn = sqlite3.connect(path)
    conn.execute("VACUUM")
    conn.close()
    (out / "store-schema1.json").write_text(
        json.dumps(expect, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
