"""The rows the KPIs read: one validation's row table and normalised values, plus lookups."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from validators.design import Design
from validators.findings import Finding
from validators.kpi.settings import KpiSettings, Lookup
from validators.rules_cells import outside_range


@dataclass(frozen=True)
class Period:
    """Inclusive date range of the cohort KPIs (retention and churn)."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"period start {self.start} is after its end {self.end}")

    @classmethod
    def ending(cls, end: dt.date, days: int) -> Period:
        """Return the ``days``-day period that ends on ``end``."""
        return cls(end - dt.timedelta(days=days - 1), end)


def match_key(value: object) -> str:
    """Return the form lookup keys are compared in: NFKC, trimmed, casefolded."""
    return unicodedata.normalize("NFKC", str(value)).strip().casefold()


@dataclass
class KpiData:
    """Non-blank rows of one validation, aligned on the row table's index.

    ``rows`` has the engine's row columns (sheet_row, row_key, pipeline,
    stage, closed, owner, status, score, grade, stage_entered); ``values``
    has one column of normalised values per bound property. ``lookups``
    maps each lookup name of the design to its loaded key -> value table.
    """

    design: Design
    rows: pd.DataFrame
    values: pd.DataFrame
    findings: list[Finding]
    as_of: dt.date
    period: Period
    lookups: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        design: Design,
        rows: pd.DataFrame,
        values: pd.DataFrame,
        findings: Iterable[Finding],
        as_of: dt.date,
        period: Period | None = None,
        lookups: Mapping[str, Mapping[str, str]] | None = None,
    ) -> KpiData:
        checked = rows[rows["status"] != "blank"]
        return cls(
            design=design,
            rows=checked,
            values=_within_limits(design, values.reindex(checked.index)),
            findings=list(findings),
            as_of=as_of,
            period=period or Period.ending(as_of, design.kpi.period_days),
            lookups=dict(lookups or {}),
        )

    @property
    def settings(self) -> KpiSettings:
        return self.design.kpi

    def has(self, name: str | None) -> bool:
        """Return True when ``name`` is a bound property or a lookup with its key bound."""
        if name is None:
            return False
        lookup = self._lookup(name)
        if lookup is not None:
            return lookup.key_property in self.values.columns and name in self.lookups
        return name in self.values.columns

    def column(self, name: str) -> pd.Series:
        """Return the values of a property or lookup, None where missing."""
        lookup = self._lookup(name)
        if lookup is not None:
            return self._lookup_values(lookup)
        if name not in self.values.columns:
            return pd.Series(None, index=self.rows.index, dtype=object)
        return self.values[name]

    def numbers(self, name: str | None) -> pd.Series:
        if not self.has(name):
            return pd.Series(float("nan"), index=self.rows.index, dtype="float64")
        return pd.to_numeric(self.column(name), errors="coerce").astype("float64")

    def dates(self, name: str | None) -> pd.Series:
        """Return naive midnight timestamps (NaT where blank or invalid)."""
        if not self.has(name):
            return pd.Series(pd.NaT, index=self.rows.index, dtype="datetime64[ns]")
        dates = pd.to_datetime(self.column(name), errors="coerce")
        if getattr(dates.dt, "tz", None) is not None:
            dates = dates.dt.tz_localize(None)
        return dates.dt.normalize()

    def labels(self, name: str, values: pd.Series) -> pd.Series:
        """Return display texts: option labels for enum properties, text otherwise."""
        if name in self.design.property_names():
            prop = self.design.property(name)
            if prop.options:
                mapping = {option.value: option.label for option in prop.options}
                return values.map(lambda value: mapping.get(value, _text(value)))
        return values.map(_text)

    def in_pipeline(self) -> pd.Series:
        """Return True for rows of the KPI pipeline (every row when none is set)."""
        pipeline = self.settings.pipeline
        if pipeline is None:
            return pd.Series(True, index=self.rows.index)
        return self.rows["pipeline"] == pipeline

    def finding_counts(self, codes: Iterable[str]) -> pd.Series:
        """Return per row (by index) how many findings of ``codes`` it has."""
        wanted = set(codes)
        sheet_rows = [f.row for f in self.findings if f.row is not None and f.code.value in wanted]
        counts = pd.Series(sheet_rows, dtype="int64").value_counts()
        return self.rows["sheet_row"].map(counts).fillna(0).astype("int64")

    def _lookup(self, name: str) -> Lookup | None:
        return next((lookup for lookup in self.settings.lookups if lookup.name == name), None)

    def _lookup_values(self, lookup: Lookup) -> pd.Series:
        table = self.lookups.get(lookup.name, {})
        keys = self.column(lookup.key_property)
        by_key = {self._lookup_key(lookup, key): value for key, value in table.items()}
        by_key.pop(None, None)
        mapped = keys.map(lambda key: None if _blank(key) else by_key.get(match_key(key)))
        return mapped.astype(object)

    def _lookup_key(self, lookup: Lookup, key: str) -> str | None:
        """Return a table key in the form the key property's values take after normalising.

        An enum property's values are option values, while a table usually
        contains the labels (e.g. "Anna Snelling" for anna_snelling).
        """
        prop = self.design.property(lookup.key_property)
        if not prop.options:
            return match_key(key)
        wanted = match_key(key)
        for option in prop.options:
            texts = (option.value, option.label, *option.aliases)
            if wanted in {match_key(text) for text in texts}:
                return match_key(option.value)
        return wanted


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NaT


def _text(value: object) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _within_limits(design: Design, values: pd.DataFrame) -> pd.DataFrame:
    """Blank out values outside their property's min and max.

    Validation reports them as out_of_range errors (a satisfaction of 7 on a
    1 to 5 scale), so the KPIs must not count them as data.
    """
    limited = [
        prop for prop in design.properties
        if prop.name in values.columns and (prop.min is not None or prop.max is not None)
    ]  # fmt: skip
    if not limited:
        return values
    values = values.copy()
    for prop in limited:
        outside = outside_range(values[prop.name], prop.min, prop.max)
        values[prop.name] = values[prop.name].mask(outside)
    return values
