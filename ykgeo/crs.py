"""CGCS2000 and its Gauss–Krüger zones: recognise, detect, transform; GCJ-02 ↔ WGS84 for Chinese web maps."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from pyproj import CRS, Transformer

from ykgeo.errors import CRSError

__all__ = [
    "CGCS2000",
    "CRS_CHOICES_ZH",
    "GCJ02",
    "GK_CM120",
    "GK_ZONE40",
    "YONGKANG_BOUNDS",
    "YONGKANG_CENTRE",
    "CRSChoice",
    "CRSGuess",
    "check_near_yongkang",
    "crs_label_zh",
    "detect_crs_from_coordinates",
    "gcj02_to_wgs84",
    "impossible_coordinates",
    "parse_crs_choice",
    "resolve_crs",
    "suggest_crs",
    "transform_geometries",
    "wgs84_to_gcj02",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

#: CGCS2000 geographic, the canonical storage CRS.
CGCS2000 = 4490
#: CGCS2000 3° Gauss–Krüger CM 120°E, no zone prefix (false easting 500 000).
GK_CM120 = 4549
#: CGCS2000 3° Gauss–Krüger zone 40, with zone prefix (false easting 40 500 000).
GK_ZONE40 = 4528

#: The name planners give GCJ-02 (AMap / Tencent / DataV lon/lat) in ``--crs`` and the app.
GCJ02 = "GCJ02"

#: The coordinate systems offered to planners (value for ``--crs`` → Chinese label), most used first.
CRS_CHOICES_ZH: dict[str, str] = {
    "EPSG:4490": "CGCS2000 经纬度（EPSG:4490）",
    "EPSG:4549": "CGCS2000 3° 高斯-克吕格 中央经线 120°E，无带号（EPSG:4549）",
    "EPSG:4528": "CGCS2000 3° 高斯-克吕格 第 40 带，带号前缀（EPSG:4528）",
    "EPSG:4326": "WGS84 经纬度（EPSG:4326，GPS、天地图）",
    GCJ02: "GCJ-02 经纬度（高德、腾讯地图、阿里云 DataV 下载的数据）",
}

#: Published centre of Yongkang (lon, lat).
YONGKANG_CENTRE = (120.0425, 28.8908)
#: Approximate extent of the city (min lon, min lat, max lon, max lat), degrees.
YONGKANG_BOUNDS = (119.88, 28.75, 120.35, 29.10)
#: How far outside the city data may reach and still be accepted, degrees (~20 km).
NEAR_MARGIN_DEG = 0.2

# Datum names that PROJ can only convert to CGCS2000 with a "ballpark" no-op.
_LEGACY_DATUMS = {
    "Xian 1980": "西安80坐标系（Xian 1980）",
    "Beijing 1954": "北京54坐标系（Beijing 1954）",
    "New Beijing": "新北京54坐标系（New Beijing）",
}


@dataclass(frozen=True)
class CRSGuess:
    """A CRS found from coordinates alone, and why.

    Attributes
    ----------
    epsg
        The EPSG code chosen.
    swapped
        True when the columns held northing first and were swapped.
    reason_zh
        A sentence for the planner saying what was assumed.
    """

    epsg: int
    swapped: bool
    reason_zh: str


def _legacy_name(crs: CRS) -> str | None:
    geodetic = crs.geodetic_crs
    datum = geodetic.datum.name if geodetic is not None and geodetic.datum is not None else ""
    for key, label in _LEGACY_DATUMS.items():
        if key.lower() in datum.lower() or key.lower() in crs.name.lower():
            return label
    return None


def resolve_crs(crs: Any, *, source: str = "", allow_legacy: bool = False) -> CRS:
    """Turn anything pyproj understands (EPSG code, WKT, ESRI .prj text, CRS) into a usable CRS.

    Xian 1980 and Beijing 1954 based systems are refused: PROJ has no real
    transformation from them to CGCS2000 for Zhejiang, only a "ballpark" no-op
    that is tens of metres off, so the bureau's parameters are required.

    Parameters
    ----------
    crs
        The CRS in any form pyproj accepts; ``None`` is an error.
    source
        Where it came from (file name), for the message.
    allow_legacy
        Accept Xian 1980 / Beijing 1954 too (for measuring on their own ellipsoid, where no
        transformation is needed).

    Raises
    ------
    CRSError
        When the CRS is missing, unreadable or on a legacy datum.
    """
    where = f"{source}：" if source else ""
    if crs is None:
        msg = f"{where}缺少坐标系定义（.prj 或 CRS），无法确定坐标含义"
        raise CRSError(msg, message_en=f"{source}: no CRS")
    try:
        parsed = CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as err:
        shown = " ".join(str(crs).split())[:120]
        msg = f"{where}无法识别的坐标系定义：{shown}。{_CHOOSE_CRS_ZH}"
        raise CRSError(msg, message_en=f"{source}: unknown CRS") from err
    parsed = _identify_datum(parsed)
    legacy = None if allow_legacy else _legacy_name(parsed)
    if legacy:
        msg = (
            f"{where}数据使用{legacy}。PROJ 没有该坐标系到 CGCS2000 的实际转换参数，"
            "直接换算会偏差数十米。请向局里索取本地七参数或四参数后先行转换，再导入。"
        )
        raise CRSError(
            msg, message_en=f"{source}: legacy datum {parsed.name}; need transformation parameters"
        )
    return parsed


#: What to do when the coordinate system is wrong or missing (the CLI option and the app's choice).
_CHOOSE_CRS_ZH = '请指定坐标系：命令行用 --crs（如 --crs 4549、--crs "CGCS2000 GK CM120"、--crs GCJ02），导入页面在“坐标系”中选择'
#: Ellipsoids (a, 1/f) whose unnamed or mislabelled datum is taken as WGS84 or CGCS2000.
_ELLIPSOID_DATUMS = (((6378137.0, 298.257223563), 4326), ((6378137.0, 298.257222101), CGCS2000))
_UNNAMED_DATUM = re.compile(r"^(d_)?(unknown|unnamed|not[ _]specified.*|undefined|none|)$", re.I)
_EPSG_ID = re.compile(r"\[EPSG ID (\d+)\]", re.I)


def _identify_datum(crs: CRS) -> CRS:
    """The CRS with a datum PROJ can use, when the file names its datum in a way PROJ does not know.

    Two spellings from the field: a datum called "World Geodetic System 1984 [EPSG ID 6326]"
    (the EPSG code inside the name), and an unnamed datum ("Unknown", "D_unknown") on the WGS84
    or GRS80 ellipsoid, which is WGS84 or CGCS2000 in practice. The coordinates are unchanged:
    only the datum is made explicit, so PROJ can find an exact transformation.
    """
    geodetic = crs.geodetic_crs
    if geodetic is None or geodetic.datum is None:
        return crs
    name = geodetic.datum.name
    code = _EPSG_ID.search(name)
    base_epsg: int | None = None
    if code is not None and int(code[1]) in (6326, 1043):
        base_epsg = 4326 if int(code[1]) == 6326 else CGCS2000
    elif _UNNAMED_DATUM.match(name.strip()) and geodetic.ellipsoid is not None:
        shape = (geodetic.ellipsoid.semi_major_metre, geodetic.ellipsoid.inverse_flattening)
        base_epsg = next(
            (epsg for (a, rf), epsg in _ELLIPSOID_DATUMS if np.allclose(shape, (a, rf), rtol=1e-9)),
            None,
        )
    if base_epsg is None or geodetic.prime_meridian is None or geodetic.prime_meridian.longitude:
        return crs
    base = CRS.from_epsg(base_epsg)
    if crs.is_geographic:
        unit = crs.axis_info[0].unit_name if crs.axis_info else "degree"
        return base if unit.lower().startswith("deg") else crs
    if not crs.is_projected or crs.coordinate_operation is None:
        return crs
    logger.debug("datum of %s taken as EPSG:%s", crs.name, base_epsg)
    definition = crs.to_json_dict()
    definition["base_crs"] = base.to_json_dict()
    return CRS.from_json_dict(definition)


@dataclass(frozen=True)
class CRSChoice:
    """A coordinate system the planner names (``--crs``, the app's choice).

    Attributes
    ----------
    crs
        The CRS the coordinates are in; for GCJ-02, WGS84 lon/lat (the shift is undone first).
    gcj02
        True when the coordinates are GCJ-02 (AMap, Tencent, DataV) and must be shifted back.
    label_zh
        How the choice is shown to the planner.
    """

    crs: CRS
    gcj02: bool
    label_zh: str


_GCJ_NAMES = {"GCJ02", "GCJ", "火星坐标", "火星坐标系", "高德", "高德坐标", "DATAV"}
_GK_CM = re.compile(r"(?:CM|中央经线|中央子午线|L0=?)(\d{2,3})(?:°|度)?E?")
_GK_ZONE = re.compile(r"(?:ZONE|第|带号)(\d{2})带?|(\d{2})带")


def _compact(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).upper()
    return re.sub(r"[\s_\-/·,，()（）]+", "", folded)


def _gk_epsg(compact: str) -> int | None:
    """The EPSG code of a CGCS2000 Gauss–Krüger zone written as planners write it."""
    if not any(word in compact for word in ("GK", "GAUSS", "高斯", "KRUGER", "克吕格")):
        return None
    six = "6°" in compact or "6度" in compact or "6DEGREE" in compact
    if (cm := _GK_CM.search(compact)) is not None:
        meridian = int(cm[1])
        if six:
            return 4502 + (meridian - 75) // 6 if (meridian - 75) % 6 == 0 else None
        return 4534 + (meridian - 75) // 3 if (meridian - 75) % 3 == 0 else None
    if (zone := _GK_ZONE.search(compact)) is not None:
        number = int(zone[1] or zone[2])
        if six:
            return 4491 + number - 13 if 13 <= number <= 23 else None
        return 4513 + number - 25 if 25 <= number <= 45 else None
    return None


def parse_crs_choice(text: str) -> CRSChoice:
    """Read the coordinate system a planner names: an EPSG code, a GK zone name, or GCJ-02.

    Accepted: ``4549``, ``EPSG:4549``, ``CGCS2000 GK CM120`` (any spacing, ``CM 120E``,
    ``中央经线120``), ``CGCS2000 GK zone 40`` / ``40带``, the 6° forms with ``6度``,
    ``WGS84``, ``CGCS2000``, ``GCJ02`` / ``GCJ-02`` / ``火星坐标``, or any WKT / PROJ text.

    Raises
    ------
    CRSError
        When the text names no coordinate system pyproj knows, or a legacy datum.
    """
    compact = _compact(text)
    if compact in _GCJ_NAMES:
        return CRSChoice(CRS.from_epsg(4326), True, CRS_CHOICES_ZH[GCJ02])
    aliases = {"WGS84": 4326, "CGCS2000": CGCS2000, "CGCS2000经纬度": CGCS2000}
    code = aliases.get(compact)
    if code is None and (number := re.fullmatch(r"(?:EPSG:?)?(\d{4,6})", compact)):
        code = int(number[1])
    if code is None:
        code = _gk_epsg(compact)
    if code is not None:
        try:
            crs = resolve_crs(CRS.from_epsg(code))
        except pyproj.exceptions.CRSError as err:
            msg = f"没有 EPSG 代码为 {code} 的坐标系。{_CHOOSE_CRS_ZH}"
            raise CRSError(msg, message_en=f"unknown EPSG code {code}") from err
    else:
        crs = resolve_crs(text)
    return CRSChoice(crs, False, crs_label_zh(crs))


def crs_label_zh(crs: CRS) -> str:
    """A CRS as planners know it: the label of the common ones, else its EPSG code and name."""
    epsg = crs.to_epsg()
    if epsg is not None and f"EPSG:{epsg}" in CRS_CHOICES_ZH:
        return CRS_CHOICES_ZH[f"EPSG:{epsg}"]
    return f"EPSG:{epsg} {crs.name}" if epsg else crs.name


def suggest_crs(x: npt.ArrayLike, y: npt.ArrayLike) -> CRSGuess | None:
    """The CRS the raw coordinates look like (GK metres, degrees), or None when they fit no rule."""
    try:
        return detect_crs_from_coordinates(x, y)
    except CRSError:
        return None


def impossible_coordinates(
    x: npt.ArrayLike, y: npt.ArrayLike, *, geographic: bool
) -> npt.NDArray[np.bool_]:
    """True where a coordinate cannot be real: NaN or infinite, beyond ±180°/±90° for degrees,
    or beyond ±1e9 (a million kilometres) for metres or feet."""
    xs = np.asarray(x, dtype="float64")
    ys = np.asarray(y, dtype="float64")
    bad = ~(np.isfinite(xs) & np.isfinite(ys))
    with np.errstate(invalid="ignore"):
        if geographic:  # a hair over 180° is rounding (Natural Earth has 180.00000000000006)
            bad |= (np.abs(xs) > 180.0 + 1e-9) | (np.abs(ys) > 90.0 + 1e-9)
        else:
            bad |= (np.abs(xs) > 1e9) | (np.abs(ys) > 1e9)
    return bad


_WGS84_DATUM_NAMES = ("world geodetic system 1984", "wgs 84", "wgs84")
_CGCS2000_DATUM_NAMES = ("china 2000", "china geodetic coordinate system 2000", "cgcs2000")


def _datum_kind(crs: CRS) -> str:
    """ "wgs84", "cgcs2000" or "" for the datum of a CRS."""
    geodetic = crs.geodetic_crs
    name = (
        geodetic.datum.name if geodetic is not None and geodetic.datum is not None else crs.name
    ).lower()
    if any(n in name for n in _CGCS2000_DATUM_NAMES):
        return "cgcs2000"
    if any(n in name for n in _WGS84_DATUM_NAMES):
        return "wgs84"
    return ""


class _Chain:
    """src → its own geographic CRS → (WGS84 ≡ CGCS2000) → dst, each step an exact PROJ operation.

    PROJ knows WGS84 ↔ CGCS2000 only as a "ballpark" no-op; the two frames differ by
    a few centimetres to decimetres, far below the accuracy of any planning data, so
    they are identified explicitly here (conventions.md §1.1) while every other
    ballpark operation stays refused.
    """

    def __init__(self, src: CRS, dst: CRS) -> None:
        src_geo = CRS.from_epsg(4326 if _datum_kind(src) == "wgs84" else CGCS2000)
        dst_geo = CRS.from_epsg(4326 if _datum_kind(dst) == "wgs84" else CGCS2000)
        self.first = Transformer.from_crs(src, src_geo, always_xy=True, allow_ballpark=False)
        self.second = Transformer.from_crs(dst_geo, dst, always_xy=True, allow_ballpark=False)

    def transform(self, x: Any, y: Any, errcheck: bool = False) -> tuple[Any, Any]:
        lon, lat = self.first.transform(x, y, errcheck=errcheck)
        return self.second.transform(lon, lat, errcheck=errcheck)


@lru_cache(maxsize=64)
def _transformer(src_wkt: str, dst_epsg: int) -> Transformer | _Chain:
    src = CRS.from_wkt(src_wkt)
    dst = CRS.from_epsg(dst_epsg)
    kinds = {_datum_kind(src), _datum_kind(dst)}
    try:
        if kinds == {"wgs84", "cgcs2000"}:
            return _Chain(src, dst)
        return Transformer.from_crs(src, dst, always_xy=True, allow_ballpark=False)
    except pyproj.exceptions.ProjError as err:
        msg = (
            f"没有从 {src.name} 到 EPSG:{dst_epsg} 的可靠坐标转换（只有粗略近似转换，误差可达数十米，"
            f"已拒绝）。请在 GIS 软件中先转换为 CGCS2000，或核对坐标系。{_CHOOSE_CRS_ZH}"
        )
        raise CRSError(msg, message_en=f"no reliable transformation from {src.name}") from err


def transform_geometries(
    geoms: npt.ArrayLike, src: Any, dst_epsg: int = CGCS2000
) -> npt.NDArray[np.object_]:
    """Transform shapely geometries from ``src`` to ``dst_epsg``, all coordinates in one vectorised call.

    Never uses a ballpark transformation: legacy datums are refused by
    :func:`resolve_crs`, and an operation PROJ can only do approximately raises.
    """
    src_crs = resolve_crs(src)
    arr = np.asarray(geoms, dtype=object)
    if src_crs.to_epsg() == dst_epsg:
        return arr
    transformer = _transformer(src_crs.to_wkt(), dst_epsg)

    def _apply(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = transformer.transform(coords[:, 0], coords[:, 1], errcheck=True)
        return np.column_stack([x, y])

    try:
        return shapely.transform(arr, _apply)
    except pyproj.exceptions.ProjError as err:
        msg = f"坐标转换失败（{src_crs.name} → EPSG:{dst_epsg}）：坐标超出该坐标系的有效范围"
        raise CRSError(msg) from err


def detect_crs_from_coordinates(x: npt.ArrayLike, y: npt.ArrayLike) -> CRSGuess:
    """Guess the CRS of coordinates with no ``.prj``, from their magnitude.

    Rules (on the medians): degrees → EPSG:4490; an 8-digit easting carries the
    3° (25–45) or 6° (13–23) zone number; a 6-digit easting has no prefix and
    CM 120°E is assumed (EPSG:4549); a northing in the easting column means the
    columns are swapped (surveyors' X = northing).

    Raises
    ------
    CRSError
        When no rule fits.
    """
    xs = np.asarray(x, dtype="float64")
    ys = np.asarray(y, dtype="float64")
    finite = np.isfinite(xs) & np.isfinite(ys)
    if not finite.any():
        msg = "没有有效坐标，无法判断坐标系"
        raise CRSError(msg)
    mx, my = float(np.median(xs[finite])), float(np.median(ys[finite]))
    guess = _guess(mx, my)
    if guess is not None:
        return guess
    swapped = _guess(my, mx)
    if swapped is not None and swapped.epsg != CGCS2000:
        return CRSGuess(
            swapped.epsg,
            True,
            "坐标列顺序为（北坐标 X，东坐标 Y）的测量习惯，已交换为（东，北）；"
            + swapped.reason_zh,
        )
    msg = f"无法从坐标值判断坐标系（中位数 x={mx:.3f}, y={my:.3f}）。请补上 .prj 文件，或{_CHOOSE_CRS_ZH.removeprefix('请')}"
    raise CRSError(msg)


def _guess(x: float, y: float) -> CRSGuess | None:
    if abs(x) <= 180 and abs(y) <= 90:
        return CRSGuess(CGCS2000, False, "坐标为经纬度，按 CGCS2000（EPSG:4490）读取")
    if 1e7 <= x < 1e8 and 1e6 < y < 1e7:
        zone = int(x // 1e6)
        if 25 <= zone <= 45:
            epsg = 4513 + (zone - 25)
            return CRSGuess(
                epsg,
                False,
                f"东坐标带 {zone} 带号前缀，按 CGCS2000 3° 带第 {zone} 带（EPSG:{epsg}）读取",
            )
        if 13 <= zone <= 23:
            epsg = 4491 + (zone - 13)
            return CRSGuess(
                epsg,
                False,
                f"东坐标带 {zone} 带号前缀，按 CGCS2000 6° 带第 {zone} 带（EPSG:{epsg}）读取",
            )
        return None
    if 1e5 < x < 1e6 and 2e6 < y < 7e6:
        return CRSGuess(
            GK_CM120,
            False,
            "东坐标为 6 位数、无带号，无法从数值确定中央经线；按永康所在的 3° 带中央经线 120°E（EPSG:4549）读取",
        )
    return None


def check_near_yongkang(lon: npt.ArrayLike, lat: npt.ArrayLike, *, source: str = "") -> None:
    """Refuse coordinates (CGCS2000 degrees) whose centre is not in or near Yongkang.

    Raises
    ------
    CRSError
        With the centre found and the likely causes (wrong zone, legacy datum,
        local coordinates).
    """
    lons = np.asarray(lon, dtype="float64")
    lats = np.asarray(lat, dtype="float64")
    ok = np.isfinite(lons) & np.isfinite(lats)
    if not ok.any():
        return
    clon, clat = float(np.median(lons[ok])), float(np.median(lats[ok]))
    minx, miny, maxx, maxy = YONGKANG_BOUNDS
    m = NEAR_MARGIN_DEG
    if not (minx - m <= clon <= maxx + m and miny - m <= clat <= maxy + m):
        where = f"{source}：" if source else ""
        msg = (
            f"{where}转换后数据中心位于经度 {clon:.4f}°、纬度 {clat:.4f}°，不在永康市范围内"
            f"（约 {minx}–{maxx}°E，{miny}–{maxy}°N）。可能原因：坐标系或投影带号错误、"
            f"西安80/北京54 数据、或城建独立坐标系。请核对坐标系；{_CHOOSE_CRS_ZH}。"
        )
        raise CRSError(
            msg, message_en=f"{source}: data centre {clon:.4f},{clat:.4f} is not near Yongkang"
        )


# --- GCJ-02 ("火星坐标") used by AMap / Tencent tiles and coordinate pickers ----------------------

_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323


def _out_of_china(
    lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
) -> npt.NDArray[np.bool_]:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(
    lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    x = lon - 105.0
    y = lat - 35.0
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _KRASOVSKY_EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon * 180.0 / (_KRASOVSKY_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(
    lon: npt.ArrayLike, lat: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """WGS84 (≈ CGCS2000) lon/lat to GCJ-02, the closed-form forward obfuscation; outside China unchanged."""
    lo = np.asarray(lon, dtype="float64")
    la = np.asarray(lat, dtype="float64")
    dlon, dlat = _delta(lo, la)
    outside = _out_of_china(lo, la)
    return np.where(outside, lo, lo + dlon), np.where(outside, la, la + dlat)


def gcj02_to_wgs84(
    lon: npt.ArrayLike, lat: npt.ArrayLike, *, tolerance_deg: float = 1e-9, max_iterations: int = 30
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """GCJ-02 lon/lat back to WGS84 by fixed-point iteration ``w ← w − (f(w) − g)``.

    Iterates until every point's forward image is within ``tolerance_deg``
    (1e-9° ≈ 0.1 mm) of the input, far below the 1 cm asked of it.
    """
    g_lon = np.asarray(lon, dtype="float64")
    g_lat = np.asarray(lat, dtype="float64")
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iterations):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = f_lon - g_lon, f_lat - g_lat
        w_lon, w_lat = w_lon - e_lon, w_lat - e_lat
        if np.all(np.abs(e_lon) < tolerance_deg) and np.all(np.abs(e_lat) < tolerance_deg):
            break
    return w_lon, w_lat
