"""``bridge design show`` from the command line: output files, defaults and errors."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bridge.cli import cli

ROOT = Path(__file__).resolve().parents[2]
MAVEN_DESIGN = ROOT / "examples" / "maven-crm" / "design.yaml"
FORMATS = ["html", "svg", "md"]


def test_cli_writes_each_format(tmp_path):
    runner = CliRunner()
    for output_format in FORMATS:
        target = tmp_path / f"design.{output_format}"
        result = runner.invoke(
            cli,
            ["design", "show", "--design", str(MAVEN_DESIGN), "--format", output_format,
             "--lang", "en", "--output", str(target)],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "opportunity_id" in target.read_text(encoding="utf-8")


def test_cli_prints_markdown_by_default_design():
    result = CliRunner().invoke(cli, ["design", "show", "--format", "md", "--lang", "ja"])
    assert result.exit_code == 0, result.output
    assert "オンボーディング" in result.output
    assert "```mermaid" in result.output


def test_cli_unwritable_output_is_a_message(tmp_path):
    target = tmp_path / "missing-folder" / "design.html"
    result = CliRunner().invoke(cli, ["design", "show", "--lang", "en", "--output", str(target)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert str(target) in result.output


def test_cli_missing_design_file(tmp_path):
    missing = tmp_path / "nope.yaml"
    result = CliRunner().invoke(cli, ["design", "show", "--design", str(missing), "--lang", "en"])
    assert result.exit_code == 2
    assert str(missing) in result.output
