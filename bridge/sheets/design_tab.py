"""The design as a table an admin edits in a spreadsheet tab, and back.

Layout, top to bottom, each block a marker row, a header row and one row per item:

    [properties]   name | label | object | type | aliases | options | required | ...
    [pipelines]    id | label | aliases | hubspot_id | cumulative
    [stages]       pipeline | id | label | aliases | requires | max_days | ...
    [settings]     key | value        (sheet, scoring, kpi ...: one YAML value each)

A blank row ends a block. Lists of words (aliases, requires, blank_values,
stages of a wave) are comma-separated in one cell. Other nested values (enum
options, settings) are YAML in one cell. Columns follow the keys the
design uses, so a design field added later needs no change here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml

DESIGN_TAB_TITLES = ("設計", "Design")
BLOCKS = ("properties", "pipelines", "stages", "settings")
LIST_FIELDS = frozenset({"aliases", "requires", "blank_values", "stages"})
_SEPARATOR = re.compile(r"\s*[,、，]\s*")


class DesignTabError(ValueError):
    """The tab does not have the block layout.

    ``row`` is the 1-based sheet row; ``code`` and ``params`` fill the
    translated text in ``bridge.sheets.design_tab_messages``.
    """

    def __init__(self, code: str, row: int, **params: Any) -> None:
        super().__init__(f"row {row}: {code} {params}")
        self.code = code
        self.row = row
        self.params = params


def _cell_text(value: Any, key: str) -> Any:
    if value is None:
        return ""
    if (
        key in LIST_FIELDS
        and isinstance(value, list | tuple)
        and all(isinstance(item, str) for item in value)
    ):
        return ", ".join(value)
    if isinstance(value, dict | list | tuple):
        return yaml.safe_dump(
            value, allow_unicode=True, default_flow_style=None, sort_keys=False
        ).strip()
    return value


def _block(name: str, items: list[dict[str, Any]], first: tuple[str, ...] = ()) -> list[list[Any]]:
    keys: list[str] = list(first)
    for item in items:
        keys.extend(key for key in item if key not in keys)
    rows: list[list[Any]] = [[f"[{name}]"], keys]
    for item in items:
        rows.append([_cell_text(item.get(key), key) for key in keys])
    return rows


def design_to_rows(data: dict[str, Any]) -> list[list[Any]]:
    """Return the tab's rows for design data as loaded from YAML."""
    pipelines = [dict(p) for p in data.get("pipelines", [])]
    stages = [
        {"pipeline": pipeline.get("id"), **stage}
        for pipeline in pipelines
        for stage in pipeline.pop("stages", [])
    ]
    settings = [{"key": key, "value": value} for key, value in data.items()
                if key not in ("properties", "pipelines")]  # fmt: skip
    rows: list[list[Any]] = []
    for name, items, first in (
        ("properties", list(data.get("properties", [])), ("name", "label")),
        ("pipelines", pipelines, ("id", "label")),
        ("stages", stages, ("pipeline", "id", "label")),
        ("settings", settings, ("key", "value")),
    ):
        if rows:
            rows.append([])
        rows.extend(_block(name, items, first))
    return rows


def _is_blank(row: Iterable[Any]) -> bool:
    return all(value is None or str(value).strip() == "" for value in row)


def _parse_cell(value: Any, key: str, block: str) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return None
        if key in LIST_FIELDS and not text.startswith("["):
            return [part for part in _SEPARATOR.split(text) if part]
        if block == "settings" or text.startswith(("[", "{", "- ")) or "\n" in text:
            try:
                return yaml.safe_load(text)
            except yaml.YAMLError:
                return text
        return text
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def split_blocks(rows: list[list[Any]]) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    """Return each block's items with their 1-based sheet row numbers."""
    blocks: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    index = 0
    while index < len(rows):
        row = rows[index]
        marker = str(row[0]).strip() if row and row[0] is not None else ""
        if _is_blank(row):
            index += 1
            continue
        name = marker.strip("[]").strip().lower()
        if not (marker.startswith("[") and name in BLOCKS):
            raise DesignTabError("design_tab_no_marker", index + 1, value=marker)
        if index + 1 >= len(rows) or _is_blank(rows[index + 1]):
            raise DesignTabError("design_tab_no_header", index + 2, block=name)
        header = [str(value).strip() if value is not None else "" for value in rows[index + 1]]
        items = blocks.setdefault(name, [])
        index += 2
        while index < len(rows) and not _is_blank(rows[index]):
            cells = rows[index]
            item = {}
            for key, value in zip(header, cells, strict=False):
                parsed = _parse_cell(value, key, name)
                if key and parsed is not None:
                    item[key] = parsed
            items.append((index + 1, item))
            index += 1
    return blocks


def rows_to_design(rows: list[list[Any]]) -> tuple[dict[str, Any], dict[str, int]]:
    """Return design data and the sheet row of each item key (e.g. "properties[2]")."""
    blocks = split_blocks(rows)
    data: dict[str, Any] = {}
    where: dict[str, int] = {}
    for row, item in blocks.get("settings", []):
        if "key" in item:
            data[str(item["key"])] = item.get("value")
            where[str(item["key"])] = row

    data["properties"] = []
    for number, (row, item) in enumerate(blocks.get("properties", [])):
        data["properties"].append(item)
        where[f"properties[{number}]"] = row

    pipelines: list[dict[str, Any]] = []
    for number, (row, item) in enumerate(blocks.get("pipelines", [])):
        pipelines.append({**item, "stages": []})
        where[f"pipelines[{number}]"] = row
    by_id = {str(p.get("id")): (number, p) for number, p in enumerate(pipelines)}
    for row, item in blocks.get("stages", []):
        pipeline_id = str(item.pop("pipeline", ""))
        if pipeline_id not in by_id:
            raise DesignTabError("design_tab_unknown_pipeline", row, value=pipeline_id)
        number, pipeline = by_id[pipeline_id]
        where[f"pipelines[{number}].stages[{len(pipeline['stages'])}]"] = row
        pipeline["stages"].append(item)
    data["pipelines"] = pipelines
    return data, where


def problem_row(key: str, where: dict[str, int]) -> int | None:
    """Return the sheet row of the item a design problem's key points into."""
    best = None
    for prefix, row in where.items():
        if (key == prefix or key.startswith(prefix + ".") or key.startswith(prefix + "[")) and (
            best is None or len(prefix) > len(best[0])
        ):
            best = (prefix, row)
    return best[1] if best else None
