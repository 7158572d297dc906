"""A tiny evaluator of the bridge's highlight rules over the fake's cells.

It supports only what the bridge's custom formulas use: REGEXMATCH, COLUMN,
the & operator, string literals and A1 cell references. A conditional
format formula is written for the top-left cell of the rule's first range,
and for any other cell its relative references move by that cell's
distance from there, which ``evaluate`` does with ``rows`` and ``columns``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge.sheets.google_highlights import HIGHLIGHT_COLOURS
from tests.fakes.sheets import FakeSheet, column_index

_TOKEN = re.compile(
    r'\s*(?:(?P<string>"(?:[^"]|"")*")|(?P<function>[A-Z][A-Z0-9.]*)\(|'
    r"(?P<cell>(?P<column_absolute>\$?)(?P<column>[A-Z]{1,3})(?P<row_absolute>\$?)(?P<row>\d+))|"
    r"(?P<symbol>[,&)]))"
)


class FormulaError(ValueError):
    """A formula that this evaluator does not support."""


@dataclass(frozen=True)
class CellReference:
    row: int  # 0-based
    column: int  # 0-based
    row_absolute: bool
    column_absolute: bool

    def moved(self, rows: int, columns: int) -> tuple[int, int]:
        """Return the cell this reference names from a cell ``rows`` down and ``columns`` right."""
        row = self.row if self.row_absolute else self.row + rows
        column = self.column if self.column_absolute else self.column + columns
        return row, column


@dataclass(frozen=True)
class Call:
    function: str
    arguments: tuple[Any, ...]


@dataclass(frozen=True)
class Concatenation:
    parts: tuple[Any, ...]


def parse(formula: str) -> Any:
    """Parse ``formula`` into an expression tree, raising FormulaError for anything unsupported."""
    if not formula.startswith("="):
        raise FormulaError(f"not a formula: {formula!r}")
    tokens = _tokens(formula[1:])
    expression, position = _expression(tokens, 0)
    if position != len(tokens):
        raise FormulaError(f"unexpected {tokens[position]} in {formula!r}")
    return expression


def _tokens(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    position = 0
    while position < len(text.rstrip()):
        found = _TOKEN.match(text, position)
        if found is None:
            raise FormulaError(f"cannot read {text[position:]!r}")
        position = found.end()
        if found["string"] is not None:
            tokens.append(("value", found["string"][1:-1].replace('""', '"')))
        elif found["function"] is not None:
            tokens.append(("function", found["function"]))
        elif found["cell"] is not None:
            reference = CellReference(
                int(found["row"]) - 1,
                column_index(found["column"]),
                bool(found["row_absolute"]),
                bool(found["column_absolute"]),
            )
            tokens.append(("value", reference))
        else:
            tokens.append(("symbol", found["symbol"]))
    return tokens


def _expression(tokens: list[tuple[str, Any]], position: int) -> tuple[Any, int]:
    parts = []
    while True:
        part, position = _term(tokens, position)
        parts.append(part)
        if position < len(tokens) and tokens[position] == ("symbol", "&"):
            position += 1
            continue
        return (parts[0] if len(parts) == 1 else Concatenation(tuple(parts))), position


def _term(tokens: list[tuple[str, Any]], position: int) -> tuple[Any, int]:
    if position >= len(tokens):
        raise FormulaError("the formula ends early")
    kind, value = tokens[position]
    if kind == "value":
        return value, position + 1
    if kind != "function" or value not in ("REGEXMATCH", "COLUMN"):
        raise FormulaError(f"unknown {kind} {value!r}")
    arguments = []
    position += 1
    while True:
        argument, position = _expression(tokens, position)
        arguments.append(argument)
        if position >= len(tokens):
            raise FormulaError(f"{value}( is not closed")
        if tokens[position] == ("symbol", ","):
            position += 1
            continue
        if tokens[position] == ("symbol", ")"):
            return Call(value, tuple(arguments)), position + 1
        raise FormulaError(f"unexpected {tokens[position]} in {value}(")


def evaluate(
    expression: Any, cell_value: Callable[[tuple[int, int]], Any], rows: int, columns: int
) -> Any:
    """Return the value of ``expression`` in the cell ``rows`` down and ``columns`` right."""
    if isinstance(expression, str):
        return expression
    if isinstance(expression, CellReference):
        value = cell_value(expression.moved(rows, columns))
        return "" if value is None else value
    if isinstance(expression, Concatenation):
        return "".join(
            _text(evaluate(part, cell_value, rows, columns)) for part in expression.parts
        )
    if expression.function == "COLUMN":
        (reference,) = expression.arguments
        if not isinstance(reference, CellReference):
            raise FormulaError("COLUMN takes a cell reference here")
        return reference.moved(rows, columns)[1] + 1
    text, pattern = (evaluate(argument, cell_value, rows, columns)
                     for argument in expression.arguments)  # fmt: skip
    if not isinstance(text, str) or not isinstance(pattern, str):
        return False  # REGEXMATCH of a number is an error, which formats nothing
    return re.search(pattern, text) is not None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _severity_of_colour(colour: dict[str, float] | None) -> str | None:
    """Return the severity whose highlight colour is ``colour``, allowing 8-bit rounding."""
    for severity, expected in HIGHLIGHT_COLOURS.items():
        if colour is not None and all(
            abs(colour.get(name, 0) - value) <= 1 / 255 for name, value in expected.items()
        ):
            return severity
    return None


def highlighted_cells(sheet: FakeSheet) -> dict[tuple[int, int], str]:
    """Return the severity per cell that the rules in the bridge's colours highlight.

    Rules are evaluated in priority order, and the first rule that matches
    a cell gives its colour, as in Google Sheets.
    """
    found: dict[tuple[int, int], str] = {}
    for rule in sheet.conditional_formats:
        boolean_rule = rule.get("booleanRule", {})
        severity = _severity_of_colour(boolean_rule.get("format", {}).get("backgroundColor"))
        if severity is None:
            continue
        (value,) = boolean_rule["condition"]["values"]
        expression = parse(value["userEnteredValue"])
        anchor = rule["ranges"][0]
        top, left = anchor.get("startRowIndex", 0), anchor.get("startColumnIndex", 0)
        for grid in rule["ranges"]:
            for row in range(
                grid.get("startRowIndex", 0), grid.get("endRowIndex", sheet.row_count)
            ):
                for column in range(
                    grid.get("startColumnIndex", 0), grid.get("endColumnIndex", sheet.column_count)
                ):
                    if (row, column) in found:
                        continue
                    if evaluate(expression, sheet.values.get, row - top, column - left) is True:
                        found[(row, column)] = severity
    return found
