"""Name the sheet's columns and bind them to design properties by header text.

Columns bind by header text and the design's aliases, never by position, so a
team may reorder or insert columns freely. Blank and duplicate header cells get
deterministic names and a header finding.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from validators.design import Design, Property
from validators.findings import Code, Finding, Severity, column_letter
from validators.table import SheetTable


@dataclass(frozen=True)
class Column:
    index: int  # 0-based position in the sheet
    name: str  # header as written, or a generated name for a blank/duplicate header
    letter: str  # A1 column letter


@dataclass
class Binding:
    """Map of design properties to the sheet columns that contain them."""

    columns: list[Column]  # user columns (managed ones excluded)
    by_property: dict[str, Column] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def column(self, property_name: str) -> Column | None:
        return self.by_property.get(property_name)


def header_key(text: Any) -> str:
    """Return the comparison form of a header: width-folded, case-folded, no spaces."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return "".join(folded.split())


def map_distinct(values: pd.Series, function: Callable[[Any], Any]) -> pd.Series:
    """Apply ``function`` once per distinct non-missing value and spread the results."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([function(value) for value in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def name_columns(table: SheetTable) -> tuple[list[Column], list[Finding]]:
    """Give every user column a unique name; report blank and duplicate headers."""
    managed = set(table.managed.values())
    columns: list[Column] = []
    findings: list[Finding] = []
    seen: dict[str, int] = {}

    for index, raw in enumerate(table.headers):
        if index in managed:
            continue
        letter = column_letter(index + 1)
        text = "" if raw is None else " ".join(str(raw).split())
        name = text

        if not text:
            name = f"({letter})"
            first = _first_row_with_value(table, index)
            if first is None:
                findings.append(_header_finding(table, name, letter, raw, "blank"))
            else:  # often a row with more cells than the header
                finding = _header_finding(table, name, letter, raw, "blank_with_values")
                findings.append(replace(finding, params={**finding.params, "first_row": first}))
        else:
            key = header_key(text)
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > 1:
                name = f"{text} ({seen[key]})"
                findings.append(_header_finding(table, name, letter, raw, "duplicate"))

        columns.append(Column(index, name, letter))
    return columns, findings


def bind_columns(table: SheetTable, design: Design) -> Binding:
    """Bind design properties to columns and report columns the design does not know."""
    columns, findings = name_columns(table)
    binding = Binding(columns=columns, findings=findings)
    by_key: dict[str, list[Column]] = {}
    for column in columns:
        if not column.name.startswith("("):
            by_key.setdefault(header_key(table.headers[column.index]), []).append(column)

    bound_indexes: set[int] = set()
    for prop in design.properties:
        column = _find_column(prop, by_key, bound_indexes)
        if column is not None:
            binding.by_property[prop.name] = column
            bound_indexes.add(column.index)

    # Blank and duplicate headers were reported above; a once-named column the
    # design does not know gets one warning, not one per row.
    generated = {finding.column for finding in findings}
    for column in columns:
        if column.index not in bound_indexes and column.name not in generated:
            findings.append(
                _header_finding(table, column.name, column.letter, column.name, "unknown")
            )
    return binding


def _find_column(prop: Property, by_key: dict[str, list[Column]], taken: set[int]) -> Column | None:
    for header in prop.headers:
        for column in by_key.get(header_key(header), []):
            if column.index not in taken:
                return column
    return None


def _header_finding(table: SheetTable, name: str, letter: str, raw: Any, problem: str) -> Finding:
    return Finding(
        row=table.header_row,
        column=name,
        column_letter=letter,
        code=Code.HEADER_PROBLEM,
        severity=Severity.WARNING,
        value=raw,
        params={"problem": problem},
    )


def _first_row_with_value(table: SheetTable, index: int) -> int | None:
    """Return the sheet row of the column's first non-blank cell, or None."""
    for position, value in enumerate(table.columns[index].tolist()):
        if value is not None and str(value).strip():
            return table.sheet_row(position)
    return None


HEADER_SEARCH_ROWS = 10  # data rows searched for a header below the design's header_row


def likely_header_row(table: SheetTable, design: Design, bound: int) -> int | None:
    """Return the sheet row among the first data rows that names more properties than the header.

    ``bound`` is the number of properties the header row names. A sheet with
    a title above its header (header_row 1 in the design, header on row 2)
    then gets a hint instead of only missing columns.
    """
    keys = {header_key(header) for prop in design.properties for header in prop.headers}
    best, best_count = None, max(bound, 1)
    for position in range(min(table.row_count, HEADER_SEARCH_ROWS)):
        cells = {header_key(column[position]) for column in table.columns}
        count = len(cells & keys)
        if count > best_count:
            best, best_count = table.sheet_row(position), count
    return best
