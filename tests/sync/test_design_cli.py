"""``bridge design check|push|pull`` against the fake HubSpot, run through click."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli.app import cli
from sync.preflight import ROW_KEY_PROPERTY
from tests.fakes.hubspot import TOKEN
from validators.design_file import load_design_text

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "design.yaml"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def example_design():
    return load_design_text(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE))


def test_check_without_hubspot_validates_file(runner):
    result = runner.invoke(cli, ["design", "check", "--lang", "en"])

    assert result.exit_code == 0, result.output
    design = example_design()
    expected = f"{len(design.properties)} properties, {len(design.pipelines)} pipelines"
    assert expected in result.output


def test_check_hubspot_lists_differences(runner, hubspot_env):
    result = runner.invoke(cli, ["design", "check", "--hubspot", "--lang", "en"])

    assert result.exit_code == 1, result.output
    # The key column goes to HubSpot as bridge_row_key, so deal_id needs no property.
    assert "deal_id" not in result.output
    assert "The company property industry does not exist in HubSpot" in result.output
    assert 'The pipeline "パートナーサクセス" matches no deal pipeline in HubSpot' in result.output
    assert "Traceback" not in result.output


def test_check_hubspot_in_japanese(runner, hubspot_env):
    result = runner.invoke(cli, ["design", "check", "--hubspot", "--lang", "ja"])

    assert result.exit_code == 1
    assert "industry" in result.output
    assert "bridge design push" in result.output
    assert "does not exist" not in result.output


def test_push_asks_and_creates_nothing_on_no(runner, hubspot_env):
    before = len(hubspot_env.properties["companies"])

    result = runner.invoke(cli, ["design", "push", "--lang", "en"], input="n\n")

    assert "companies.industry" in result.output
    assert "Nothing was created." in result.output
    assert len(hubspot_env.properties["companies"]) == before
    assert not hubspot_env.calls("POST", "/crm/properties/")


def test_push_yes_creates_missing_properties(runner, hubspot_env):
    design = example_design()
    existing = {
        (t, name)
        for t in ("deals", "companies", "contacts")
        for name in hubspot_env.property_names(t)
    }
    plural = {"deal": "deals", "company": "companies", "contact": "contacts"}
    missing = {(plural[p.object], p.name) for p in design.properties} - existing

    result = runner.invoke(cli, ["design", "push", "--yes", "--lang", "en"])

    assert f"Created {len(missing)} properties in HubSpot." in result.output
    created = {
        (r.path.rsplit("/", 1)[1], r.body["name"])
        for r in hubspot_env.calls("POST", "/crm/properties/")
    }
    assert created == missing
    # The fake already has the row key; pipelines still differ, so push exits 1.
    assert ("deals", ROW_KEY_PROPERTY) not in created
    assert result.exit_code == 1


def test_pull_writes_loadable_design(runner, hubspot_env, tmp_path):
    output = tmp_path / "pulled.yaml"

    result = runner.invoke(cli, ["design", "pull", "--output", str(output), "--lang", "en"])

    assert result.exit_code == 0, result.output
    pulled = load_design_text(output.read_text(encoding="utf-8"), str(output))
    assert pulled.pipelines[0].hubspot_id == "default"
    check = runner.invoke(cli, ["design", "check", "--design", str(output), "--hubspot"])
    assert check.exit_code == 0, check.output


def test_pull_refuses_to_overwrite(runner, hubspot_env, tmp_path):
    output = tmp_path / "pulled.yaml"
    output.write_text("keep", encoding="utf-8")

    result = runner.invoke(cli, ["design", "pull", "--output", str(output), "--lang", "en"])

    assert result.exit_code == 2
    assert output.read_text(encoding="utf-8") == "keep"
    assert not hubspot_env.requests


def test_missing_token_is_one_line(runner, monkeypatch, fake_hubspot):
    monkeypatch.delenv("HUBSPOT_ACCESS_TOKEN", raising=False)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    monkeypatch.setenv("HUBSPOT_BASE_URL", fake_hubspot.url)

    result = runner.invoke(cli, ["design", "check", "--hubspot", "--lang", "en"])

    assert result.exit_code == 2
    assert "HUBSPOT_ACCESS_TOKEN" in result.output
    assert "Traceback" not in result.output


def test_rejected_token_names_scopes_not_token(runner, monkeypatch, fake_hubspot):
    wrong = "pat-na1-12345678-0000-0000-0000-000000000000"
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", wrong)
    monkeypatch.setenv("HUBSPOT_BASE_URL", fake_hubspot.url)

    result = runner.invoke(cli, ["design", "check", "--hubspot", "--lang", "en"])

    assert result.exit_code == 2
    assert "crm.schemas.deals.write" in result.output
    assert wrong not in result.output
    assert TOKEN not in result.output
