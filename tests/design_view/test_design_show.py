"""``bridge design show``: every stage and requirement of the example designs in every format."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from bridge.design_view import render_design, render_design_html
from bridge.validation import load_design

ROOT = Path(__file__).resolve().parents[2]
DESIGNS = [ROOT / "examples" / "design.yaml", ROOT / "examples" / "maven-crm" / "design.yaml"]
FORMATS = ["html", "svg", "md"]
LANGUAGES = ["ja", "en"]
SVG = "{http://www.w3.org/2000/svg}"


def raw_design(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def expected_stages(raw: dict) -> list[dict]:
    """Return per stage what it should show, computed from the raw YAML.

    ``added`` follows the design format's rule: a stage inherits the
    requirements of the earlier open stages unless it or its pipeline sets
    ``cumulative: false``.
    """
    labels = {prop["name"]: prop["label"] for prop in raw["properties"]}
    stages = []
    for pipeline in raw["pipelines"]:
        inherited: list[str] = []
        for stage in pipeline["stages"]:
            own = stage.get("requires", [])
            cumulative = stage.get("cumulative", pipeline.get("cumulative", True))
            added = [name for name in own if name not in inherited] if cumulative else own
            stages.append(
                {
                    "pipeline": pipeline["id"],
                    "id": stage["id"],
                    "label": stage["label"],
                    "added": [labels[name] for name in added],
                    "requires": [labels[name] for name in own],
                    "max_days": stage.get("max_days"),
                    "contact": stage.get("contact_every_days"),
                }
            )
            if "closed" not in stage:
                inherited = (inherited if cumulative else []) + [
                    name for name in own if name not in inherited
                ]
    return stages


def always_required(raw: dict) -> list[str]:
    return [prop["label"] for prop in raw["properties"] if prop.get("required")]


@pytest.fixture(scope="module", params=DESIGNS, ids=["example", "maven"])
def design_case(request):
    design, _ = load_design(request.param)
    return design, raw_design(request.param)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("output_format", FORMATS)
def test_output_names_every_stage_and_requirement(design_case, output_format, lang):
    design, raw = design_case
    text = html.unescape(render_design(design, lang, output_format))
    for stage in expected_stages(raw):
        assert stage["label"] in text, stage["id"]
        for label in stage["requires"]:
            assert label in text, (stage["id"], label)
    for label in always_required(raw):
        assert label in text, label


@pytest.mark.parametrize("lang", LANGUAGES)
def test_markdown_row_per_stage(design_case, lang):
    design, raw = design_case
    text = render_design(design, lang, "md")
    rows = {
        match.group(1): match.group(0)
        for match in re.finditer(r"^\| .*? \(`([^`]+)`\) \|.*$", text, flags=re.MULTILINE)
    }
    for stage in expected_stages(raw):
        row = rows[stage["id"]]
        cells = [cell.strip() for cell in row.strip("|").split(" | ")]
        adds = cells[2]
        for label in stage["added"]:
            assert label in adds, (stage["id"], label)
        if stage["max_days"]:
            assert str(stage["max_days"]) in cells[4]
        else:
            assert cells[4] == "-"
        if stage["contact"]:
            assert str(stage["contact"]) in cells[5]
        else:
            assert cells[5] == "-"


def test_markdown_has_mermaid_per_pipeline(design_case):
    design, raw = design_case
    text = render_design(design, "en", "md")
    assert text.count("```mermaid\nflowchart LR") == len(raw["pipelines"])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_svg_stage_boxes_list_added_properties(design_case, lang):
    design, raw = design_case
    root = ET.fromstring(render_design(design, lang, "svg"))
    assert root.tag == f"{SVG}svg"
    boxes = {
        (pipeline.get("data-pipeline"), box.get("data-stage")): box
        for pipeline in root.iter(f"{SVG}g")
        if pipeline.get("data-pipeline")
        for box in pipeline.iter(f"{SVG}g")
        if box.get("data-stage")
    }
    for stage in expected_stages(raw):
        box = boxes[(stage["pipeline"], stage["id"])]
        texts = [element.text or "" for element in box.iter(f"{SVG}text")]
        assert stage["label"] in texts
        added_lines = [text for text in texts if text.startswith("+ ")]
        for label in stage["added"]:
            assert any(label in line for line in added_lines), (stage["id"], label)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_html_is_self_contained(design_case, lang):
    design, _ = design_case
    page = render_design_html(design, lang)
    assert page.startswith("<!DOCTYPE html>")
    assert f'<html lang="{lang}">' in page
    assert "<script" not in page
    assert "<link" not in page
    assert "src=" not in page
    assert "@import" not in page
    urls = set(re.findall(r"https?://[^\s\"')]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert "<svg" in page


@pytest.mark.parametrize("lang", LANGUAGES)
def test_html_row_per_stage(design_case, lang):
    design, raw = design_case
    page = render_design_html(design, lang)
    for stage in expected_stages(raw):
        match = re.search(
            rf'<tr class="\w+" data-stage="{re.escape(stage["id"])}">(.*?)</tr>', page, re.DOTALL
        )
        assert match, stage["id"]
        row = html.unescape(match.group(1))
        assert stage["label"] in row
        for label in stage["added"]:
            assert label in row, (stage["id"], label)


def test_scoring_measures_and_weights_shown():
    path = DESIGNS[0]
    design, _ = load_design(path)
    raw = raw_design(path)
    labels = {prop["name"]: prop["label"] for prop in raw["properties"]}
    total = sum(measure["weight"] for measure in raw["scoring"]["measures"])
    text = render_design(design, "ja", "md")
    for measure in raw["scoring"]["measures"]:
        share = measure["weight"] / total * 100
        row = next(
            line
            for line in text.splitlines()
            if line.startswith(f"| {labels[measure['property']]} ")
        )
        assert f"| {measure['weight']:g} |" in row
        assert f"{share:g}%" in row
    for band in raw["scoring"]["bands"]:
        assert f"| {band['grade']} | {band['min']:g} |" in text


def test_japanese_output_has_no_english_labels():
    design, _ = load_design(DESIGNS[0])
    for output_format in FORMATS:
        text = render_design(design, "ja", output_format)
        for english in ("Adds to requirements", "Required in every stage", "contact every",
                        "Scoring model", "Won (closed)", "Lost (closed)"):  # fmt: skip
            assert english not in text, (output_format, english)


def test_english_output_labels():
    design, _ = load_design(DESIGNS[0])
    text = render_design(design, "en", "md")
    assert "| Stage | Kind | Adds to requirements |" in text
    assert "at most 45 days" in text
    assert "contact every 7 days" in text


def test_example_markdown_is_current():
    design, _ = load_design(DESIGNS[0])
    stored = (ROOT / "examples" / "design.md").read_text(encoding="utf-8")
    assert stored == render_design(design, "ja", "md"), (
        "regenerate: bridge design show --format md --lang ja --output examples/design.md"
    )


def test_example_markdown_in_english_is_current():
    design, _ = load_design(DESIGNS[0])
    stored = (ROOT / "examples" / "design.en.md").read_text(encoding="utf-8")
    assert stored == render_design(design, "en", "md"), (
        "regenerate: bridge design show --format md --lang en --output examples/design.en.md"
    )
