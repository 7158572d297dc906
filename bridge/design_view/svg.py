"""Draw the design view as standalone SVG: pipelines stacked, scoring at the right.

Open stages run left to right; the won and lost ends share the last column.
Under each stage header come its day limit, contact cadence, the total count of
required properties and one ``+`` line per property the stage adds. Widths are
estimated from the text (East Asian wide characters count double) because SVG
cannot size a box to its text.
"""

from __future__ import annotations

import unicodedata
import xml.etree.ElementTree as ET

from bridge.design_view.model import DesignView, PipelineView, ScoringView, StageView

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
FONT = "'Hiragino Sans', 'Noto Sans JP', 'Yu Gothic', Meiryo, sans-serif"
FONT_SIZE = 12
CELL_WIDTH = 7.0  # estimated px of one narrow character at FONT_SIZE
LINE_HEIGHT = 17
HEADER_HEIGHT = 40
PADDING = 10
STAGE_GAP = 40  # room for the arrow between two stages
MIN_BOX_WIDTH = 150
PIPELINE_GAP = 36
TITLE_HEIGHT = 28
MARGIN = 16
CLOSING = "、。，．）」』】,.)"  # punctuation that never starts a wrapped line

COLORS = {
    "open": ("#e8f0fe", "#1a73e8"),
    "won": ("#e6f4ea", "#188038"),
    "lost": ("#fce8e6", "#c5221f"),
}


def text_width(text: str) -> float:
    """Return the estimated width of ``text`` in px."""
    cells = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    return cells * CELL_WIDTH


def wrap_text(text: str, max_width: float) -> list[str]:
    """Split ``text`` into lines of at most ``max_width`` estimated px.

    A line breaks at its last space when that keeps at least half of it,
    else between characters, as Japanese text allows. Closing punctuation
    stays on the line before.
    """
    lines: list[str] = []
    line = ""
    for char in text:
        if line and char not in CLOSING and text_width(line + char) > max_width:
            cut = line.rfind(" ")
            if cut >= len(line) // 2:
                lines.append(line[:cut])
                line = line[cut + 1 :]
            else:
                lines.append(line)
                line = ""
        line += char
    if line:
        lines.append(line)
    return lines


def stage_lines(stage: StageView, view: DesignView) -> list[tuple[str, str]]:
    """Return the (css class, text) lines drawn under a stage header."""
    lines = []
    if stage.max_days_text:
        lines.append(("limit", stage.max_days_text))
    if stage.contact_text:
        lines.append(("limit", stage.contact_text))
    lines.append(("total", stage.total_text))
    lines.extend(("added", "+ " + prop.text) for prop in stage.added)
    if not stage.added:
        lines.append(("muted", "+ " + view.texts["none"]))
    return lines


def render_svg(view: DesignView, *, scoring: bool = True) -> str:
    """Return the design as a standalone SVG document.

    With ``scoring=False`` the image has the pipelines only, so that a page
    can place the scoring panel (``render_scoring_svg``) where there is room.
    """
    root = _svg_root(view, view.name)
    _arrow_marker(root)

    y = MARGIN
    width = 0.0
    for pipeline in view.pipelines:
        group = ET.SubElement(root, "g", {"data-pipeline": pipeline.id})
        pipeline_width, height = _draw_pipeline(group, pipeline, view, MARGIN, y)
        width = max(width, pipeline_width)
        y += height + PIPELINE_GAP

    total_height = y - PIPELINE_GAP + MARGIN
    if scoring and view.scoring is not None:
        scoring_group = ET.SubElement(root, "g", {"data-scoring": "true"})
        panel_width, panel_height = _draw_scoring(
            scoring_group, view.scoring, view, MARGIN + width + PIPELINE_GAP, MARGIN
        )
        width += PIPELINE_GAP + panel_width
        total_height = max(total_height, MARGIN + panel_height + MARGIN)
    return _finish(root, width + 2 * MARGIN, total_height)


