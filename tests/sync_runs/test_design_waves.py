"""The design's optional ``waves`` section: loading and its checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from validators.design_file import DesignError, load_design_text

EXAMPLE_TEXT = (Path(__file__).resolve().parents[2] / "examples" / "design.yaml").read_text("utf-8")
# The example design without its own waves, so that each test adds the waves it checks.
EXAMPLE = EXAMPLE_TEXT[: EXAMPLE_TEXT.index("\nwaves:")] + "\n"


def test_design_without_waves_loads():
    assert load_design_text(EXAMPLE).waves == ()


def test_example_design_waves():
    names = [wave.name for wave in load_design_text(EXAMPLE_TEXT).waves]
    assert names == ["cs-renewed", "cs", "ps"]


def test_waves_load_with_filters():
    design = load_design_text(
        EXAMPLE + "waves:\n  - {name: cs-onboarding, pipeline: cs, stages: [onboarding]}\n"
        "  - {name: sato, owner: 佐藤}\n"
    )
    assert [wave.name for wave in design.waves] == ["cs-onboarding", "sato"]
    assert design.wave("cs-onboarding").stages == ("onboarding",)
    assert design.wave("sato").owner == "佐藤"
    assert design.wave("missing") is None


@pytest.mark.parametrize(
    ("wave", "expected"),
    [
        ("{name: a, pipeline: nope}", "'nope' is not a pipeline id"),
        ("{name: a, pipeline: ps, stages: [onboarding]}", "'onboarding' is not a stage id"),
        ("{name: a, stages: [nowhere]}", "'nowhere' is not a stage id"),
        ("{name: a}\n  - {name: a}", "wave 'a' is defined more than once"),
        ("{name: a, colour: red}", None),
    ],
)
def test_invalid_wave_reported(wave, expected):
    with pytest.raises(DesignError) as caught:
        load_design_text(EXAMPLE + f"waves:\n  - {wave}\n")
    problem = caught.value.problems[0]
    assert problem.key.startswith("waves")
    assert problem.line is not None
    if expected is None:
        assert problem.code == "unknown_key"
    else:
        assert expected in problem.params["detail"]
