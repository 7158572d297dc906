"""Tests of SheetTable.from_rows: rows in memory and rows read one by one give the same columns."""

from __future__ import annotations

import datetime as dt

import pytest

from validators import table as table_module
from validators.table import ColumnBuilder, SheetTable

HEADERS = ["id", "name", "amount"]


def _new_text(text: str) -> str:
    """Return an equal text that is a different object, as a reader creates one per cell."""
    return "".join(list(text))


def _built_one_by_one(rows: list) -> list[list]:
    builder = ColumnBuilder(len(HEADERS))
    for row in rows:
        builder.append(row)
    return [column.tolist() for column in builder.finish()]


RAGGED_ROWS = [
    ["D-1", "案件", 1200],
    ["D-2"],
    ("D-3", "案件 3", 5.5, "extra", "cells"),
    [],
    ["D-5", None, dt.date(2024, 4, 1)],
]


def test_from_rows_pads_and_cuts_rows():
    table = SheetTable.from_rows("s", HEADERS, RAGGED_ROWS)
    assert table.rows == [
        ["D-1", "案件", 1200],
        ["D-2", None, None],
        ["D-3", "案件 3", 5.5],
        [None, None, None],
        ["D-5", None, dt.date(2024, 4, 1)],
    ]


@pytest.mark.parametrize("rows", [RAGGED_ROWS, tuple(RAGGED_ROWS)])
def test_from_rows_matches_column_builder(rows):
    table = SheetTable.from_rows("s", HEADERS, rows)
    assert [column.tolist() for column in table.columns] == _built_one_by_one(list(rows))


def test_from_rows_of_generator_uses_builder():
    table = SheetTable.from_rows("s", HEADERS, (row for row in RAGGED_ROWS))
    assert [column.tolist() for column in table.columns] == _built_one_by_one(RAGGED_ROWS)


def test_from_rows_shares_equal_texts_across_chunks(monkeypatch):
    monkeypatch.setattr(table_module, "_ROW_LIST_CHUNK", 2)
    rows = [[f"D-{number}", _new_text("受注"), number] for number in range(7)]
    table = SheetTable.from_rows("s", HEADERS, rows)
    stages = table.columns[1]
    assert all(stage is stages[0] for stage in stages)
    assert table.columns[0].tolist() == [f"D-{number}" for number in range(7)]
    assert table.columns[2].tolist() == list(range(7))


def test_from_rows_keeps_bool_apart_from_one():
    rows = [["a", True, 1], ["b", 1, True], ["c", 1.0, False], ["d", 0, 0]]
    table = SheetTable.from_rows("s", HEADERS, rows)
    assert [type(cell) for cell in table.columns[1]] == [bool, int, float, int]
    assert [type(cell) for cell in table.columns[2]] == [int, bool, bool, int]


def test_from_rows_without_rows():
    table = SheetTable.from_rows("s", HEADERS, [])
    assert table.row_count == 0
    assert [len(column) for column in table.columns] == [0, 0, 0]


def test_from_rows_without_headers():
    table = SheetTable.from_rows("s", [], [["x"], []])
    assert table.columns == []
