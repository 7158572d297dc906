"""Names and markers of the columns and tabs that the bridge owns in a spreadsheet."""

from __future__ import annotations

from validators.table import ManagedColumn

# Header text of each managed column, by language. The header carries no prefix,
# so in .xlsx the bridge finds its columns by defined name, and in .csv (which
# has no markers) by this exact text.
MANAGED_HEADERS: dict[ManagedColumn, dict[str, str]] = {
    ManagedColumn.STATUS: {"ja": "検証ステータス", "en": "Validation status"},
    ManagedColumn.FINDINGS: {"ja": "検証結果", "en": "Findings"},
    ManagedColumn.SCORE: {"ja": "スコア", "en": "Score"},
    ManagedColumn.GRADE: {"ja": "評価", "en": "Grade"},
    ManagedColumn.STAGE_ENTERED: {"ja": "ステージ開始日（自動）", "en": "Stage entered (auto)"},
    ManagedColumn.STAGE_SEEN: {"ja": "確認済みステージ", "en": "Stage seen"},
    ManagedColumn.HUBSPOT_ID: {"ja": "HubSpot ID", "en": "HubSpot ID"},
    ManagedColumn.SYNC_STATUS: {"ja": "同期ステータス", "en": "Sync status"},
    ManagedColumn.LAST_SYNCED_AT: {"ja": "最終同期日時", "en": "Last synced at"},
    ManagedColumn.CONTENT_HASH: {"ja": "同期ハッシュ", "en": "Sync hash"},
    ManagedColumn.ROW_KEY: {"ja": "行キー", "en": "Row key"},
    ManagedColumn.MARKS: {"ja": "ハイライト（自動）", "en": "Highlights (auto)"},
}

HEADER_LANGUAGES = ("ja", "en")

# Prefix of the .xlsx defined name that marks a managed column, e.g. "_bridge_status".
DEFINED_NAME_PREFIX = "_bridge_"

# Hidden tab where the bridge records which cells it highlighted and which tabs it made.
STATE_SHEET = "_bridge"

# Tabs the bridge writes itself, and the design tabs (設計 / Design) the admin
# keeps: never read as the user's data tab.
BRIDGE_SHEETS = frozenset({STATE_SHEET, "KPI", "要対応", "To-do", "設計", "Design"})

_COLUMN_BY_HEADER: dict[str, ManagedColumn] = {
    text: column for column, texts in MANAGED_HEADERS.items() for text in texts.values()
}


def managed_header(column: ManagedColumn, lang: str) -> str:
    """Return the header text of a managed column in ``lang`` ("ja" or "en")."""
    if lang not in HEADER_LANGUAGES:
        raise ValueError(f"header language must be one of {HEADER_LANGUAGES}, got {lang!r}")
    return MANAGED_HEADERS[column][lang]


def column_for_header(header: object) -> ManagedColumn | None:
    """Return the managed column whose Japanese or English header is ``header``."""
    if not isinstance(header, str):
        return None
    return _COLUMN_BY_HEADER.get(header.strip())


def defined_name(column: ManagedColumn) -> str:
    """Return the .xlsx defined name that marks ``column``."""
    return DEFINED_NAME_PREFIX + column.value


def column_for_defined_name(name: str) -> ManagedColumn | None:
    """Return the managed column a defined name marks, or None for other names."""
    if not name.startswith(DEFINED_NAME_PREFIX):
        return None
    try:
        return ManagedColumn(name.removeprefix(DEFINED_NAME_PREFIX))
    except ValueError:
        return None
