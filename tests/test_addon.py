"""Run the add-on's Node tests (Code.js under fakes, Sidebar.html in headless Chromium).

CI installs Node's packages and Debian's chromium through scripts/test, so a
missing node_modules or browser fails here rather than skipping. Only a
machine without Node at all skips.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bridge.web.schemas import KpiRequest, ValidationRequest

ROOT = Path(__file__).resolve().parent.parent
ADDON = ROOT / "addon"
REQUEST_BODIES = ROOT / "test-output" / "addon" / "request_bodies.json"
NODE_TIMEOUT_SECONDS = 600
# The request bodies code.test.js records, and the service's model for each.
BODY_MODELS = {"validate": ValidationRequest, "kpis": KpiRequest, "kpis_reminder": KpiRequest}


@pytest.mark.browser
def test_addon_node_suite():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed; the add-on's tests need Node 20 or later")
    assert (ADDON / "node_modules" / "playwright-core").is_dir(), (
        "addon/node_modules is missing: run `npm ci` in addon/ (scripts/test does)"
    )
    REQUEST_BODIES.unlink(missing_ok=True)

    completed = subprocess.run(
        [node, "--test", "addon/test/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_SECONDS,
        check=False,
    )
    output = completed.stdout + completed.stderr

    assert completed.returncode == 0, output[-20_000:]
    passed = re.search(r"^# pass (\d+)$", output, re.MULTILINE)
    failed = re.search(r"^# fail (\d+)$", output, re.MULTILINE)
    assert passed is not None, output[-5_000:]
    assert failed is not None and failed.group(1) == "0", output[-20_000:]
    # Both test files ran: 55 tests (50 for the scripts, 5 for the sidebar) when this was written.
    assert int(passed.group(1)) >= 55, output[-5_000:]

    # The add-on's bodies must load into the service's request models, which
    # reject unknown fields: a renamed field fails here, not in production.
    bodies = json.loads(REQUEST_BODIES.read_text(encoding="utf-8"))
    assert sorted(bodies) == sorted(BODY_MODELS)
    for route, model in BODY_MODELS.items():
        request = model.model_validate(bodies[route])
        assert request.spreadsheet == "1AbCspreadsheetId", route
        assert request.lang in ("ja", "en"), route
