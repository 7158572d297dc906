"""``/design``: the bundled design as a self-contained page, in both languages."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.service.conftest import ROOT


@pytest.mark.parametrize(
    ("lang", "heading"), [("ja", "追加される必須項目"), ("en", "Adds to requirements")]
)
def test_design_page_lists_every_stage(client, lang, heading):
    response = client.get(f"/design?lang={lang}")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert heading in page
    assert "<script" not in page
    raw = yaml.safe_load((ROOT / "examples" / "design.yaml").read_text(encoding="utf-8"))
    for pipeline in raw["pipelines"]:
        for stage in pipeline["stages"]:
            assert re.search(rf'data-stage="{stage["id"]}"', page), stage["id"]
            assert stage["label"] in page
