"""The application gunicorn serves in the HTTP tests, with local workbooks as sheets.

``BRIDGE_TEST_SHEETS`` maps spreadsheet ids to workbook paths (JSON);
``BRIDGE_TEST_OUTPUT`` is the folder for result files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from bridge.app import create_app
from tests.service.sheet_files import SheetFiles


def create_test_app():
    sheets = SheetFiles(Path(os.environ["BRIDGE_TEST_OUTPUT"]))
    for spreadsheet_id, path in json.loads(os.environ["BRIDGE_TEST_SHEETS"]).items():
        sheets.paths[spreadsheet_id] = Path(path)
    return create_app({"SHEET_OPENER": sheets})
