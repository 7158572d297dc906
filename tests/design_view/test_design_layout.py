"""The ``bridge design show`` HTML page laid out by headless Chromium at common window widths.

A script appended to a copy of the page measures the diagrams after layout
and stores the numbers in the DOM, which ``--dump-dom`` prints.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bridge.design_view import render_design_html
from bridge.validation import load_design

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_DESIGN = ROOT / "examples" / "design.yaml"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WINDOW_HEIGHT = 1000

MEASURE = """
<script>
const box = (element) => {
  const rect = element.getBoundingClientRect();
  return {left: rect.left, right: rect.right, top: rect.top, bottom: rect.bottom,
          scrollWidth: element.scrollWidth, clientWidth: element.clientWidth};
};
const layout = {viewport: document.documentElement.clientWidth,
                pageWidth: document.documentElement.scrollWidth};
for (const diagram of document.querySelectorAll('[data-diagram]')) {
  layout[diagram.dataset.diagram] = box(diagram);
}
document.body.setAttribute('data-layout', JSON.stringify(layout));
</script>
"""

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def measure(page: str, width: int, folder: Path) -> dict:
    """Return the diagrams' boxes in ``page`` laid out in a window ``width`` px wide."""
    path = folder / f"design-{width}.html"
    path.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", f"--user-data-dir={folder / f'profile-{width}'}",
        f"--window-size={width},{WINDOW_HEIGHT}", "--dump-dom", path.as_uri(),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    match = re.search(r'data-layout="([^"]*)"', done.stdout)
    assert match, done.stdout[-2000:]
    return json.loads(html.unescape(match.group(1)))


@pytest.fixture(scope="module")
def page() -> str:
    design, _ = load_design(EXAMPLE_DESIGN)
    return render_design_html(design, "ja")


@pytest.mark.parametrize("width", [1024, 1400, 1800])
def test_diagrams_fit_window(page, tmp_path, width):
    layout = measure(page, width, tmp_path)
    viewport = layout["viewport"]
    assert layout["pageWidth"] <= viewport
    for name in ("pipelines", "scoring"):
        diagram = layout[name]
        assert diagram["left"] >= 0, name
        assert diagram["right"] <= viewport, name
        # Nothing is hidden behind a horizontal scroll bar inside the box.
        assert diagram["scrollWidth"] <= diagram["clientWidth"], name


@pytest.mark.parametrize("width", [1024, 1400])
def test_scoring_wraps_below_pipelines(page, tmp_path, width):
    layout = measure(page, width, tmp_path)
    assert layout["scoring"]["top"] >= layout["pipelines"]["bottom"]


def test_scoring_beside_pipelines_when_wide(page, tmp_path):
    layout = measure(page, 1800, tmp_path)
    assert layout["scoring"]["left"] >= layout["pipelines"]["right"]
    assert layout["scoring"]["top"] < layout["pipelines"]["bottom"]