def render_scoring_svg(view: DesignView) -> str | None:
    """Return the scoring panel alone as an SVG document, or None when the design has none."""
    if view.scoring is None:
        return None
    root = _svg_root(view, view.texts["scoring"])
    group = ET.SubElement(root, "g", {"data-scoring": "true"})
    width, height = _draw_scoring(group, view.scoring, view, MARGIN, MARGIN)
    return _finish(root, width + 2 * MARGIN, height + 2 * MARGIN)


def _svg_root(view: DesignView, title: str) -> ET.Element:
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NAMESPACE,
            "font-family": FONT,
            "font-size": str(FONT_SIZE),
            "role": "img",
            "lang": view.lang,
        },
    )
    ET.SubElement(root, "title").text = title
    ET.SubElement(root, "style").text = _STYLE
    return root


def _finish(root: ET.Element, width: float, height: float) -> str:
    root.set("width", str(int(width)))
    root.set("height", str(int(height)))
    root.set("viewBox", f"0 0 {int(width)} {int(height)}")
    return ET.tostring(root, encoding="unicode")


def _box_width(stage: StageView, view: DesignView) -> float:
    texts = [stage.label, stage.kind_text] + [text for _, text in stage_lines(stage, view)]
    return max(MIN_BOX_WIDTH, max(text_width(text) for text in texts) + 2 * PADDING)


def _box_height(stage: StageView, view: DesignView) -> float:
    return HEADER_HEIGHT + PADDING + LINE_HEIGHT * len(stage_lines(stage, view))


def _draw_pipeline(
    group: ET.Element, pipeline: PipelineView, view: DesignView, x: float, y: float
) -> tuple[float, float]:
    """Draw one pipeline with its top left at (x, y); return its width and height."""
    title = ET.SubElement(group, "text", {"x": str(x), "y": str(y + 16), "class": "pipeline"})
    title.text = pipeline.label
    always_text = ""
    if pipeline.always:
        labels = ", ".join(prop.text for prop in pipeline.always)
        always_text = f"{view.texts['always']}: {labels}"
        always = ET.SubElement(group, "text", {"x": str(x), "y": str(y + 16 + LINE_HEIGHT)})
        always.set("class", "muted")
        always.text = always_text
    top = y + TITLE_HEIGHT + (LINE_HEIGHT if pipeline.always else 0)

    cursor = x
    bottom = top
    previous_right: tuple[float, float] | None = None
    for stage in pipeline.open_stages:
        width = _box_width(stage, view)
        _draw_stage(group, stage, view, cursor, top, width)
        if previous_right is not None:
            _arrow(group, previous_right, (cursor, top + HEADER_HEIGHT / 2), dashed=False)
        previous_right = (cursor + width, top + HEADER_HEIGHT / 2)
        bottom = max(bottom, top + _box_height(stage, view))
        cursor += width + STAGE_GAP

    closed = pipeline.closed_stages
    closed_width = max((_box_width(stage, view) for stage in closed), default=0.0)
    closed_top = top
    for stage in sorted(closed, key=lambda stage: stage.kind != "won"):
        _draw_stage(group, stage, view, cursor, closed_top, closed_width)
        if previous_right is not None:
            target = (cursor, closed_top + HEADER_HEIGHT / 2)
            _arrow(group, previous_right, target, dashed=stage.kind == "lost")
        closed_top += _box_height(stage, view) + PADDING
        bottom = max(bottom, closed_top - PADDING)

    right = cursor + closed_width if closed else cursor - STAGE_GAP
    longest_title = max(text_width(pipeline.label), text_width(always_text))
    return max(right - x, longest_title), bottom - y


