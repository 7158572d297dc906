"""Seeded generator of realistic deal sheets for examples/design.yaml.

A generated sheet has 30 columns: the 29 properties of the example design
plus a free-text memo column the design does not know. Values mix Japanese
and English forms of every normalised type (full-width digits, 万 amounts,
令和 dates, serial dates, ○/× checkboxes, 〒 postal codes, check-digit
verified 法人番号 ...). Companies, owners, stages and options repeat, while
deal ids, e-mails, phones, domains and corporate numbers are mostly unique,
as in a real sheet.

``fault_rate`` sets the share of cells (per faultable column) and rows (per
row-level rule) that carry a fault, so that every finding code appears.
The same seed and size always give the same table.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from validators.engine import PreviousState
from validators.normalize import corporate_check_digit
from validators.table import SheetTable, object_column

# The date that day counts are measured from; fixed so runs are comparable.
AS_OF = dt.date(2025, 6, 30)
SERIAL_EPOCH = dt.date(1899, 12, 30)
DEFAULT_FAULT_RATE = 0.02
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000}

# Column order of the generated sheet: design property name -> (ja header, en header).
HEADERS = {
    "deal_id": ("案件ID", "Deal ID"),
    "dealname": ("案件名", "Deal name"),
    "pipeline": ("パイプライン", "Pipeline"),
    "dealstage": ("ステージ", "Stage"),
    "hubspot_owner_id": ("担当者", "Owner"),
    "company_name": ("顧客名", "Company"),
    "corporate_number": ("法人番号", "Corporate number"),
    "domain": ("Webサイト", "Website"),
    "zip": ("郵便番号", "Postal code"),
    "industry": ("業種", "Industry"),
    "company_size": ("従業員規模", "Company size"),
    "region": ("地域", "Region"),
    "contact_name": ("顧客担当者", "Contact"),
    "email": ("メール", "Email"),
    "phone": ("電話番号", "Phone"),
    "channel": ("獲得チャネル", "Channel"),
    "partner_company": ("パートナー企業", "Partner company"),
    "amount": ("契約金額", "Amount"),
    "contract_start_date": ("契約開始日", "Contract start"),
    "closedate": ("更新予定日", "Close date"),
    "stage_entered_date": ("ステージ開始日", "Stage entered"),
    "last_contact_date": ("最終連絡日", "Last contact"),
    "next_action": ("次回アクション", "Next step"),
    "next_action_date": ("次回アクション日", "Next step date"),
    "cs_satisfaction": ("顧客満足度", "CSAT"),
    "usage_status": ("運用状況", "Usage"),
    "usage_rate": ("利用率", "Usage rate"),
    "renewal_intent": ("更新意向", "Renewal intent"),
    "churn_reason": ("解約理由", "Churn reason"),
    "memo": ("備考", "Memo"),  # not in the design: one header_problem warning
}

# Pipeline id -> (cell texts naming the pipeline, [(cell texts naming a stage, closed as)]).
PIPELINES = {
    "cs": (
        ["カスタマーサクセス", "CS", "Customer success"],
        [
            (["オンボーディング", "Onboarding", "導入"], None),
            (["活用促進", "Adoption", "定着"], None),
            (["更新提案", "Renewal proposal", "更新交渉"], None),
            (["更新済み", "Renewed"], "won"),
            (["解約", "Churned"], "lost"),
        ],
    ),
    "ps": (
        ["パートナーサクセス", "PS", "Partner success"],
        [
            (["パートナー候補", "Candidate", "候補"], None),
            (["契約済み", "Contracted"], None),
            (["立ち上げ", "Ramp-up", "立上げ"], None),
            (["稼働中", "Active"], None),
            (["休眠", "Dormant"], "lost"),
        ],
    ),
}

OWNERS = [
    "佐藤 花子", "鈴木 一郎", "高橋 健", "田中 美咲", "伊藤 翔", "渡辺 結衣", "山本 大輔",
    "中村 彩", "小林 拓也", "加藤 由美", "Emily Carter", "James Wilson", "吉田 蓮", "山田 葵",
    "佐々木 湊", "山口 陽菜", "松本 悠真", "井上 さくら", "木村 颯", "林 美月",
]  # fmt: skip
SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤",
            "Smith", "Brown", "Garcia", "Lee"]  # fmt: skip
GIVEN_NAMES = ["太郎", "花子", "健太", "愛", "翼", "真由美", "John", "Anna", "Ken", "Mika"]
COMPANY_STEMS = ["さくら", "みらい", "ひかり", "アオバ", "東邦", "北斗", "大和", "富士", "Nova",
                 "Blue Ocean", "Kaizen", "Sunrise", "Tokyo Link", "Hikari Tech", "Minato"]  # fmt: skip
COMPANY_SUFFIXES = ["商事", "システムズ", "ソリューションズ", "製作所", "不動産", "物流",
                    "ホールディングス", "Labs", "Works", "Partners"]  # fmt: skip
COMPANY_FORMS = ["株式会社{}", "{}株式会社", "(株){}", "{} Inc.", "{} Co., Ltd.", "{}"]
PRODUCTS = ["採用管理", "求人掲載", "タレントDB", "HR Cloud", "Analytics", "研修パック"]
INDUSTRY = ["IT・通信", "IT", "製造", "製造業", "Manufacturing", "小売", "Retail", "人材",
            "Staffing", "金融", "金融・保険", "医療・福祉", "healthcare"]  # fmt: skip
SIZE = ["1-49名", "小規模", "50-299名", "Medium", "300名以上", "大規模", "large"]
REGION = ["関東", "関西", "中部", "九州", "その他", "Kanto", "Kansai"]
CHANNEL = ["直販", "パートナー経由", "インバウンド", "Direct", "Partner", "inbound"]
USAGE = ["活発", "活用中", "普通", "低調", "未利用", "Active", "normal", "Low"]
BOOL_FORMS: list[Any] = ["はい", "いいえ", "○", "×", "TRUE", "FALSE", True, False, "Yes", "no"]
NEXT_ACTIONS = ["定例MTG", "QBR準備", "利用状況ヒアリング", "更新見積送付", "Kickoff call",
                "Training session", "アップセル提案"]  # fmt: skip
CHURN_REASONS = ["予算削減", "競合へ乗り換え", "利用定着せず", "Budget cut", "Merged"]
MEMOS = ["", "", "", "要フォロー", "紹介案件", "VIP", "check later", "担当交代予定"]
PARTNERS = ["リクルートパートナーズ", "HR Connect", "パーソル協業", "Agent Japan", "キャリア連携"]
EMAIL_DOMAINS = ["example.co.jp", "example.jp", "example.com", "mail.example.ne.jp"]

# Faulty values per column, one of which replaces a cell when it is drawn as a fault.
CELL_FAULTS: dict[str, list[Any]] = {
    "corporate_number": ["1234567890123", "123456789012", "12-3456"],
    "domain": ["htp//broken", "www example com", "http://"],
    "zip": ["12-345", "〒1234", "abcdefg"],
    "industry": ["製造業界", "ITサービス業", "Pharma"],
    "company_size": ["中くらい", "huge"],
    "region": ["北海道", "Tohoku"],
    "email": ["tanaka.example.co.jp", "sato@", "info@@example.jp", "user name@example.com"],
    "phone": ["12-34", "03-1234", "phone"],
    "channel": ["展示会", "Referral"],
    "amount": ["未定額", "約100万円くらい", "abc"],
    "contract_start_date": ["2024/13/45", "来週", "2024-02-30"],
    "closedate": ["2025/99/01", "TBD"],
    "stage_entered_date": ["先月", "2023-13-01"],
    "last_contact_date": ["昨日", "2025-00-10"],
    "next_action_date": ["未定日", "2025/6/31"],
    "cs_satisfaction": ["とても良い", 7, "0"],
    "usage_status": ["まあまあ", "Heavy"],
    "usage_rate": ["高い", "150%", "-5%"],
    "renewal_intent": ["たぶん", "検討中"],
}
FORMULA_ERRORS = ["#REF!", "#N/A", "#VALUE!", "#DIV/0!"]


@dataclass
class GeneratedSheet:
    """A generated sheet and the extra run input that triggers score_dropped."""

    table: SheetTable
    previous: dict[str, PreviousState]  # row key -> previous state (high earlier scores)
    seed: int
    fault_rate: float

    @property
    def cells(self) -> int:
        return self.table.row_count * len(self.table.headers)


def parse_size(text: str) -> int:
    """Return the row count of a size such as "10k", "1m" or "2500"."""
    key = text.strip().lower()
    if key in SIZES:
        return SIZES[key]
    if key.endswith("k"):
        return int(float(key[:-1]) * 1_000)
    if key.endswith("m"):
        return int(float(key[:-1]) * 1_000_000)
    return int(key)


def generate(
    rows: int,
    *,
    seed: int = 7,
    fault_rate: float = DEFAULT_FAULT_RATE,
    header_language: str = "ja",
) -> GeneratedSheet:
    """Build a sheet of ``rows`` data rows; same arguments, same sheet."""
    if not 0.0 <= fault_rate <= 1.0:
        raise ValueError(f"fault_rate must be between 0 and 1, got {fault_rate}")
    rng = np.random.default_rng(seed)
    builder = _Columns(rng, rows, fault_rate)
    columns = builder.build()
    order = list(HEADERS)
    header_index = 0 if header_language == "ja" else 1
    headers = [HEADERS[name][header_index] for name in order]
    previous = builder.previous_states(columns)
    # The adapters' form: one object array per column, equal texts shared.
    data = [object_column(columns.pop(name)) for name in order]
    table = SheetTable(title="案件一覧", headers=headers, columns=data)
    return GeneratedSheet(table, previous, seed, fault_rate)


class _Columns:
    """Column-by-column construction; each step draws from the same seeded generator."""

    def __init__(self, rng: np.random.Generator, rows: int, fault_rate: float) -> None:
        self.rng = rng
        self.rows = rows
        self.fault_rate = fault_rate
        self.columns: dict[str, np.ndarray] = {}

    def pick(self, pool: list[Any], weights: list[float] | None = None) -> np.ndarray:
        values = np.empty(len(pool), dtype=object)
        values[:] = pool
        p = None if weights is None else np.asarray(weights) / np.sum(weights)
        return values[self.rng.choice(len(pool), size=self.rows, p=p)]

    def faults(self, share: float | None = None) -> np.ndarray:
        return self.rng.random(self.rows) < (self.fault_rate if share is None else share)

    def build(self) -> dict[str, np.ndarray]:
        n = self.rows
        numbers = np.arange(n)
        self.pipeline_ids = np.where(self.rng.random(n) < 0.7, "cs", "ps")
        self.stage_numbers = self.rng.choice(5, size=n, p=[0.2, 0.3, 0.2, 0.2, 0.1])
        self._pipeline_and_stage()

        c = self.columns
        c["deal_id"] = _objects([f"D-{number:07d}" for number in numbers])
        companies = self._company_pool(max(10, n // 3))
        c["company_name"] = companies[self.rng.integers(0, len(companies), n)]
        c["dealname"] = _objects(
            [f"{company} {product}" for company, product in
             zip(c["company_name"].tolist(), self.pick(PRODUCTS).tolist(), strict=True)]
        )  # fmt: skip
        c["hubspot_owner_id"] = self.pick(OWNERS)
        c["corporate_number"] = self._corporate_numbers(numbers)
        c["domain"] = self._domains(numbers)
        c["zip"] = self._postal_codes()
        c["industry"] = self.pick(INDUSTRY)
        c["company_size"] = self.pick(SIZE)
        c["region"] = self.pick(REGION, [5, 3, 2, 1, 1, 1, 1])
        surnames, given = self.pick(SURNAMES).tolist(), self.pick(GIVEN_NAMES).tolist()
        c["contact_name"] = _objects([f"{s} {g}" for s, g in zip(surnames, given, strict=True)])
        c["email"] = self._emails(numbers)
        c["phone"] = self._phones()
        c["channel"] = self.pick(CHANNEL)
        c["partner_company"] = np.where(self.pipeline_ids == "ps", self.pick(PARTNERS), "")
        c["amount"] = self._amounts()
        self._dates()
        c["next_action"] = self.pick(NEXT_ACTIONS)
        c["cs_satisfaction"] = self.pick([1, 2, 3, 4, 5, "4", "５", 3.0], [1, 2, 4, 5, 3, 1, 1, 1])
        c["usage_status"] = self.pick(USAGE)
        c["usage_rate"] = self._percentages()
        c["renewal_intent"] = self.pick(BOOL_FORMS)
        churned = (self.pipeline_ids == "cs") & (self.stage_numbers == 4)
        c["churn_reason"] = np.where(churned, self.pick(CHURN_REASONS), "")
        c["memo"] = self.pick(MEMOS)

        self._cell_faults()
        self._row_faults()
        return c

    def _pipeline_and_stage(self) -> None:
        pipelines = np.empty(self.rows, dtype=object)
        stages = np.empty(self.rows, dtype=object)
        form = self.rng.integers(0, 3, self.rows)
        for pipeline_id, (names, stage_list) in PIPELINES.items():
            in_pipeline = self.pipeline_ids == pipeline_id
            pipelines[in_pipeline] = np.array(names, dtype=object)[form[in_pipeline]]
            for number, (stage_names, _closed) in enumerate(stage_list):
                hit = in_pipeline & (self.stage_numbers == number)
                choice = self.rng.integers(0, len(stage_names), int(hit.sum()))
                stages[hit] = np.array(stage_names, dtype=object)[choice]
        self.columns["pipeline"] = pipelines
        self.columns["dealstage"] = stages
        closed = np.zeros(self.rows, dtype=object)
        for pipeline_id, (_names, stage_list) in PIPELINES.items():
            for number, (_stage_names, closed_as) in enumerate(stage_list):
                closed[(self.pipeline_ids == pipeline_id) & (self.stage_numbers == number)] = (
                    closed_as or ""
                )
        self.closed = closed

    def _company_pool(self, size: int) -> np.ndarray:
        stems = self.rng.choice(COMPANY_STEMS, size)
        suffixes = self.rng.choice(COMPANY_SUFFIXES, size)
        forms = self.rng.choice(COMPANY_FORMS, size)
        names = [
            form.format(f"{stem}{suffix}{number % 97 or ''}")
            for number, (stem, suffix, form) in enumerate(zip(stems, suffixes, forms, strict=True))
        ]
        return _objects(names)

    def _corporate_numbers(self, numbers: np.ndarray) -> np.ndarray:
        # A bijection of the row number keeps the numbers unique but unordered.
        bases = (numbers * 7_919 + 100_000_000_003) % 10**12
        texts = [f"{base:012d}" for base in bases.tolist()]
        full = [f"{corporate_check_digit(base)}{base}" for base in texts]
        hyphenated = self.rng.random(self.rows) < 0.2
        return _objects(
            [f"{t[0]}-{t[1:5]}-{t[5:9]}-{t[9:]}" if h else t
             for t, h in zip(full, hyphenated.tolist(), strict=True)]
        )  # fmt: skip

    def _domains(self, numbers: np.ndarray) -> np.ndarray:
        forms = self.rng.integers(0, 3, self.rows).tolist()
        patterns = ("https://www.client{}.co.jp", "client{}.jp", "http://client{}.example.com/")
        return _objects(
            [patterns[f].format(n) for n, f in zip(numbers.tolist(), forms, strict=True)]
        )

    def _postal_codes(self) -> np.ndarray:
        codes = self.rng.integers(100_0000, 999_9999, self.rows).tolist()
        forms = self.rng.integers(0, 4, self.rows).tolist()
        patterns = ("〒{0}-{1}", "{0}-{1}", "{0}{1}", "〒{0}−{1}")
        return _objects(
            [patterns[f].format(str(code)[:3], str(code)[3:]) for code, f in zip(codes, forms, strict=True)]
        )  # fmt: skip

    def _emails(self, numbers: np.ndarray) -> np.ndarray:
        domains = self.pick(EMAIL_DOMAINS).tolist()
        upper = (self.rng.random(self.rows) < 0.1).tolist()
        addresses = [
            (f"User{n}@{d}".upper() if u else f"user{n}@{d}")
            for n, d, u in zip(numbers.tolist(), domains, upper, strict=True)
        ]
        return _objects(addresses)

    def _phones(self) -> np.ndarray:
        # Japanese subscriber numbers never start with 0 after the area code.
        digits = self.rng.integers(2 * 10**7, 10**8, self.rows).tolist()
        forms = self.rng.integers(0, 5, self.rows).tolist()
        phones = []
        for number, form in zip(digits, forms, strict=True):
            text = f"{number:08d}"
            if form == 0:
                phones.append(f"03-{text[:4]}-{text[4:]}")
            elif form == 1:
                phones.append(f"090-{text[:4]}-{text[4:]}")
            elif form == 2:
                phones.append(f"+81 80 {text[:4]} {text[4:]}")
            elif form == 3:
                phones.append(f"０６－{text[:4]}－{text[4:]}".translate(_FULL_WIDTH))
            else:
                phones.append(f"045{text[:3]}{text[3:7]}")
        return _objects(phones)

    def _amounts(self) -> np.ndarray:
        man = self.rng.integers(10, 5000, self.rows).tolist()
        forms = self.rng.integers(0, 5, self.rows).tolist()
        amounts: list[Any] = []
        for value, form in zip(man, forms, strict=True):
            if form == 0:
                amounts.append(value * 10_000)  # a number cell
            elif form == 1:
                amounts.append(f"¥{value * 10_000:,}")
            elif form == 2:
                amounts.append(f"{value}万円")
            elif form == 3:
                amounts.append(f"{value * 10_000}".translate(_FULL_WIDTH))
            else:
                amounts.append(f"{value * 10_000:,}円")
        return _objects(amounts)

    def _percentages(self) -> np.ndarray:
        shares = self.rng.integers(0, 101, self.rows).tolist()
        forms = self.rng.integers(0, 3, self.rows).tolist()
        cells: list[Any] = []
        for share, form in zip(shares, forms, strict=True):
            if form == 0:
                cells.append(f"{share}%")
            elif form == 1:
                cells.append(share / 100)
            else:
                cells.append(f"{share}％".translate(_FULL_WIDTH))
        return _objects(cells)

    def _dates(self) -> None:
        """Dates relative to AS_OF: healthy by default, overdue or stale as faults."""
        c = self.columns
        is_open = self.closed == ""
        c["contract_start_date"] = self._date_cells(-self.rng.integers(30, 900, self.rows))
        # Open deals renew in the future, closed ones closed in the past.
        close = np.where(is_open, self.rng.integers(20, 365, self.rows),
                         -self.rng.integers(1, 300, self.rows))  # fmt: skip
        close = np.where(is_open & self.faults(), -self.rng.integers(1, 60, self.rows), close)
        c["closedate"] = self._date_cells(close)
        entered = -self.rng.integers(0, 25, self.rows)  # under every stage's max_days
        c["stage_entered_date"] = self._date_cells(
            np.where(self.faults(), -self.rng.integers(130, 400, self.rows), entered)
        )
        contacted = -self.rng.integers(0, 6, self.rows)  # under every contact cadence
        c["last_contact_date"] = self._date_cells(
            np.where(self.faults(), -self.rng.integers(40, 120, self.rows), contacted)
        )
        next_step = self.rng.integers(1, 30, self.rows)
        c["next_action_date"] = self._date_cells(
            np.where(self.faults(), -self.rng.integers(1, 30, self.rows), next_step)
        )

    def _date_cells(self, offsets: np.ndarray) -> np.ndarray:
        """Write day offsets from AS_OF in the forms teams type dates in."""
        forms = self.rng.integers(0, 6, self.rows).tolist()
        cells: list[Any] = []
        base = AS_OF.toordinal()
        for offset, form in zip(offsets.tolist(), forms, strict=True):
            day = dt.date.fromordinal(base + int(offset))
            cells.append(_DATE_FORMS[form](day))
        return _objects(cells)

    def _cell_faults(self) -> None:
        for name, faults in CELL_FAULTS.items():
            hit = self.faults()
            column = self.columns[name]
            column[hit] = self.pick(faults)[hit]
        # Formula errors are rarer than typos: a tenth of the rate, in any column.
        for name in ("amount", "closedate", "cs_satisfaction", "usage_rate", "company_name"):
            hit = self.faults(self.fault_rate / 10)
            self.columns[name][hit] = self.pick(FORMULA_ERRORS)[hit]

    def _row_faults(self) -> None:
        c = self.columns
        # missing_required and stage_requirement: blank required cells.
        for name in ("dealname", "hubspot_owner_id", "amount", "contract_start_date"):
            c[name][self.faults(self.fault_rate / 2)] = ""
        unknown_stage = self.faults(self.fault_rate / 2)
        c["dealstage"][unknown_stage] = self.pick(["ステージ不明", "Qualified"])[unknown_stage]
        # duplicate_key and duplicate_record: copy the value of an earlier row.
        for name in ("deal_id", "corporate_number", "email"):
            hit = np.flatnonzero(self.faults(self.fault_rate / 2))
            hit = hit[hit > 0]
            sources = (hit * self.rng.random(len(hit))).astype(np.int64)
            c[name][hit] = c[name][sources]
        # inconsistent: won deals without an amount.
        won = self.closed == "won"
        c["amount"][won & self.faults(self.fault_rate / 2)] = 0

    def previous_states(self, columns: dict[str, np.ndarray]) -> dict[str, PreviousState]:
        """Return high earlier scores for a share of rows, so score_dropped fires on them."""
        keys = columns["deal_id"][self.faults()]
        return {key: PreviousState(score=100.0) for key in keys.tolist() if key}


_FULL_WIDTH = str.maketrans("0123456789-%", "０１２３４５６７８９－％")
_ERAS_FIRST_YEAR = 2018  # 令和 year = Gregorian year - 2018


def _reiwa(day: dt.date) -> str:
    return f"令和{day.year - _ERAS_FIRST_YEAR}年{day.month}月{day.day}日"


_DATE_FORMS: tuple[Callable[[dt.date], Any], ...] = (
    lambda day: f"{day.year}/{day.month}/{day.day}",
    lambda day: f"{day.year}年{day.month}月{day.day}日",
    lambda day: day.isoformat(),
    lambda day: (day - SERIAL_EPOCH).days,  # Google Sheets serial
    lambda day: day,  # a date cell read from .xlsx
    lambda day: _reiwa(day) if day >= dt.date(2019, 5, 1) else day.isoformat(),
)


def _objects(values: list[Any]) -> np.ndarray:
    # Equal texts share one object, as in the adapters' columns.
    return object_column(values)


def write_csv(table: SheetTable, path: Path) -> Path:
    """Write the table as a UTF-8 CSV (header first), dates as ISO text."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(table.headers)
        for row in zip(*(column.tolist() for column in table.columns), strict=True):
            writer.writerow(["" if cell is None else _csv_text(cell) for cell in row])
    return path


def _csv_text(cell: Any) -> str:
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, bool):
        return "TRUE" if cell else "FALSE"
    return str(cell)


def write_xlsx(table: SheetTable, path: Path) -> Path:
    """Write the table as a one-tab workbook (for sizes openpyxl handles quickly)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = table.title
    sheet.append(table.headers)
    for row in zip(*(column.tolist() for column in table.columns), strict=True):
        sheet.append(list(row))
    book.save(path)
    return path


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Write a generated deal sheet to .csv or .xlsx.")
    parser.add_argument("size", help="row count: 1k, 10k, 100k, 1m or a number")
    parser.add_argument("output", type=Path, help="file to write, .csv or .xlsx")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fault-rate", type=float, default=DEFAULT_FAULT_RATE,
                        help="share of faulty cells per column, 0 to 1")  # fmt: skip
    args = parser.parse_args(argv)
    sheet = generate(parse_size(args.size), seed=args.seed, fault_rate=args.fault_rate)
    writer = write_xlsx if args.output.suffix == ".xlsx" else write_csv
    writer(sheet.table, args.output)
    print(f"wrote {sheet.table.row_count} rows to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
