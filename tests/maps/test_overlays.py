"""Raster overlays on the map: offline, switchable, with a legend, small, found beside the store."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import (
    APP_HOSTILE_NAME,
    app_write_landcover,
)
from tests.maps.conftest import (
    LAYERS,
    config_of,
    external_urls,
    layer_frames,
)
from ykgeo import maps
from ykgeo.errors import RasterError

# --- raster overlays --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_raster(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("app_raster")
    return app_write_landcover(folder / "rasters" / "landcover_test.tif", label=APP_HOSTILE_NAME)


def test_raster_overlay_is_in_the_map_offline_with_its_legend(
    app_small_store: Path, app_raster: Path
) -> None:
    from PIL import Image

    raster = maps.prepare_raster(app_raster)
    assert raster.key == "raster:landcover_test.tif" and raster.name == "地类（测试）"
    assert raster.visible is False  # off unless chosen
    assert [e[0] for e in raster.legend] == ["耕地", "林地", APP_HOSTILE_NAME]
    assert [e[1] for e in raster.legend] == ["#f3e07a", "#1b7a3e", "#d9412b"]
    settings = maps.MapSettings()
    frames = layer_frames(app_small_store)
    layers = maps.plan_map_layers(frames, LAYERS, settings=settings)
    html = maps.map_html(maps.build_map(layers, settings=settings, rasters=[raster]))
    # offline: the image travels inside the map as a PNG data URL, nothing else is linked
    assert external_urls(html) == []
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts == ["assets/leaflet/leaflet.js", "assets/ykmap.js"]
    config = config_of(html)
    (overlay,) = config["rasters"]
    assert overlay["key"] == raster.key and overlay["visible"] is False
    assert overlay["url"].startswith("data:image/png;base64,")
    png = base64.b64decode(overlay["url"].split(",", 1)[1])
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    assert image.size[0] == 200 or image.size[1] == 200  # never upsampled beyond the source
    colours = {c[:3] for n, c in image.getcolors(1 << 16) if c[3] == 255}
    assert colours == {(243, 224, 122), (27, 122, 62), (217, 65, 43)}  # classes kept exactly
    # reprojected for display: the bounds are the raster's in lat/lon, Leaflet order
    (south, west), (north, east) = overlay["bounds"]
    assert south == pytest.approx(28.78, abs=1e-6) and north == pytest.approx(29.06, abs=1e-6)
    assert west == pytest.approx(119.90, abs=1e-6) and east == pytest.approx(120.30, abs=1e-6)
    # the legend text is in the page, as JSON text only (escaped), and decodes unchanged
    assert "耕地" in html and "林地" in html
    assert APP_HOSTILE_NAME not in html
    assert r"\u003cimg src=x onerror=alert(1)\u003e" in html
    assert overlay["legend"] == [list(e) for e in raster.legend]
    assert html.count("<script") == 4
    # chosen by the planner: on when the map opens
    shown = maps.prepare_raster(app_raster, visible=True, language="en")
    config = config_of(maps.map_html(maps.build_map([], settings=settings, rasters=[shown])))
    assert config["rasters"][0]["visible"] is True and config["rasters"][0]["theme"] == "Rasters"


def test_runtime_draws_rasters_as_switchable_image_layers() -> None:
    source = (maps.ASSET_DIR / "ykmap.js").read_text(encoding="utf-8")
    assert "L.imageOverlay" in source and "cfg.rasters" in source
    assert 'createPane("ykRaster")' in source  # under the features, above the tiles


def test_raster_payload_stays_small(app_raster: Path, tmp_path: Path) -> None:
    import rasterio
    from rasterio.transform import from_bounds

    # a 3000 x 3000 float DEM in GK CM 120°E: drawn at most 1024 px a side, as a ramp
    dem = tmp_path / "dem.tif"
    y, x = np.mgrid[0:3000, 0:3000]
    z = (200 + 150 * np.sin(x / 300) * np.cos(y / 400) + x / 20).astype("float32")
    with rasterio.open(
        dem, "w", driver="GTiff", width=3000, height=3000, count=1, dtype="float32",
        crs="EPSG:4549", transform=from_bounds(480_000, 3_180_000, 510_000, 3_210_000, 3000, 3000),
    ) as dst:  # fmt: skip
        dst.write(z, 1)
        dst.update_tags(YKGEO_KIND="dem")
    raster = maps.prepare_raster(dem)
    assert not raster.categorical
    assert len(raster.legend) == 5
    png = base64.b64decode(raster.image_url.split(",", 1)[1])
    from PIL import Image

    assert max(Image.open(io.BytesIO(png)).size) <= 1024
    assert raster.payload_bytes < 1_000_000, raster.payload_bytes
    # a raster off the display area is refused with a clear message
    with pytest.raises(RasterError, match="没有重叠"):
        maps.prepare_raster(app_raster, bounds_4490=(100.0, 20.0, 100.1, 20.1))


def test_raster_sources_are_the_tifs_beside_the_store(app_raster: Path, tmp_path: Path) -> None:
    store = app_raster.parent.parent / "store.gpkg"
    (app_raster.parent / "notes.csv").write_text("x", encoding="utf-8")
    assert list(maps.raster_sources(store)) == ["landcover_test.tif"]
    assert maps.raster_title(app_raster) == "地类（测试）"
    assert maps.raster_sources(tmp_path / "store.gpkg") == {}
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"not a tiff")
    assert maps.raster_title(broken) == ""
