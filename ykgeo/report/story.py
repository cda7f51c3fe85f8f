"""The briefing pack's story: cover, contents, overview, a map and a township table per target, the township atlas."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
from reportlab.platypus import (
    Flowable,
    FrameBreak,
    KeepInFrame,
    NextPageTemplate,
    PageBreak,
    Spacer,
)

from ykgeo.progress import SHARE_GIVEN_ZH, VALUE_TO_FILL_ZH, TargetProgress
from ykgeo.progress.output import (
    RATING_ZH,
    SUMMARY_HEADER,
    TOWNSHIP_KEYS,
    format_cells,
    format_figure,
    format_pct,
    format_target,
    summary_cells,
)
from ykgeo.report import maps
from ykgeo.report.data import Pack, knowledge_zh, numeral
from ykgeo.report.pdf import (
    ATLAS_GAP,
    ATLAS_MAP_WIDTH,
    BODY_HEIGHT,
    BODY_WIDTH,
    FRAME_PAD,
    RATING_STYLE,
    Anchor,
    Contents,
    Heading,
    MapFlowable,
    markup,
    para,
    table,
)
from ykgeo.report.tables import appendix_section, changes_section, problems_section

__all__ = ["build_story"]


def _rating_markup(rating: str) -> str:
    ink, background = RATING_STYLE.get(rating, RATING_STYLE["none"])
    return f'<font color="{ink}" backColor="{background}"><b> {RATING_ZH.get(rating, rating)} </b></font>'


def _esc(text: Any) -> str:
    return escape(str(text))


def _figures_markup(row: TargetProgress, item: dict[str, Any]) -> str:
    """The key figures of one target as a line of markup (values formatted here only)."""
    d, unit = row.decimals, _esc(row.unit)
    parts = [
        f"年度目标 <b>{_target_text(row)}</b> {unit}",
        f"已完成 <b>{format_figure(item['done'], d)}</b> {unit}（<b>{format_pct(item['pct'])}</b>）",
        f"序时进度 {format_figure(item['milestone_expected'], d)}",
        f"推进中 {format_figure(item['in_progress'], d)}",
        f"未启动 {format_figure(item['not_started'], d)}",
        f"尚差 {format_figure(item['remaining'], d)}",
        f"年底预测 <b>{format_figure(item['forecast'], d)}</b>（{format_pct(item['forecast_pct'])}）",
        f"评级 {_rating_markup(item['rating'])}",
    ]
    return "　".join(parts)


def _target_text(row: TargetProgress) -> str:
    """A target's figure, or 待填 for a draft's target whose value is not decided yet."""
    return format_target(row.target, row.decimals) if row.value_set else VALUE_TO_FILL_ZH


def _cover(pack: Pack) -> list[Flowable]:
    st, report = pack.styles, pack.report
    scope = report.township or "全市"
    counts = {k: sum(1 for r in report.rows if r.rating == k) for k in RATING_ZH}
    rated = "、".join(f"{RATING_ZH[k]} {n}" for k, n in counts.items() if n)
    rows = [
        ("统计日", f"{report.as_of:%Y年%m月%d日}（{knowledge_zh(report)}）"),
        ("范围", scope),
        ("数据版本", report.data_version.label_zh()),
        (
            "计划版本",
            f"{report.plan_version}（{report.plan_status}）"
            if report.plan_version
            else report.plan_status,
        ),
        ("项目库", f"{pack.store.name_zh}（{pack.store.path.name}）"),
        ("比较基准日", f"{pack.since:%Y年%m月%d日}" if pack.since else "未指定（不含变化情况）"),
        ("生成时间", f"{pack.generated_at:%Y-%m-%d %H:%M}（北京时间）"),
        ("目标", f"{len(report.rows)} 项（{rated}）"),
    ]
    out: list[Flowable] = [
        Spacer(1, 70),
        para("永康市年度目标进展简报", st.title),
        Spacer(1, 8),
        para(f"{report.plan_name}　·　{scope}", st.subtitle),
        Spacer(1, 36),
    ]
    info = table(
        ["项目", "内容"],
        rows,
        [110, 500],
        pack.fonts,
        size=10.5,
        wrap=(1,),
    )
    info.hAlign = "CENTER"
    out.append(info)
    out.append(Spacer(1, 24))
    out.append(para(_notice(pack), st.note))
    return out


def _notice(pack: Pack) -> str:
    parts = []
    if pack.illustrative:
        what = pack.store.meta.get("demo_illustrative", "").strip()
        detail = f"（示意的内容：{what}）" if what else ""
        parts.append(
            f"示意：本简报使用演示数据{detail}，图斑位置、名称与数字均为虚构，仅供演示，不代表永康市实际情况。"
        )
    parts.append(
        "图中镇街界线为示意，非法定界线；地图采用 CGCS2000 高斯-克吕格 3° 带中央经线 120°E 投影（EPSG:4549），比例尺按投影平面绘制。"
        if pack.geo.towns_illustrative
        else "地图采用 CGCS2000 高斯-克吕格 3° 带中央经线 120°E 投影（EPSG:4549），比例尺按投影平面绘制。"
    )
    parts.append(
        "面积为 CGCS2000 椭球面积（1 亩 = 10000/15 m²），数字与“ykgeo progress”同日同版本的结果一致。"
    )
    return "\n".join(parts)


def _map_note(pack: Pack) -> str:
    note = "示意图，不作权属界线依据。"
    if pack.illustrative:
        note = "示意图：演示数据，图斑与名称均为虚构。"
    if pack.geo.towns_illustrative:
        note += "镇街界线为示意，非法定界线。"
    return note + "EPSG:4549"


def _contents(pack: Pack, entries: list[tuple[int, str, str]]) -> list[Flowable]:
    size = 9.0 if len(entries) <= 60 else 7.8
    return [
        para("目　录", pack.styles.h1),
        Contents(entries, pack.fonts, BODY_WIDTH - 2 * FRAME_PAD, size=size),
    ]


def _summary(pack: Pack, number: int) -> list[Flowable]:
    st, report = pack.styles, pack.report
    header = ["序号", *SUMMARY_HEADER]
    rows, colours = [], []
    for i, row in enumerate(report.rows):
        rows.append([str(i + 1), *summary_cells(row, pack.items[row.key])])
        ink, background = RATING_STYLE.get(row.rating, RATING_STYLE["none"])
        colours.append((i, 12, ink, background))
    widths = [24, 180, 26, 58, 60, 44, 58, 58, 58, 58, 60, 50, 36]  # the body's full width
    scope = f"（{report.township}）" if report.township else ""
    amber = f"{report.settings.amber_ratio * 100:g}%"
    out: list[Flowable] = [
        Heading(f"{numeral(number)}、目标总览{scope}", st.h1, level=0, key="summary"),
        table(
            header,
            rows,
            widths,
            pack.fonts,
            align=["RIGHT", "LEFT", "LEFT", *["RIGHT"] * 9, "CENTER"],
            size=7.8 if len(rows) <= 30 else 7.2,  # a plan of up to ~38 targets fits one page
            wrap=(1,),
            cell_colours=colours,
            compact=len(rows) > 30,
        ),
        Spacer(1, 6),
        para(
            f"评级：绿 = 已达到序时进度（序时应完成量大于 0 时）或预计年底完成目标；黄 = 预计年底完成目标的 {amber} 以上；红 = 预计不足 {amber}；"
            "不考核 = 目标值为 0，只统计不评级。序时进度为按计划节点（未给节点时按全年线性）截至统计日应完成的量。"
            "年底预测 = 已完成 + max（按年内完成速度外推，推进中且计划年内完成的量 × 完成概率）。",
            st.small,
        ),
    ]
    if report.warnings:
        out.append(para("说明：" + "；".join(report.warnings), st.small))
    return out


def _target_map_spec(pack: Pack, row: TargetProgress, title: str) -> maps.MapSpec:
    geo = pack.geo
    township = pack.report.township
    focus = None
    if township is not None and geo.town_names:
        focus = np.array([n == township for n in geo.town_names], dtype=bool)
        extent = maps.extent_of(geo.towns_gk[focus] if focus.any() else geo.boundary_gk)
    else:
        extent = maps.extent_of(geo.boundary_gk if geo.boundary_gk.size else geo.towns_gk)
    below, above = maps.base_layers(geo.boundary_gk, geo.towns_gk, focus=focus)
    feature_layers: list[maps.MapLayer] = []
    legend: list[maps.LegendEntry] = []
    if row.layer in geo.layers:
        gdf = geo.layers[row.layer]
        ids = [str(i) for i in row.features["id"].astype(str)]
        position = {fid: k for k, fid in enumerate(gdf.index.astype(str))}
        take = np.array([position[i] for i in ids if i in position], dtype=int)
        geoms = geo.layers_gk[row.layer][take] if take.size else np.zeros(0, dtype=object)
        statuses = maps.statuses_for(row.features, [i for i in ids if i in position])
        scale_hint = _scale_hint(extent)
        feature_layers, legend = maps.feature_layers(
            pack.store.spec(row.layer), geoms, statuses, scale_hint=scale_hint
        )
    legend += _reference_legend(pack)
    item = pack.items[row.key]
    subtitle = (
        f"年度目标 {_target_text(row)} {row.unit}　已完成 "
        f"{format_figure(item['done'], row.decimals)}（{format_pct(item['pct'])}）　"
        f"评级 {RATING_ZH.get(row.rating, row.rating)}　统计日 {pack.report.as_of.isoformat()}"
    )
    return maps.MapSpec(
        extent=extent,
        layers=(*below, *feature_layers, *above),
        legend=tuple(legend),
        legend_title=f"{pack.store.spec(row.layer).name_zh}（按状态）",
        labels=maps.township_labels(geo.town_names, geo.towns_gk, obstacles=_drawn(feature_layers)),
        labels_after=len(below),
        note=_map_note(pack),
        title=title,
        subtitle=subtitle,
        panel="right",
    )


def _drawn(layers: Sequence[maps.MapLayer]) -> Any:
    """Every geometry of the feature layers of a map: what a place name must not hide."""
    parts = [lay.geoms for lay in layers if len(lay.geoms)]
    return np.concatenate(parts) if parts else None


def _reference_legend(pack: Pack) -> list[maps.LegendEntry]:
    out = []
    if pack.geo.boundary_gk.size:
        out.append(maps.LegendEntry("line", "市界", stroke="#212121"))
    if pack.geo.towns_gk.size:
        out.append(
            maps.LegendEntry(
                "line",
                "镇街界（示意）" if pack.geo.towns_illustrative else "镇街界",
                stroke="#757575",
                dash=(3.0, 2.0),
            )
        )
    return out


def _scale_hint(extent: tuple[float, float, float, float]) -> float:
    """Points per metre of a full-page map of ``extent`` (to spot features too small to see)."""
    return min(590.0 / max(extent[2] - extent[0], 1.0), 490.0 / max(extent[3] - extent[1], 1.0))


#: The figures of a target's row on a township's atlas page.
_ATLAS_KEYS = ("done", "pct", "in_progress", "not_started", "rating")


def _township_table(pack: Pack, row: TargetProgress) -> list[Flowable]:
    st, item = pack.styles, pack.items[row.key]
    d = row.decimals
    header = [
        "镇街",
        "已完成",
        "占全市",
        "推进中",
        "未启动",
        f"分解目标（{row.share_basis}）",
        "完成分解目标",
        "年底预测",
        "评级",
    ]
    rows, colours = [], []
    for i, t in enumerate(item["townships"]):
        rows.append(format_cells(t, TOWNSHIP_KEYS, d))
        ink, background = RATING_STYLE.get(t["rating"], RATING_STYLE["none"])
        colours.append((i, 8, ink, background))
    total = [
        "合计" if pack.report.township is None else f"合计（{pack.report.township}）",
        format_figure(item["done"], d),
        format_pct(100.0 if row.done > 0 else 0.0) if pack.report.township is None else "",
        format_figure(item["in_progress"], d),
        format_figure(item["not_started"], d),
        _target_text(row) if pack.report.township is None else "",
        format_pct(item["pct"]),
        format_figure(item["forecast"], d),
        RATING_ZH.get(row.rating, row.rating),
    ]
    ink, background = RATING_STYLE.get(row.rating, RATING_STYLE["none"])
    colours.append((len(rows), 8, ink, background))
    rows.append(total)
    out: list[Flowable] = [
        para(f"{row.name_zh}：分镇街情况（单位：{row.unit}）", st.h2),
        table(
            header,
            rows,
            [120, 82, 62, 82, 82, 82, 76, 82, 50],
            pack.fonts,
            align=["LEFT", *["RIGHT"] * 7, "CENTER"],
            size=8.2,
            cell_colours=colours,
            bold_rows=(len(rows) - 1,),
        ),
        Spacer(1, 6),
        para(
            (
                "分解目标：计划下达到各镇街的目标（任务分解）"
                if row.share_basis == SHARE_GIVEN_ZH
                else "分解目标：按比例推算，即全市目标按各镇街在图上所列要素的量分摊（计划未下达镇街目标）"
            )
            + "；占全市：占全市已完成量的比例。镇街数字按“强制调平”取整，合计等于全市数。",
            st.small,
        ),
        para(f"计数规则：{row.rule_zh}", st.body),
    ]
    problems = []
    if len(row.overlaps):
        deducted = row.overlaps[row.overlaps["deducted"].astype(bool)]
        problems.append(f"重叠 {len(row.overlaps)} 处（其中 {len(deducted)} 处已扣除，不重复计入）")
    if len(row.township_mismatches):
        problems.append(f"台账镇街与图上位置不符 {len(row.township_mismatches)} 个")
    if len(row.area_mismatches):
        problems.append(f"台账面积与图形面积相差超过容差 {len(row.area_mismatches)} 个")
    if problems:
        out.append(para("数据问题：" + "；".join(problems) + "。详见“数据问题”部分。", st.body))
    for warning in row.warnings:
        out.append(para(f"说明：{warning}", st.small))
    return out


def _target_section(pack: Pack, number: int, index: int, row: TargetProgress) -> list[Flowable]:
    st = pack.styles
    title = f"{number}.{index} {row.name_zh}"
    heading = Heading(title, st.h2, level=1, key=f"target-{row.key}")
    figures = markup(_figures_markup(row, pack.items[row.key]), st.figures)
    width = BODY_WIDTH - 2 * FRAME_PAD
    used = sum(
        f.wrap(width, BODY_HEIGHT)[1] + f.getSpaceBefore() + f.getSpaceAfter()
        for f in (heading, figures)
    )
    height = BODY_HEIGHT - 2 * FRAME_PAD - used - 8
    spec = _target_map_spec(pack, row, title)
    flowable = MapFlowable(
        replace(spec, title="", subtitle=""),
        width,
        height,
        pack.fonts,
        png_spec=spec,
        png_name=f"{index:02d}-{row.key}.png",
    )
    return [
        heading,
        figures,
        Spacer(1, 4),
        flowable,
        PageBreak(),
        *_township_table(pack, row),
    ]


def _township_features(
    pack: Pack, township: str
) -> tuple[list[maps.MapLayer], list[maps.LegendEntry], int]:
    """Every target feature the engine places in ``township``, each layer once, in its status colours."""
    geo = pack.geo
    layers: list[maps.MapLayer] = []
    by_rank: dict[tuple[str, str], int] = {}
    drawn: set[str] = set()
    total = 0
    for row in pack.report.rows:
        if row.layer in drawn or row.layer not in geo.layers:
            continue
        drawn.add(row.layer)
        spec = pack.store.spec(row.layer)
        gdf = geo.layers[row.layer]
        mask = gdf.index.astype(str).isin(pack.ids_in(row.layer, township))
        if not mask.any():
            continue
        status_field = spec.status.field if spec.status else None
        statuses = (
            gdf.loc[mask, status_field].tolist() if status_field else [None] * int(mask.sum())
        )
        feature_layers, _ = maps.feature_layers(
            spec, geo.layers_gk[row.layer][mask], statuses, scale_hint=0.02
        )
        layers += feature_layers
        total += int(mask.sum())
        if spec.status is not None:
            colours = spec.style.status_colors
            for value in statuses:
                rank = (
                    "已完成"
                    if value in spec.status.done
                    else "推进中"
                    if value in spec.status.in_progress
                    else "未启动"
                )
                key = (rank, colours.get(str(value), "#9e9e9e"))
                by_rank[key] = by_rank.get(key, 0) + 1
    order = {"未启动": 0, "推进中": 1, "已完成": 2}
    layers.sort(
        key=lambda layer: 0 if layer.kind == "polygon" else 1 if layer.kind == "line" else 2
    )
    legend = [
        maps.LegendEntry("polygon", f"{rank}类状态（{n}）", colour, colour)
        for (rank, colour), n in sorted(by_rank.items(), key=lambda kv: order[kv[0][0]])
    ]
    return layers, legend, total


def _township_page(pack: Pack, number: int, index: int, township: str, code: str) -> list[Flowable]:
    st, geo = pack.styles, pack.geo
    focus = np.array([n == township for n in geo.town_names], dtype=bool)
    extent = maps.extent_of(geo.towns_gk[focus], margin=0.08)
    below, above = maps.base_layers(geo.boundary_gk, geo.towns_gk, focus=focus)
    features, legend, count = _township_features(pack, township)
    title = f"{number}.{index} {township}"
    spec = maps.MapSpec(
        extent=extent,
        layers=(*below, *features, *above),
        legend=(*legend, *_reference_legend(pack)),
        legend_title=f"各目标图层要素（共 {count} 个）",
        labels=maps.township_labels(geo.town_names, geo.towns_gk, obstacles=_drawn(features)),
        labels_after=len(below),
        note=_map_note(pack),
        title=title,
        subtitle=f"镇街图册　统计日 {pack.report.as_of.isoformat()}　{pack.report.data_version.label_zh()}",
        panel="bottom",
    )
    map_w, map_h = ATLAS_MAP_WIDTH - 2 * FRAME_PAD, BODY_HEIGHT - 2 * FRAME_PAD
    flowable = MapFlowable(
        replace(spec, title="", subtitle=""),
        map_w,
        map_h,
        pack.fonts,
        png_spec=replace(spec, panel="right"),
        png_name=f"township-{index:02d}-{code}.png",
    )
    rows, colours = [], []
    listed = 0
    for row in pack.report.rows:
        t = next((t for t in pack.items[row.key]["townships"] if t["township"] == township), None)
        if t is None or not (t["done"] or t["in_progress"] or t["not_started"]):
            continue
        rows.append([row.name_zh, row.unit, *format_cells(t, _ATLAS_KEYS, row.decimals)])
        ink, background = RATING_STYLE.get(t["rating"], RATING_STYLE["none"])
        colours.append((listed, 6, ink, background))
        listed += 1
    right: list[Flowable] = [
        para(
            f"本镇街有要素的目标 {listed} 项（共 {len(pack.report.rows)} 项）；占全市 = 占全市已完成量的比例；评级按本镇街分解目标。",
            st.small,
        ),
        Spacer(1, 4),
    ]
    if rows:
        right.append(
            table(
                ["目标", "单位", "已完成", "占全市", "推进中", "未启动", "评级"],
                rows,
                [100, 22, 50, 38, 44, 40, 30],
                pack.fonts,
                align=["LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "CENTER"],
                size=7.0,
                cell_colours=colours,
            )
        )
    else:
        right.append(para("本镇街在统计日没有任何目标图层的要素。", st.body))
    heading = Heading(title, st.h2, level=1, key=f"township-{index}")
    width = BODY_WIDTH - ATLAS_MAP_WIDTH - ATLAS_GAP - 2 * FRAME_PAD
    room = BODY_HEIGHT - 2 * FRAME_PAD - heading.wrap(width, BODY_HEIGHT)[1] - 12
    return [flowable, FrameBreak(), heading, KeepInFrame(width, room, right, mode="shrink")]


def build_story(pack: Pack) -> tuple[list[Flowable], list[MapFlowable]]:
    """The whole pack as platypus flowables, and the maps among them."""
    st, report = pack.styles, pack.report
    numbers = iter(range(1, 11))
    n_summary, n_targets, n_towns = next(numbers), next(numbers), next(numbers)
    n_changes = next(numbers) if pack.since else 0
    n_problems, n_appendix = next(numbers), next(numbers)
    towns = _atlas_townships(pack)
    entries: list[tuple[int, str, str]] = [(0, f"{numeral(n_summary)}、目标总览", "summary")]
    entries.append((0, f"{numeral(n_targets)}、分目标进展（地图与分镇街情况）", "targets"))
    entries += [
        (1, f"{n_targets}.{i} {row.name_zh}", f"target-{row.key}")
        for i, row in enumerate(report.rows, start=1)
    ]
    entries.append((0, f"{numeral(n_towns)}、镇街图册", "townships"))
    entries += [
        (1, f"{n_towns}.{i} {name}", f"township-{i}") for i, (name, _) in enumerate(towns, start=1)
    ]
    if pack.since:
        entries.append((0, f"{numeral(n_changes)}、{pack.since:%Y年%m月%d日}以来的变化", "changes"))
    entries.append((0, f"{numeral(n_problems)}、影响统计的数据问题", "problems"))
    entries.append((0, f"{numeral(n_appendix)}、附录：各目标的要素清单", "appendix"))

    story: list[Flowable] = [*_cover(pack), NextPageTemplate("body"), PageBreak()]
    story += _contents(pack, entries)
    story += [PageBreak(), *_summary(pack, n_summary)]
    map_flowables: list[MapFlowable] = []
    for i, row in enumerate(report.rows, start=1):
        story.append(PageBreak())
        if i == 1:
            story.append(
                Anchor(
                    f"{numeral(n_targets)}、分目标进展（地图与分镇街情况）", level=0, key="targets"
                )
            )
        section = _target_section(pack, n_targets, i, row)
        map_flowables += [f for f in section if isinstance(f, MapFlowable)]
        story += section
    for i, (name, code) in enumerate(towns, start=1):
        story += [NextPageTemplate("atlas"), PageBreak()]
        if i == 1:
            story.append(Anchor(f"{numeral(n_towns)}、镇街图册", level=0, key="townships"))
        page = _township_page(pack, n_towns, i, name, code)
        map_flowables += [f for f in page if isinstance(f, MapFlowable)]
        story += page
    if not towns:
        story += [
            PageBreak(),
            Heading(f"{numeral(n_towns)}、镇街图册", st.h1, level=0, key="townships"),
        ]
        story.append(para("项目库没有镇街图层，无法生成镇街图册。", st.body))
    story += [NextPageTemplate("body"), PageBreak()]
    if pack.since:
        story += [*changes_section(pack, n_changes), PageBreak()]
    story += [*problems_section(pack, n_problems), PageBreak(), *appendix_section(pack, n_appendix)]
    return story, map_flowables


def _atlas_townships(pack: Pack) -> list[tuple[str, str]]:
    geo = pack.geo
    pairs = list(zip(geo.town_names, geo.town_codes, strict=True))
    if pack.report.township is not None:
        pairs = [p for p in pairs if p[0] == pack.report.township]
    return pairs


# --- building ---------------------------------------------------------------------------------
