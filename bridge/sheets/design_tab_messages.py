"""Translated texts of the design tab's layout problems.

They are added to ``bridge.messages.DESIGN_TEMPLATES`` on import, so they are
shown like every other design problem, with the tab's row as the line.
"""

from __future__ import annotations

from bridge.i18n import N_
from bridge.messages import DESIGN_TEMPLATES

DESIGN_TAB_TEMPLATES: dict[str, str] = {
    "design_tab_no_marker": N_(
        '"{value}" is not a block marker. Start each block with a row holding [properties], '
        "[pipelines], [stages] or [settings] in column A, and separate blocks by a blank row."
    ),
    "design_tab_no_header": N_(
        "The block [{block}] has no header row. Put the column names in the row below the marker."
    ),
    "design_tab_unknown_pipeline": N_(
        'This stage names the pipeline "{value}", which the [pipelines] block does not list.'
    ),
}

DESIGN_TEMPLATES.update(DESIGN_TAB_TEMPLATES)
