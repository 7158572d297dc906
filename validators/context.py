"""Column-wise state shared by the row rules of one validation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd

from validators.design import Design
from validators.findings import Code, Finding, Severity
from validators.headers import Binding, Column
from validators.normalize import Normalized
from validators.table import SheetTable


@dataclass
class RuleContext:
    table: SheetTable
    design: Design
    binding: Binding
    as_of: pd.Timestamp
    index: pd.Index  # positions of the non-blank data rows of the table
    raw: dict[str, pd.Series]  # property -> raw cells of the non-blank rows
    values: dict[str, Normalized]  # property -> normalised cells
    pipeline_ids: pd.Series | None = None  # pipeline id per row, None where unknown
    stage_ids: pd.Series | None = None  # stage id per row, None where unknown
    closed: pd.Series | None = None  # "won", "lost" or None per row
    findings: list[Finding] = field(default_factory=list)

    def column(self, property_name: str) -> Column | None:
        return self.binding.column(property_name)

    def normalized(self, property_name: str) -> pd.Series | None:
        result = self.values.get(property_name)
        return None if result is None else result.values

    def empty(self, property_name: str) -> pd.Series:
        """Return True where the property's cell is blank (or the column is absent)."""
        result = self.values.get(property_name)
        if result is None:
            return pd.Series(True, index=self.index)
        return result.empty

    def open_rows(self) -> pd.Series:
        """Return True for rows whose stage is known and not closed."""
        assert self.stage_ids is not None and self.closed is not None
        return self.stage_ids.notna() & self.closed.isna()

    def emit(
        self,
        mask: pd.Series | np.ndarray,
        property_name: str | None,
        code: Code,
        severity: Severity,
        params: Iterable[dict[str, Any]] | dict[str, Any] | None = None,
        suggestions: pd.Series | None = None,
        column: Column | None = None,
    ) -> None:
        """Add one finding per row where ``mask`` is True.

        ``params`` is either one dict shared by all rows, or one dict per
        flagged row in row order.
        """
        flags = np.asarray(mask, dtype=bool)
        if not flags.any():
            return
        positions = self.index.to_numpy()[flags]
        column = column or (self.column(property_name) if property_name else None)
        raw = self.raw.get(property_name) if property_name else None
        # Positional arrays and one list per field: label lookups and method
        # calls per finding are far slower at 100k rows.
        count = len(positions)
        first_row = self.table.sheet_row(0)  # sheet rows follow positions one to one
        rows = (positions.astype(np.int64, copy=False) + first_row).tolist()
        if raw is None:
            values: list[Any] = [None] * count
        else:
            values = list(map(_plain, raw.to_numpy(dtype=object)[flags].tolist()))
        if suggestions is None:
            suggested: list[Any] = [None] * count
        else:
            suggested = [
                None if candidate is None or candidate != candidate else candidate
                for candidate in suggestions.to_numpy(dtype=object)[flags].tolist()
            ]
        if params is None or isinstance(params, dict):
            # Findings are frozen and nothing edits their params, so the rows
            # of one call share a copy: at 1M rows a dict per finding costs
            # over 100 MB.
            shared = dict(params or {})
            row_params = [shared] * count
        else:
            row_params = [dict(item) for item in params]
            if len(row_params) != count:
                raise ValueError(f"{len(row_params)} params for {count} flagged rows")
        column_name = column.name if column else None
        letter = column.letter if column else None

        # map calls Finding straight from C, without a generator frame per row.
        self.findings.extend(
            map(
                Finding,
                rows,
                repeat(column_name),
                repeat(letter),
                repeat(code),
                repeat(severity),
                values,
                row_params,
                suggested,
            )
        )


def _plain(value: Any) -> Any:
    """Return a JSON-friendly form of a raw cell value."""
    if type(value) is str:
        return value
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value
