"""Design files: the examples load, and every kind of mistake is reported with key and line."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bridge.messages import design_problem_message
from validators.design_file import DesignError, load_design_text

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT.parent / "shared" / "datasets"

MINIMAL = """\
version: 1
sheet:
  stage_column: stage
properties:
  - name: stage
    label: ステージ
  - name: amount
    label: 金額
    type: currency
pipelines:
  - id: cs
    label: CS
    stages:
      - id: a
        label: 導入
        requires: [amount]
      - id: won
        label: 成約
        closed: won
"""


def problems_of(text: str) -> list:
    with pytest.raises(DesignError) as caught:
        load_design_text(text, "design.yaml")
    return caught.value.problems


def test_example_designs_load():
    design = load_design_text((ROOT / "examples" / "design.yaml").read_text(encoding="utf-8"))
    assert [pipeline.id for pipeline in design.pipelines] == ["cs", "ps"]
    maven = load_design_text(
        (ROOT / "examples" / "maven-crm" / "design.yaml").read_text(encoding="utf-8")
    )
    assert [stage.label for stage in maven.pipelines[0].stages] == [
        "Prospecting",
        "Engaging",
        "Won",
        "Lost",
    ]


def test_maven_options_match_dataset_files():
    maven = load_design_text(
        (ROOT / "examples" / "maven-crm" / "design.yaml").read_text(encoding="utf-8")
    )
    with (DATASETS / "maven-crm" / "products.csv").open(encoding="utf-8") as handle:
        products = [row["product"] for row in csv.DictReader(handle)]
    with (DATASETS / "maven-crm" / "sales_teams.csv").open(encoding="utf-8") as handle:
        agents = [row["sales_agent"] for row in csv.DictReader(handle)]
    assert [option.label for option in maven.property("product").options] == products
    assert [option.label for option in maven.property("sales_agent").options] == agents


def test_minimal_design_loads():
    design = load_design_text(MINIMAL)
    assert design.pipelines[0].required_properties("won") == ("amount",)


def test_requirements_cumulative_over_open_stages_only():
    design = load_design_text((ROOT / "examples" / "design.yaml").read_text(encoding="utf-8"))
    cs = design.pipeline("cs")
    assert cs.required_properties("onboarding") == ("company_name", "amount", "contract_start_date")
    renewed = cs.required_properties("renewed")
    assert renewed[:3] == ("company_name", "amount", "contract_start_date")
    assert renewed.count("closedate") == 1
    assert "cs_satisfaction" in cs.required_properties("renewed")
    # churned says cumulative: false, so it needs only its own property.
    assert cs.required_properties("churned") == ("churn_reason",)


@pytest.mark.parametrize(
    ("old", "new", "code", "key", "line"),
    [
        ("    type: currency", "    type: money", "invalid_choice", "properties[1].type", 9),
        ("        requires: [amount]", "        requires: [amout]", "unknown_property",
         "pipelines[0].stages[0].requires[0]", 16),
        ("  stage_column: stage", "  stage_column: stage\n  colour: red", "unknown_key",
         "sheet.colour", 4),
        ("      - id: won", "      - id: a", "duplicate_name", "pipelines[0].stages[1].id", 17),
        ("    label: CS\n", "", "missing_key", "pipelines[0].label", 11),
    ],
)  # fmt: skip
def test_design_mistake_names_key_and_line(old, new, code, key, line):
    assert old in MINIMAL
    problems = problems_of(MINIMAL.replace(old, new))
    assert [(p.code, p.key, p.line) for p in problems] == [(code, key, line)]


def test_several_mistakes_all_reported():
    text = MINIMAL.replace("type: currency", "type: money").replace("[amount]", "[amout]")
    # A type mistake and a misspelt requirement are listed together, in line order.
    problems = problems_of(text)
    assert [(p.code, p.line) for p in problems] == [("invalid_choice", 9), ("unknown_property", 16)]
    text = MINIMAL.replace("[amount]", "[amout, stagee]")
    assert [p.code for p in problems_of(text)] == ["unknown_property", "unknown_property"]


def test_yaml_syntax_error_has_line():
    problems = problems_of(MINIMAL.replace("    label: 金額", "    label: [金額"))
    assert problems[0].code == "yaml_unclosed_list"
    assert problems[0].line is not None and problems[0].line >= 7


def test_design_message_in_japanese_and_english():
    problem = problems_of(MINIMAL.replace("[amount]", "[amout]"))[0]
    assert design_problem_message(problem, "ja", "design.yaml") == (
        "design.yaml 16行目 pipelines[0].stages[0].requires[0]: "
        "「amout」は properties に定義されていないプロパティです。"
    )
    assert design_problem_message(problem, "en", "design.yaml") == (
        "design.yaml, line 16, pipelines[0].stages[0].requires[0]: "
        '"amout" is not a property defined under properties.'
    )


def test_enum_without_options_reported():
    text = MINIMAL.replace("    type: currency", "    type: enum")
    assert [p.code for p in problems_of(text)] == ["enum_without_options"]


def test_top_level_list_rejected():
    assert [p.code for p in problems_of("- a\n- b\n")] == ["not_a_mapping"]


def test_pipeline_mistake_reports_no_follow_on_errors():
    text = (ROOT / "examples" / "design.yaml").read_text(encoding="utf-8")
    broken = text.replace("        max_days: 45\n", "        max_dayz: 45\n", 1)
    problems = problems_of(broken)
    assert [(p.code, p.key) for p in problems] == [
        ("unknown_key", "pipelines[0].stages[0].max_dayz")
    ]


def test_validator_message_has_no_pydantic_prefix():
    text = (ROOT / "examples" / "design.yaml").read_text(encoding="utf-8")
    problems = problems_of(text.replace("  pipeline: cs\n", "  pipeline: sales\n", 1))
    assert problems[0].key == "kpi"
    assert not problems[0].params["detail"].startswith("Value error")


@pytest.mark.parametrize(
    ("extra", "code", "japanese"),
    [
        ("    max: five", "not_a_number", "「five」は数値として読み取れません。"),
        ("    max: [5]", "not_a_number", None),
        ("    required: maybe", "not_a_boolean", "「maybe」は true か false で書いてください。"),
        ("    aliases: 金額円", "not_a_list", "ここにはリスト（例: [a, b]）を書いてください。"),
    ],
)
def test_design_type_mistakes_translated(extra, code, japanese):
    text = MINIMAL.replace("    type: currency", "    type: currency\n" + extra)

    [problem] = problems_of(text)
    message = design_problem_message(problem, "ja", "design.yaml")

    assert problem.code == code
    assert problem.line == 10
    if japanese is not None:
        assert message.endswith(japanese)
    assert "Input should" not in message  # pydantic's own English text


@pytest.mark.parametrize(
    ("old", "new", "code", "japanese"),
    [
        ("    label: 金額", "    label: {金額", "yaml_unclosed_mapping",
         "{ で始めた対応表が } で閉じられていないか"),
        ("    label: 金額", '    label: "金額', "yaml_unclosed_quote", "引用符が閉じられていません"),
        ("    label: 金額", "\tlabel: 金額", "yaml_tab", "タブで字下げ"),
        ("    label: 金額", "    label: 金額: 円", "yaml_colon", "コロン（:）があります"),
        ("    label: 金額", "   label: 金額", "yaml_indent", "字下げが上の行とそろっていません"),
        ("    label: 金額", "    label: *amount", "yaml_alias", "アンカー（&名前）が"),
        ("    label: 金額", "    label: !!python/object:os.system 金額", "yaml_tag",
         "タグ !!python/object:os.system は設計では使えません"),
        ("    label: 金額", "    label: 金額\x07", "yaml_control_character", "制御文字（U+0007）"),
    ],
)  # fmt: skip
def test_yaml_mistakes_translated(old, new, code, japanese):
    [problem] = problems_of(MINIMAL.replace(old, new, 1))
    message = design_problem_message(problem, "ja", "design.yaml")
    assert problem.code == code
    assert japanese in message
    assert problem.line == 8  # the line of the mistake, also for what is left open


def test_second_document_named():
    [problem] = problems_of(MINIMAL + "---\nother: 1\n")
    assert problem.code == "yaml_documents"
    assert problem.line == len(MINIMAL.splitlines()) + 1
    assert "2 つ目の YAML 文書" in design_problem_message(problem, "ja", "design.yaml")


def test_duplicate_key_named_with_both_lines():
    text = MINIMAL.replace("    label: 金額", "    label: 金額\n    label: 売上", 1)
    [problem] = problems_of(text)
    message = design_problem_message(problem, "ja", "design.yaml")
    assert problem.code == "yaml_duplicate_key"
    assert (problem.line, problem.params["first_line"]) == (9, 8)
    assert problem.key.endswith(".label")
    assert "キー「label」が同じ階層に 2 回" in message


def test_duplicate_top_level_section():
    problems = problems_of(MINIMAL + "sheet:\n  header_row: 2\n")
    assert [(problem.code, problem.key) for problem in problems] == [
        ("yaml_duplicate_key", "sheet")
    ]


def test_choices_listed_without_english_or():
    [problem] = problems_of(MINIMAL.replace("    type: currency", "    type: curency", 1))
    message = design_problem_message(problem, "ja", "design.yaml")
    assert problem.code == "invalid_choice"
    assert "currency, " in problem.params["expected"]
    assert " or " not in message
    assert "'" not in problem.params["expected"]
