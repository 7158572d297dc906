"""Write the design view as Markdown: a table and a mermaid flowchart per pipeline."""

from __future__ import annotations

from bridge.design_view.model import DesignView, PipelineView, ScoringView, StageView


def render_markdown(view: DesignView) -> str:
    """Return the design as Markdown for a README (GitHub renders the mermaid blocks)."""
    texts = view.texts
    lines = [f"# {_cell(view.name)}", ""]
    for pipeline in view.pipelines:
        lines.extend(_pipeline(pipeline, view))
    lines.append(f"## {texts['scoring']}")
    lines.append("")
    if view.scoring is None:
        lines.extend([texts["no_scoring"], ""])
    else:
        lines.extend(_scoring(view.scoring, view))
    return "\n".join(lines).rstrip() + "\n"


def _pipeline(pipeline: PipelineView, view: DesignView) -> list[str]:
    texts = view.texts
    lines = [f"## {_cell(pipeline.label)}", "", f"{texts['pipeline_id']}: `{pipeline.id}`", ""]
    if pipeline.always:
        lines.append(f"{texts['always']}: {_cell(_properties(pipeline.always, view))}")
        lines.append("")

    header = (texts["stage"], texts["kind"], texts["adds"], texts["total"], texts["max_days"],
              texts["contact"])  # fmt: skip
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for stage in pipeline.stages:
        row = (
            f"{_cell(stage.label)} (`{stage.id}`)",
            _cell(stage.kind_text),
            _cell(_properties(stage.added, view)),
            _cell(stage.total_text),
            _cell(stage.max_days_text or "-"),
            _cell(stage.contact_text or "-"),
        )
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.extend(_mermaid(pipeline))
    lines.append("")
    return lines


def _mermaid(pipeline: PipelineView) -> list[str]:
    """Return a left-to-right flowchart: open stages in a chain, then the won and lost ends."""
    node = {stage.id: f"{pipeline.id}_{index}" for index, stage in enumerate(pipeline.stages)}
    lines = ["```mermaid", "flowchart LR"]
    for stage in pipeline.stages:
        lines.append(f"    {node[stage.id]}{_shape(stage)}")
    open_stages = pipeline.open_stages
    for before, after in zip(open_stages, open_stages[1:], strict=False):
        lines.append(f"    {node[before.id]} --> {node[after.id]}")
    if open_stages:
        last = node[open_stages[-1].id]
        for stage in pipeline.closed_stages:
            link = "-->" if stage.kind == "won" else "-.->"
            lines.append(f"    {last} {link} {node[stage.id]}")
    for kind, fill, stroke in (("won", "#e6f4ea", "#188038"), ("lost", "#fce8e6", "#c5221f")):
        lines.append(f"    classDef {kind} fill:{fill},stroke:{stroke}")
    for stage in pipeline.closed_stages:
        lines.append(f"    class {node[stage.id]} {stage.kind}")
    lines.append("```")
    return lines


def _shape(stage: StageView) -> str:
    parts = [stage.label]
    parts.extend(text for text in (stage.max_days_text, stage.contact_text) if text)
    parts.extend("+ " + prop.label for prop in stage.added)
    label = "<br/>".join(_mermaid_text(part) for part in parts)
    # Closed ends are drawn round so that they read as the end of the flow.
    return f'(["{label}"])' if stage.kind != "open" else f'["{label}"]'


def _scoring(scoring: ScoringView, view: DesignView) -> list[str]:
    texts = view.texts
    lines = [f"| {texts['measure']} | {texts['weight']} | {texts['share']} | {texts['scale']} |"]
    lines.append("|---|---|---|---|")
    for measure in scoring.measures:
        lines.append(
            f"| {_cell(measure.property.text)} | {measure.weight:g} | {measure.share:g}% "
            f"| {_cell(measure.scale)} |"
        )
    lines.extend(["", f"| {texts['grade']} | {texts['from_score']} |", "|---|---|"])
    lines.extend(f"| {_cell(band.grade)} | {band.min:g} |" for band in scoring.bands)
    lines.append("")
    if scoring.drop_text:
        lines.extend([scoring.drop_text, ""])
    return lines


def _properties(properties: tuple, view: DesignView) -> str:
    if not properties:
        return view.texts["none"]
    return ", ".join(prop.text for prop in properties)


def _cell(text: str) -> str:
    """Return ``text`` safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _mermaid_text(text: str) -> str:
    """Return ``text`` safe inside a quoted mermaid label."""
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;")
