"""How each layer is drawn, from its definition: one symbol per status, shared by the web map, QGIS styles and SLD."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ykgeo.layers import FieldSpec, LayerSpec

__all__ = [
    "FALLBACK_STATUS_COLOURS",
    "REFERENCE_OUTLINE_COLOUR",
    "UNKNOWN_STATUS_COLOUR",
    "UNKNOWN_STATUS_LABEL",
    "LayerSymbol",
    "StatusRank",
    "field_alias",
    "label_visible",
    "layer_symbols",
    "status_rank",
]

StatusRank = Literal["done", "in_progress", "not_started"]
SymbolKind = Literal["fill", "line", "marker"]

#: Colours for statuses of a layer whose definition gives none: early → late.
FALLBACK_STATUS_COLOURS = ("#b0bec5", "#f9a825", "#2e7d32", "#1565c0", "#6a1b9a")
#: A feature whose status is missing or not in the layer's vocabulary.
UNKNOWN_STATUS_COLOUR = "#9e9e9e"
UNKNOWN_STATUS_LABEL = "其他或未填"
#: Outlines of the reference layers (city boundary, townships) drawn as a basemap.
REFERENCE_OUTLINE_COLOUR = "#546e7a"
#: Dashes (in CSS pixels) of a line by status rank: built solid, under way dashed, not started dotted.
_LINE_DASH: dict[StatusRank, tuple[float, ...]] = {
    "done": (),
    "in_progress": (10.0, 6.0),
    "not_started": (2.0, 6.0),
}


@dataclass(frozen=True)
class LayerSymbol:
    """The look of one class of features, in CSS pixels as the web map draws it.

    ``value`` is the status value it stands for (``None``: the whole layer, or the
    features whose status is missing or unknown when the layer has statuses).
    """

    value: str | None
    label: str
    kind: SymbolKind
    colour: str
    rank: StatusRank = "done"
    fill_opacity: float = 0.0
    stroke_colour: str = ""
    stroke_opacity: float = 1.0
    width_px: float = 1.0
    dash_px: tuple[float, ...] = ()
    radius_px: float = 0.0

    @property
    def has_fill(self) -> bool:
        """Whether the area is filled (reference outlines are not)."""
        return self.kind != "line" and self.fill_opacity > 0


def _dash(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in text.replace(",", " ").split()) if text else ()


def status_rank(spec: LayerSpec, value: str) -> StatusRank:
    """Whether ``value`` means done, in progress or not started for ``spec``."""
    status = spec.status
    if status is not None and value in status.done:
        return "done"
    if status is not None and value in status.in_progress:
        return "in_progress"
    return "not_started"


def _symbol(
    spec: LayerSpec, value: str | None, label: str, colour: str, rank: StatusRank
) -> LayerSymbol:
    st = spec.style
    if spec.geometry_type == "LineString":
        width = (
            st.weight * 1.6
            if rank == "done"
            else st.weight
            if rank == "in_progress"
            else max(st.weight * 0.7, 1.5)
        )
        opacity = {"done": 0.95, "in_progress": 0.9, "not_started": 0.85}[rank]
        return LayerSymbol(
            value,
            label,
            "line",
            colour,
            rank,
            stroke_colour=colour,
            stroke_opacity=opacity,
            width_px=width,
            dash_px=_LINE_DASH[rank],
        )
    if spec.geometry_type == "Point":
        return LayerSymbol(
            value,
            label,
            "marker",
            colour,
            rank,
            fill_opacity=0.9,
            stroke_colour="#ffffff",
            width_px=1.2,
            radius_px=st.radius,
        )
    if spec.reference:
        city = spec.key == "city_boundary"
        return LayerSymbol(
            value,
            label,
            "fill",
            REFERENCE_OUTLINE_COLOUR,
            rank,
            fill_opacity=0.0,
            stroke_colour=REFERENCE_OUTLINE_COLOUR,
            stroke_opacity=0.9,
            width_px=2.5 if city else 1.2,
            dash_px=() if city else (6.0, 4.0),
        )
    return LayerSymbol(
        value,
        label,
        "fill",
        colour,
        rank,
        fill_opacity=st.fill_opacity,
        stroke_colour=colour,
        stroke_opacity=0.9,
        width_px=st.weight,
        dash_px=_dash(st.dash_array),
    )


def layer_symbols(spec: LayerSpec) -> tuple[LayerSymbol, ...]:
    """The symbols of a layer: one per status in vocabulary order, then the unknown status.

    A layer without statuses has one symbol (``value`` None, labelled with its name). Colours
    come from ``[style] status_colors`` of the layer's TOML (else a fixed early → late
    ramp); lines are solid and heavier when done, dashed in progress, dotted not started;
    reference polygons are outlines only.
    """
    status = spec.status
    if status is None:
        return (_symbol(spec, None, spec.name_zh, spec.style.color, "done"),)
    out = []
    for i, value in enumerate(status.values):
        colour = (
            spec.style.status_colors.get(value)
            or FALLBACK_STATUS_COLOURS[min(i, len(FALLBACK_STATUS_COLOURS) - 1)]
        )
        out.append(_symbol(spec, value, value, colour, status_rank(spec, value)))
    out.append(_symbol(spec, None, UNKNOWN_STATUS_LABEL, UNKNOWN_STATUS_COLOUR, "not_started"))
    return tuple(out)


def label_visible(spec: LayerSpec) -> bool:
    """Whether the layer is labelled with its name field (not the city boundary: one name)."""
    return bool(spec.name_field) and spec.key != "city_boundary"


def field_alias(field: FieldSpec) -> str:
    """The Chinese display name of a field: its name, with its unit when the name lacks it."""
    if field.unit and f"（{field.unit}）" not in field.name and f"({field.unit})" not in field.name:
        return f"{field.name}（{field.unit}）"
    return field.name