def _draw_stage(
    group: ET.Element, stage: StageView, view: DesignView, x: float, y: float, width: float
) -> None:
    fill, stroke = COLORS[stage.kind]
    box = ET.SubElement(group, "g", {"data-stage": stage.id, "class": f"stage {stage.kind}"})
    height = _box_height(stage, view)
    ET.SubElement(
        box,
        "rect",
        {"x": str(x), "y": str(y), "width": str(width), "height": str(height), "rx": "6",
         "fill": "#ffffff", "stroke": stroke},
    )  # fmt: skip
    ET.SubElement(
        box,
        "rect",
        {"x": str(x), "y": str(y), "width": str(width), "height": str(HEADER_HEIGHT), "rx": "6",
         "fill": fill, "stroke": stroke},
    )  # fmt: skip
    label = ET.SubElement(box, "text", {"x": str(x + PADDING), "y": str(y + 17), "class": "label"})
    label.text = stage.label
    kind = ET.SubElement(box, "text", {"x": str(x + PADDING), "y": str(y + 33), "class": "muted"})
    kind.text = stage.kind_text

    line_y = y + HEADER_HEIGHT + PADDING + 8
    for css_class, text in stage_lines(stage, view):
        line = ET.SubElement(box, "text", {"x": str(x + PADDING), "y": str(line_y)})
        line.set("class", css_class)
        line.text = text
        line_y += LINE_HEIGHT


def _draw_scoring(
    group: ET.Element, scoring: ScoringView, view: DesignView, x: float, y: float
) -> tuple[float, float]:
    """Draw the scoring panel with its top left at (x, y); return its width and height."""
    lines: list[tuple[str, str]] = [("pipeline", view.texts["scoring"])]
    for measure in scoring.measures:
        weight = f"{measure.weight:g}"
        lines.append(("label", f"{measure.property.text}  ×{weight} ({measure.share:g}%)"))
        lines.append(("muted", f"  {measure.scale}"))
    lines.append(("label", view.texts["grade"]))
    lines.extend(("band", f"{band.grade} ≥ {band.min:g}") for band in scoring.bands)
    if scoring.drop_text:
        # The sentence is wrapped to the other lines' width, so that it does
        # not widen the panel (and push it below the pipelines on a page).
        text_limit = max(MIN_BOX_WIDTH, *(text_width(text) for _, text in lines))
        lines.extend(("muted", part) for part in wrap_text(scoring.drop_text, text_limit))

    width = max(text_width(text) for _, text in lines) + 2 * PADDING
    height = PADDING + LINE_HEIGHT * len(lines) + PADDING
    ET.SubElement(
        group,
        "rect",
        {"x": str(x), "y": str(y), "width": str(width), "height": str(height), "rx": "6",
         "fill": "#fef7e0", "stroke": "#f9ab00"},
    )  # fmt: skip
    line_y = y + PADDING + 12
    for css_class, text in lines:
        line = ET.SubElement(group, "text", {"x": str(x + PADDING), "y": str(line_y)})
        line.set("class", css_class)
        line.text = text
        line_y += LINE_HEIGHT
    return width, height


def _arrow_marker(root: ET.Element) -> None:
    defs = ET.SubElement(root, "defs")
    marker = ET.SubElement(
        defs,
        "marker",
        {"id": "arrow", "viewBox": "0 0 10 10", "refX": "10", "refY": "5",
         "markerWidth": "8", "markerHeight": "8", "orient": "auto-start-reverse"},
    )  # fmt: skip
    ET.SubElement(marker, "path", {"d": "M 0 0 L 10 5 L 0 10 z", "fill": "#5f6368"})


def _arrow(
    group: ET.Element, start: tuple[float, float], end: tuple[float, float], *, dashed: bool
) -> None:
    attributes = {
        "x1": str(start[0]),
        "y1": str(start[1]),
        "x2": str(end[0] - 1),
        "y2": str(end[1]),
        "stroke": "#5f6368",
        "marker-end": "url(#arrow)",
    }
    if dashed:
        attributes["stroke-dasharray"] = "5 4"
    ET.SubElement(group, "line", attributes)


_STYLE = """
.pipeline { font-size: 16px; font-weight: bold; fill: #202124; }
.label { font-weight: bold; fill: #202124; }
.muted { fill: #5f6368; }
.limit { fill: #b06000; }
.total { fill: #202124; }
.added { fill: #1a73e8; }
.band { fill: #202124; }
"""
