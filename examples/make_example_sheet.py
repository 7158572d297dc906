"""Write examples/deals.xlsx, a seeded example deal sheet for examples/design.yaml.

The workbook imitates a sheet that a Japanese CS/PS team keeps by hand. Its one
tab, 案件一覧, contains 200 deals under Japanese headers. Three headers are aliases,
and a free-text 備考 column is not in the design. Cells mix date and amount
formats, and deliberate faults cover every row-level finding code. The faults are
listed in examples/deals.faults.json next to the workbook. Day counts (stale, overdue,
passed) are meant to be measured as of 2026-12-01:

    python examples/make_example_sheet.py
    bridge validate examples/deals.xlsx --as-of 2026-12-01

The seed is fixed, and zip entry times and the workbook's modified date are
pinned, so repeated runs with the same openpyxl version write identical bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import random
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

HERE = Path(__file__).resolve().parent
XLSX_PATH = HERE / "deals.xlsx"
MANIFEST_PATH = HERE / "deals.faults.json"

SEED = 20261201
AS_OF = dt.date(2026, 12, 1)
TAB = "案件一覧"
PINNED_TIME = dt.datetime(2026, 12, 1, 0, 0, 0)

# (property name, header) in sheet order. The headers are the design's labels,
# except 会社名, 契約更新日 and 満足度, which are aliases of 顧客名, 更新予定日 and
# 顧客満足度. "memo" (備考) is not a design property.
COLUMNS = [
    ("deal_id", "案件ID"),
    ("dealname", "案件名"),
    ("pipeline", "パイプライン"),
    ("dealstage", "ステージ"),
    ("hubspot_owner_id", "担当者"),
    ("company_name", "会社名"),
    ("corporate_number", "法人番号"),
    ("industry", "業種"),
    ("company_size", "従業員規模"),
    ("region", "地域"),
    ("zip", "郵便番号"),
    ("domain", "ドメイン"),
    ("contact_name", "顧客担当者"),
    ("email", "メール"),
    ("phone", "電話番号"),
    ("channel", "獲得チャネル"),
    ("partner_company", "パートナー企業"),
    ("amount", "契約金額"),
    ("contract_start_date", "契約開始日"),
    ("closedate", "契約更新日"),
    ("stage_entered_date", "ステージ開始日"),
    ("last_contact_date", "最終連絡日"),
    ("next_action", "次回アクション"),
    ("next_action_date", "次回アクション日"),
    ("cs_satisfaction", "満足度"),
    ("usage_status", "運用状況"),
    ("usage_rate", "利用率"),
    ("renewal_intent", "更新意向"),
    ("churn_reason", "解約理由"),
    ("memo", "備考"),
]
HEADERS = dict(COLUMNS)
DATE_PROPERTIES = {
    "contract_start_date",
    "closedate",
    "stage_entered_date",
    "last_contact_date",
    "next_action_date",
}

# Labels and a few aliases copied from examples/design.yaml.
PIPELINE_TEXT = {"cs": ("カスタマーサクセス", "CS"), "ps": ("パートナーサクセス", "PS")}
STAGE_TEXT = {
    "onboarding": ("オンボーディング", "導入"),
    "adoption": ("活用促進", "定着"),
    "renewal_proposal": ("更新提案", "更新交渉"),
    "renewed": ("更新済み", "更新"),
    "churned": ("解約", "解約済み"),
    "candidate": ("パートナー候補", "候補"),
    "contracted": ("契約済み", None),
    "ramp_up": ("立ち上げ", "立上げ"),
    "active": ("稼働中", None),
    "dormant": ("休眠", None),
}
INDUSTRY_TEXT = {
    "it": ("IT・通信", "IT"),
    "manufacturing": ("製造", "製造業"),
    "retail": ("小売", "小売業"),
    "staffing": ("人材", "人材サービス"),
    "finance": ("金融", "金融・保険"),
    "healthcare": ("医療・福祉", "医療"),
}
SIZE_TEXT = {
    "small": ("1-49名", "小規模"),
    "medium": ("50-299名", "中規模"),
    "large": ("300名以上", "大規模"),
}
USAGE_TEXT = {
    "active": ("活発", "活用中"),
    "normal": ("普通", None),
    "low": ("低調", None),
    "unused": ("未利用", None),
}
OPTION_TEXT = {"industry": INDUSTRY_TEXT, "company_size": SIZE_TEXT, "usage_status": USAGE_TEXT}
CHANNEL_TEXT = {"direct": "直販", "partner": "パートナー経由", "inbound": "インバウンド"}

CS_STAGE_COUNTS = {
    "onboarding": 24,
    "adoption": 46,
    "renewal_proposal": 26,
    "renewed": 30,
    "churned": 14,
}
PS_STAGE_COUNTS = {"candidate": 12, "contracted": 8, "ramp_up": 12, "active": 20, "dormant": 8}

CS_OWNERS = ["佐藤 健", "鈴木 美咲", "高橋 翔太", "田中 彩", "伊藤 大輔", "渡辺 さくら"]
PS_OWNERS = ["山本 拓也", "中村 優子", "小林 直樹"]

# Company names are a prefix plus a core word, and the core decides the industry.
NAME_PREFIXES = [
    ("ミライ", "mirai"), ("サクラ", "sakura"), ("アオバ", "aoba"), ("ヒカリ", "hikari"),
    ("ミナト", "minato"), ("アサヒ", "asahi"), ("ハヤテ", "hayate"), ("ツバサ", "tsubasa"),
    ("コスモ", "cosmo"), ("ブルーム", "bloom"), ("東邦", "toho"), ("北斗", "hokuto"),
    ("南星", "nansei"), ("白鷺", "shirasagi"), ("若葉", "wakaba"), ("千代田", "chiyoda"),
    ("浪速", "naniwa"), ("博多", "hakata"), ("栄", "sakae"), ("湘南", "shonan"),
    ("六甲", "rokko"), ("富士見", "fujimi"), ("春日", "kasuga"), ("常盤", "tokiwa"),
    ("大空", "ozora"), ("星野", "hoshino"), ("森山", "moriyama"), ("西川", "nishikawa"),
    ("リンクス", "links"), ("ネクスト", "next"), ("ソレイユ", "soleil"), ("エール", "yell"),
    ("フォレスト", "forest"), ("オーシャン", "ocean"), ("ひまわり", "himawari"),
    ("つばき", "tsubaki"), ("あおい", "aoi"), ("いろは", "iroha"),
]  # fmt: skip
NAME_CORES = {
    "it": [("テクノロジー", "tech"), ("システムズ", "systems"), ("ソフト", "soft"),
           ("デジタル", "digital"), ("ネットワークス", "networks"), ("データ", "data")],
    "manufacturing": [("工業", "kogyo"), ("製作所", "seisakusho"), ("精機", "seiki"),
                      ("化学", "kagaku"), ("電機", "denki"), ("金属", "kinzoku")],
    "retail": [("商事", "shoji"), ("物産", "bussan"), ("フーズ", "foods"),
               ("ストア", "store"), ("ドラッグ", "drug")],
    "staffing": [("キャリア", "career"), ("スタッフ", "staff"), ("ワークス", "works"),
                 ("エージェント", "agent"), ("人材センター", "jinzai")],
    "finance": [("ファイナンス", "finance"), ("リース", "lease"), ("証券", "shoken"),
                ("保険サービス", "hoken")],
    "healthcare": [("メディカル", "medical"), ("ケア", "care"), ("薬品", "yakuhin"),
                   ("ヘルスケア", "healthcare")],
}  # fmt: skip
LEGAL_FORMS = [
    ("株式会社{}", 55),
    ("{}株式会社", 30),
    ("(株){}", 8),
    ("（株）{}", 4),
    ("合同会社{}", 3),
]

# Region -> (weight, phone formats, first three digits of postal codes).
REGIONS = {
    "関東": (
        50,
        ["03-{4}-{4}", "045-{3}-{4}", "048-{3}-{4}"],
        ["100", "103", "105", "150", "160", "220", "330"],
    ),
    "関西": (20, ["06-{4}-{4}", "075-{3}-{4}", "078-{3}-{4}"], ["530", "541", "550", "600", "650"]),
    "中部": (12, ["052-{3}-{4}", "054-{3}-{4}"], ["450", "460", "464", "420"]),
    "九州": (10, ["092-{3}-{4}", "096-{3}-{4}"], ["810", "812", "860"]),
    "その他": (8, ["011-{3}-{4}", "022-{3}-{4}", "082-{3}-{4}"], ["060", "980", "730"]),
}
MOBILE_PREFIXES = ["090", "080", "070"]
# A company's corporate number is a check digit followed by its 12-digit
# 会社法人等番号: registry office code (0100-5000), organisation code (01 株式会社,
# 03 合同会社 among others) and a serial number. These office codes are a plausible
# mix, not a checked list.
REGISTRY_OFFICES = ["0104", "0107", "0109", "0110", "0111", "0113", "1200", "1201", "1800", "2900"]

SURNAMES = [
    ("田中", "tanaka"), ("山田", "yamada"), ("松本", "matsumoto"), ("井上", "inoue"),
    ("木村", "kimura"), ("林", "hayashi"), ("清水", "shimizu"), ("山崎", "yamazaki"),
    ("森", "mori"), ("池田", "ikeda"), ("橋本", "hashimoto"), ("阿部", "abe"),
    ("石川", "ishikawa"), ("山下", "yamashita"), ("中島", "nakajima"), ("小川", "ogawa"),
    ("前田", "maeda"), ("岡本", "okamoto"), ("長谷川", "hasegawa"), ("藤田", "fujita"),
]  # fmt: skip
GIVEN_NAMES = [
    ("一郎", "ichiro"), ("陽子", "yoko"), ("健太", "kenta"), ("真由美", "mayumi"),
    ("誠", "makoto"), ("恵", "megumi"), ("大輝", "daiki"), ("由美", "yumi"),
    ("亮", "ryo"), ("香織", "kaori"), ("修", "osamu"), ("千尋", "chihiro"),
    ("翼", "tsubasa"), ("奈々", "nana"), ("浩二", "koji"), ("麻衣", "mai"),
]  # fmt: skip

# Monthly list prices in yen, by company size.
PLANS = {
    "small": [("求人掲載ライト", 50_000), ("採用管理スタンダード", 100_000)],
    "medium": [("採用管理スタンダード", 100_000), ("採用管理プロ", 200_000)],
    "large": [("採用管理プロ", 200_000), ("採用管理エンタープライズ", 500_000)],
}
PARTNER_PLANS = ["販売パートナー契約", "紹介パートナー契約", "リセラー契約"]
NEXT_ACTIONS = {
    "onboarding": ["キックオフ実施", "初期設定サポート", "管理者トレーニング", "求人票移行の確認"],
    "adoption": ["定例ミーティング", "活用状況レビュー", "追加ユーザー研修", "QBR準備"],
    "renewal_proposal": ["更新見積提出", "決裁者との面談", "契約書送付", "増席提案"],
    "renewed": ["次年度キックオフ", "QBR準備", "新機能の案内"],
    "candidate": ["パートナー面談", "条件すり合わせ", "NDA締結"],
    "contracted": ["販売研修", "キックオフ実施", "共同提案資料の作成"],
    "ramp_up": ["初回案件の同行", "販売研修フォロー", "共同セミナー企画"],
    "active": ["案件共有会", "四半期レビュー", "共同セミナー企画"],
    "dormant": ["再活性化の打診"],
}
CHURN_REASONS = ["予算削減", "競合サービスへ移行", "採用計画の凍結", "社内体制の変更", "機能不足"]
MEMOS = [
    "請求書払い希望",
    "決裁者は人事部長",
    "要フォロー",
    "年度末に増席検討",
    "担当者交代あり",
    "導入事例の候補",
]

FULL_WIDTH = str.maketrans("0123456789,", "０１２３４５６７８９，")


@dataclass(frozen=True)
class Company:
    name: str  # as written in the sheet, with its legal form
    short: str  # without the legal form
    slug: str  # DNS label of the company's (reserved example) domain
    industry: str  # option value
    size: str  # option value
    region: str  # label
    corporate_number: str
    zip: str  # seven digits


@dataclass
class Deal:
    pipeline: str  # pipeline id
    stage: str  # stage id
    values: dict[str, Any] = field(default_factory=dict)  # property name -> typed value


@dataclass(frozen=True)
class Exact:
    """A cell value written as is, bypassing the format variety of ``render_cell``."""

    value: Any


@dataclass
class Fault:
    index: int  # position in the deal list
    prop: str
    code: str
    note: str | None = None


def corporate_check_digit(base: str) -> int:
    """Return the check digit of a 12-digit corporate number base (法人番号).

    With P1..P12 the base digits counted from the right and weights 1 for odd
    and 2 for even positions, the check digit is 9 - (sum mod 9). The check
    digit comes first in the 13-digit number.
    """
    total = sum(
        int(digit) * (1 if position % 2 else 2) for position, digit in enumerate(reversed(base), 1)
    )
    return 9 - total % 9


def make_corporate_number(rng: random.Random, used: set[str], company_name: str) -> str:
    organisation = "03" if "合同会社" in company_name else "01"
    while True:
        base = f"{rng.choice(REGISTRY_OFFICES)}{organisation}{rng.randrange(1_000_000):06d}"
        number = f"{corporate_check_digit(base)}{base}"
        if number not in used:
            used.add(number)
            return number


def days_ago(days: int) -> dt.date:
    return AS_OF - dt.timedelta(days=days)


def days_ahead(days: int) -> dt.date:
    return AS_OF + dt.timedelta(days=days)


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def weighted_choice(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    items, weights = zip(*weighted, strict=True)
    return rng.choices(items, weights=weights)[0]


def make_companies(rng: random.Random, count: int, industries: list[str]) -> list[Company]:
    """Return ``count`` distinct companies whose industries are drawn from ``industries``."""
    combos = [
        (prefix, core, industry)
        for prefix in NAME_PREFIXES
        for industry in industries
        for core in NAME_CORES[industry]
    ]
    companies = []
    for (prefix, prefix_roman), (core, core_roman), industry in rng.sample(combos, count):
        short = prefix + core
        region = weighted_choice(rng, [(name, spec[0]) for name, spec in REGIONS.items()])
        zip_head = rng.choice(REGIONS[region][2])
        companies.append(
            Company(
                name=weighted_choice(rng, LEGAL_FORMS).format(short),
                short=short,
                slug=f"{prefix_roman}-{core_roman}",
                industry=industry,
                size=weighted_choice(rng, [("small", 35), ("medium", 45), ("large", 20)]),
                region=region,
                corporate_number="",  # set by make_all_companies, which tracks the numbers in use
                zip=f"{zip_head}{rng.randrange(10_000):04d}",
            )
        )
    return companies


def make_all_companies(rng: random.Random) -> tuple[list[Company], list[Company]]:
    """Return (CS customers, PS partners), all with distinct names, slugs and numbers."""
    partner_count = sum(PS_STAGE_COUNTS.values())
    customer_count = sum(CS_STAGE_COUNTS.values())
    partners = make_companies(rng, partner_count, ["staffing", "it"])
    partner_names = {company.short for company in partners}
    customers = [
        company
        for company in make_companies(rng, customer_count + partner_count, list(NAME_CORES))
        if company.short not in partner_names
    ][:customer_count]
    used_numbers: set[str] = set()
    numbered = [
        dataclasses.replace(
            company, corporate_number=make_corporate_number(rng, used_numbers, company.name)
        )
        for company in customers + partners
    ]
    return numbered[:customer_count], numbered[customer_count:]


def make_phone(rng: random.Random, region: str) -> str:
    if rng.random() < 0.2:
        pattern = rng.choice(MOBILE_PREFIXES) + "-{4}-{4}"
    else:
        pattern = rng.choice(REGIONS[region][1])
    # Every digit group after the prefix starts with 2-9, which keeps clear of
    # the 0 trunk prefix and the 1xx service numbers.
    return re.sub(
        r"\{(\d)\}",
        lambda match: (
            str(rng.randrange(2, 10))
            + "".join(str(rng.randrange(10)) for _ in range(int(match.group(1)) - 1))
        ),
        pattern,
    )


def make_contact(rng: random.Random, company: Company, deal: Deal) -> None:
    if rng.random() < 0.05:
        return
    surname, surname_roman = rng.choice(SURNAMES)
    given_name, given_roman = rng.choice(GIVEN_NAMES)
    deal.values["contact_name"] = f"{surname} {given_name}"
    local = rng.choice(
        [
            surname_roman,
            f"{given_roman}.{surname_roman}",
            f"{given_roman[0]}-{surname_roman}",
            f"{surname_roman}.{given_roman[0]}",
        ]
    )
    if rng.random() < 0.05:
        local = local.capitalize()
    deal.values["email"] = f"{local}@{company.slug}.example.co.jp"
    deal.values["phone"] = make_phone(rng, company.region)


def fill_company(rng: random.Random, company: Company, deal: Deal) -> None:
    values = deal.values
    values["company_name"] = company.name
    if rng.random() < 0.9:
        values["corporate_number"] = company.corporate_number
    if rng.random() < 0.93:
        values["industry"] = company.industry
    if rng.random() < 0.9:
        values["company_size"] = company.size
    values["region"] = company.region
    if rng.random() < 0.85:
        values["zip"] = company.zip
    if rng.random() < 0.9:
        domain = f"{company.slug}.example.co.jp"
        values["domain"] = f"https://www.{domain}/" if rng.random() < 0.2 else domain
    make_contact(rng, company, deal)
    if rng.random() < 0.15:
        values["memo"] = rng.choice(MEMOS)


def set_usage(rng: random.Random, values: dict[str, Any], satisfaction: int) -> None:
    """Fill usage status and rate so that they agree with each other and roughly with satisfaction."""
    status = {1: "unused", 2: "low", 3: "normal"}.get(satisfaction, "active")
    if rng.random() < 0.25:
        status = rng.choice(["active", "normal", "low"])
    low, high = {
        "active": (0.7, 0.98),
        "normal": (0.4, 0.7),
        "low": (0.1, 0.4),
        "unused": (0.0, 0.1),
    }[status]
    values["usage_status"] = status
    values["usage_rate"] = round(rng.uniform(low, high), 2)


def make_cs_deal(rng: random.Random, stage: str, company: Company, partners: list[Company]) -> Deal:
    """Return a CS deal in ``stage`` that has no finding as of AS_OF.

    Its dates stay well inside the stage's max_days and contact_every_days in
    design.yaml, and open deals have future close and next-action dates.
    """
    deal = Deal("cs", stage)
    values = deal.values
    plan, monthly = rng.choice(PLANS[company.size])
    values["dealname"] = f"{company.short} {plan}"
    values["hubspot_owner_id"] = rng.choice(CS_OWNERS)
    fill_company(rng, company, deal)
    channel = weighted_choice(rng, [("direct", 50), ("inbound", 30), ("partner", 20)])
    values["channel"] = channel
    if channel == "partner":
        values["partner_company"] = rng.choice(partners).short
    extra = rng.choice([0, 0, 0, 120_000, 240_000, 360_000])
    values["amount"] = int(round((monthly * 12 + extra) * rng.choice([1, 1, 0.95, 0.9]), -4))

    satisfaction = weighted_choice(rng, [(2, 1), (3, 3), (4, 5), (5, 3)])
    if stage == "onboarding":
        entered = days_ago(rng.randint(1, 40))
        values["contract_start_date"] = entered - dt.timedelta(days=rng.randint(0, 5))
        values["last_contact_date"] = days_ago(rng.randint(0, 6))
        if rng.random() < 0.7:
            values["next_action_date"] = days_ahead(rng.randint(1, 21))
        if rng.random() < 0.4:
            values["cs_satisfaction"] = satisfaction
            set_usage(rng, values, satisfaction)
    elif stage == "adoption":
        entered = days_ago(rng.randint(5, 110))
        values["contract_start_date"] = entered - dt.timedelta(days=rng.randint(30, 60))
        values["last_contact_date"] = days_ago(rng.randint(0, 12))
        if rng.random() < 0.6:
            values["next_action_date"] = days_ahead(rng.randint(1, 30))
        values["cs_satisfaction"] = satisfaction
        set_usage(rng, values, satisfaction)
        if rng.random() < 0.5:
            values["renewal_intent"] = rng.random() < 0.8
    elif stage == "renewal_proposal":
        values["closedate"] = days_ahead(rng.randint(5, 120))
        values["contract_start_date"] = add_years(values["closedate"], -1)
        entered = days_ago(rng.randint(1, 50))
        values["last_contact_date"] = days_ago(rng.randint(0, 6))
        values["next_action_date"] = days_ahead(rng.randint(1, 14))
        values["cs_satisfaction"] = satisfaction
        set_usage(rng, values, satisfaction)
        if rng.random() < 0.85:
            values["renewal_intent"] = rng.random() < 0.75
    elif stage == "renewed":
        values["closedate"] = days_ago(rng.randint(5, 330))
        values["contract_start_date"] = add_years(values["closedate"], -1)
        entered = values["closedate"] - dt.timedelta(days=rng.randint(0, 14))
        values["last_contact_date"] = min(
            AS_OF, values["closedate"] + dt.timedelta(days=rng.randint(0, 60))
        )
        # Closed stages inherit the open stages' requirements, next_action_date included.
        values["next_action_date"] = days_ahead(rng.randint(3, 60))
        values["cs_satisfaction"] = max(satisfaction, 3)
        set_usage(rng, values, values["cs_satisfaction"])
        values["renewal_intent"] = True
    else:  # churned
        values["closedate"] = days_ago(rng.randint(10, 330))
        values["contract_start_date"] = add_years(values["closedate"], -1)
        entered = values["closedate"] - dt.timedelta(days=rng.randint(0, 30))
        values["last_contact_date"] = entered
        values["churn_reason"] = rng.choice(CHURN_REASONS)
        values["cs_satisfaction"] = rng.choice([1, 2, 2])
        set_usage(rng, values, values["cs_satisfaction"])
        values["renewal_intent"] = False
    if stage == "onboarding" or stage == "adoption":
        values["closedate"] = add_years(values["contract_start_date"], 1)
    values["stage_entered_date"] = entered
    if "next_action_date" in values:
        values["next_action"] = rng.choice(NEXT_ACTIONS[stage])
    return deal


def make_ps_deal(rng: random.Random, stage: str, company: Company) -> Deal:
    """Return a PS deal in ``stage`` that has no finding as of AS_OF (see make_cs_deal)."""
    deal = Deal("ps", stage)
    values = deal.values
    values["dealname"] = f"{company.short} {rng.choice(PARTNER_PLANS)}"
    values["hubspot_owner_id"] = rng.choice(PS_OWNERS)
    fill_company(rng, company, deal)
    values["partner_company"] = company.short
    if rng.random() < 0.6:
        values["channel"] = rng.choice(["direct", "inbound"])
    if stage != "candidate":
        values["amount"] = rng.choice([300_000, 600_000, 1_200_000, 1_800_000])

    if stage == "candidate":
        entered = days_ago(rng.randint(1, 50))
        values["last_contact_date"] = days_ago(rng.randint(0, 25))
        if rng.random() < 0.5:
            values["next_action_date"] = days_ahead(rng.randint(1, 30))
    elif stage == "contracted":
        entered = days_ago(rng.randint(1, 25))
        values["contract_start_date"] = entered - dt.timedelta(days=rng.randint(0, 5))
        values["last_contact_date"] = days_ago(rng.randint(0, 12))
        if rng.random() < 0.6:
            values["next_action_date"] = days_ahead(rng.randint(1, 21))
    elif stage == "ramp_up":
        entered = days_ago(rng.randint(1, 80))
        values["contract_start_date"] = entered - dt.timedelta(days=rng.randint(10, 30))
        values["last_contact_date"] = days_ago(rng.randint(0, 12))
        values["next_action_date"] = days_ahead(rng.randint(1, 21))
    elif stage == "active":
        entered = days_ago(rng.randint(30, 400))
        values["contract_start_date"] = entered - dt.timedelta(days=rng.randint(60, 120))
        values["last_contact_date"] = days_ago(rng.randint(0, 25))
        values["next_action_date"] = days_ahead(rng.randint(1, 45))
        if rng.random() < 0.6:
            satisfaction = weighted_choice(rng, [(3, 3), (4, 5), (5, 3)])
            values["cs_satisfaction"] = satisfaction
            set_usage(rng, values, satisfaction)
    else:  # dormant
        entered = days_ago(rng.randint(30, 300))
        values["contract_start_date"] = entered - dt.timedelta(days=rng.randint(120, 300))
        values["last_contact_date"] = entered
        values["next_action_date"] = days_ahead(rng.randint(14, 90))
    values["stage_entered_date"] = entered
    if "next_action_date" in values:
        values["next_action"] = rng.choice(NEXT_ACTIONS[stage])
    return deal


def make_deals(rng: random.Random) -> list[Deal]:
    """Return every deal in sheet order, with ``deal_id`` numbered from 1001."""
    customers, partners = make_all_companies(rng)
    ps_deals = []
    partner_iter = iter(partners)
    for stage, count in PS_STAGE_COUNTS.items():
        ps_deals += [make_ps_deal(rng, stage, next(partner_iter)) for _ in range(count)]
    # A CS deal won through a partner names a partner in 立ち上げ or 稼働中.
    selling = [
        company
        for company, deal in zip(partners, ps_deals, strict=True)
        if deal.stage in {"ramp_up", "active"}
    ]
    cs_deals = []
    customer_iter = iter(customers)
    for stage, count in CS_STAGE_COUNTS.items():
        cs_deals += [make_cs_deal(rng, stage, next(customer_iter), selling) for _ in range(count)]

    deals = cs_deals + ps_deals
    rng.shuffle(deals)
    for position, deal in enumerate(deals):
        deal.values["deal_id"] = 1001 + position
        deal.values["pipeline"] = deal.pipeline
        deal.values["dealstage"] = deal.stage
    return deals


class FaultInjector:
    """Injector of deliberate faults, which puts each fault on a row that has no other."""

    def __init__(self, rng: random.Random, deals: list[Deal]):
        self.rng = rng
        self.deals = deals
        self.used: set[int] = set()
        self.faults: list[Fault] = []
        self.conditional: list[Fault] = []  # faults that examples/design.yaml does not detect

    def pick(self, stages: set[str], condition: Callable[[Deal], bool] = lambda deal: True) -> int:
        """Choose a row in one of ``stages`` that no fault uses yet, and mark it used."""
        candidates = [
            index
            for index, deal in enumerate(self.deals)
            if index not in self.used and deal.stage in stages and condition(deal)
        ]
        index = self.rng.choice(candidates)
        self.used.add(index)
        return index

    def inject(
        self,
        stages: set[str],
        prop: str,
        value: Any,
        code: str,
        note: str | None = None,
        condition: Callable[[Deal], bool] = lambda deal: True,
    ) -> int:
        """Set ``prop`` of a picked row to ``value`` (None empties the cell) and record the fault."""
        index = self.pick(stages, condition)
        if value is None:
            self.deals[index].values.pop(prop, None)
        else:
            self.deals[index].values[prop] = value
        self.faults.append(Fault(index, prop, code, note))
        return index


def has(prop: str) -> Callable[[Deal], bool]:
    return lambda deal: prop in deal.values


def inject_faults(rng: random.Random, deals: list[Deal]) -> FaultInjector:
    """Inject at least two faults for every row-level finding code but score_dropped.

    score_dropped needs an earlier run, and duplicate_record a design change
    (see inject_duplicate_records).

    Most faults go to a property the row's stage does not require, so that
    each row has one finding. The exceptions carry a note in the manifest.
    """
    injector = FaultInjector(rng, deals)
    cs_open = {"onboarding", "adoption", "renewal_proposal"}
    ps_open = {"candidate", "contracted", "ramp_up", "active"}
    set_fault = injector.inject

    set_fault({"adoption"}, "dealname", None, "missing_required")
    set_fault({"active"}, "dealname", None, "missing_required")
    set_fault({"renewal_proposal"}, "hubspot_owner_id", None, "missing_required")

    set_fault({"candidate"}, "amount", Exact("未定"), "invalid_number")
    set_fault({"onboarding"}, "cs_satisfaction", Exact("とても良い"), "invalid_number")
    set_fault({"contracted"}, "amount", Exact("要相談"), "invalid_number")

    set_fault({"onboarding"}, "next_action_date", Exact("来月"), "invalid_date")
    set_fault({"candidate"}, "contract_start_date", Exact("2026/2/30"), "invalid_date")
    set_fault({"adoption"}, "next_action_date", Exact("12月中旬"), "invalid_date")

    set_fault(cs_open, "email", Exact("tanaka@example"), "invalid_email", condition=has("email"))
    set_fault(
        ps_open,
        "email",
        Exact("ｍａｉｌ＠＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ"),
        "invalid_email",
        condition=has("email"),
    )

    set_fault(cs_open, "phone", Exact("03-1234"), "invalid_phone", condition=has("phone"))
    set_fault(ps_open, "phone", Exact("090-1234-567"), "invalid_phone", condition=has("phone"))

    set_fault(cs_open, "domain", Exact("http://"), "invalid_url", condition=has("domain"))
    set_fault(ps_open, "domain", Exact("https://"), "invalid_url", condition=has("domain"))

    set_fault(
        {"onboarding"},
        "usage_status",
        Exact("活用中です"),
        "invalid_option",
        "closest option: 活発 (alias 活用中)",
    )
    set_fault(cs_open, "industry", Exact("製造行"), "invalid_option", "closest option: 製造")
    set_fault(
        {"active"}, "company_size", Exact("50~299名"), "invalid_option", "closest option: 50-299名"
    )

    set_fault({"adoption"}, "dealstage", Exact("検討中"), "unknown_stage")
    set_fault({"ramp_up"}, "dealstage", Exact("準備中"), "unknown_stage")

    set_fault({"adoption"}, "pipeline", Exact("営業"), "unknown_pipeline")
    set_fault({"active"}, "pipeline", Exact("セールス"), "unknown_pipeline")

    set_fault({"renewal_proposal"}, "closedate", None, "stage_requirement")
    set_fault({"renewal_proposal"}, "closedate", None, "stage_requirement")
    set_fault({"churned"}, "churn_reason", None, "stage_requirement")

    set_fault({"onboarding"}, "stage_entered_date", days_ago(95), "stale_in_stage", "max_days 45")
    set_fault({"adoption"}, "stage_entered_date", days_ago(190), "stale_in_stage", "max_days 120")
    set_fault({"contracted"}, "stage_entered_date", days_ago(75), "stale_in_stage", "max_days 30")

    set_fault(
        {"adoption"}, "last_contact_date", days_ago(48), "contact_overdue", "contact_every_days 14"
    )
    set_fault(
        {"renewal_proposal"},
        "last_contact_date",
        days_ago(21),
        "contact_overdue",
        "contact_every_days 7",
    )
    set_fault(
        {"active"}, "last_contact_date", days_ago(84), "contact_overdue", "contact_every_days 30"
    )

    set_fault(
        {"adoption"},
        "next_action_date",
        days_ago(19),
        "next_step_overdue",
        condition=has("next_action_date"),
    )
    set_fault({"ramp_up"}, "next_action_date", days_ago(12), "next_step_overdue")

    set_fault({"renewal_proposal"}, "closedate", days_ago(9), "close_date_passed")
    set_fault({"renewal_proposal"}, "closedate", days_ago(40), "close_date_passed")

    set_fault({"renewed"}, "amount", 0, "inconsistent", "closed won with amount 0")
    set_fault({"renewed"}, "amount", Exact("0円"), "inconsistent", "closed won with amount 0")
    index = set_fault({"renewed"}, "amount", None, "inconsistent", "closed won with no amount")
    injector.faults.append(
        Fault(
            index,
            "amount",
            "stage_requirement",
            "the same empty cell; amount is required in 更新済み",
        )
    )

    for _ in range(2):
        first = injector.pick(cs_open | ps_open)
        second = injector.pick(cs_open | ps_open)
        deal_id = deals[first].values["deal_id"]
        deals[second].values["deal_id"] = deal_id
        for index in (first, second):
            injector.faults.append(
                Fault(index, "deal_id", "duplicate_key", f"案件ID {deal_id} is on two rows")
            )

    inject_duplicate_records(injector)

    set_fault({"adoption"}, "industry", Exact("#N/A"), "formula_error")
    set_fault(cs_open, "usage_rate", Exact("#DIV/0!"), "formula_error", condition=has("usage_rate"))
    set_fault({"onboarding"}, "cs_satisfaction", Exact("#REF!"), "formula_error")

    set_fault({"adoption"}, "cs_satisfaction", 7, "out_of_range", "min 1, max 5")
    set_fault({"adoption"}, "usage_rate", Exact("120%"), "out_of_range", "min 0, max 1")
    set_fault({"active"}, "amount", -120_000, "out_of_range", "min 0")

    set_fault(cs_open, "zip", Exact("〒150-000"), "invalid_postal_code", condition=has("zip"))
    set_fault(ps_open, "zip", Exact("1234-567"), "invalid_postal_code", condition=has("zip"))

    for stages in (cs_open, ps_open):
        index = injector.pick(stages, condition=has("corporate_number"))
        number = deals[index].values["corporate_number"]
        wrong = (int(number[0]) % 9) + 1  # another digit from 1 to 9
        deals[index].values["corporate_number"] = Exact(f"{wrong}{number[1:]}")
        injector.faults.append(
            Fault(index, "corporate_number", "invalid_corporate_number", "wrong check digit")
        )
    index = injector.pick(cs_open, condition=has("corporate_number"))
    deals[index].values["corporate_number"] = Exact(deals[index].values["corporate_number"][1:])
    injector.faults.append(
        Fault(index, "corporate_number", "invalid_corporate_number", "12 digits")
    )

    set_fault({"adoption", "renewal_proposal"}, "renewal_intent", Exact("たぶん"), "invalid_bool")
    set_fault({"adoption", "renewal_proposal"}, "renewal_intent", Exact("微妙"), "invalid_bool")
    return injector


def inject_duplicate_records(injector: FaultInjector) -> None:
    """Enter two customers twice, under another 案件ID and another spelling of the name.

    Each copy repeats the original row but for 案件ID and 会社名, so they share
    the 法人番号. That is a duplicate_record finding only if the design marks
    corporate_number unique, and examples/design.yaml marks only deal_id unique,
    so these faults go to the manifest's conditional list.
    """
    deals = injector.deals
    for pair in range(2):
        original = injector.pick({"adoption"}, condition=is_kabushiki_with_number)
        copy = injector.pick({"adoption"})
        values = deals[original].values
        if pair == 0:
            # An ASCII name, so that the copy differs in character width too.
            slug = "abc-learning"
            values["company_name"] = "株式会社ABCラーニング"
            values["dealname"] = "ABCラーニング 採用管理プロ"
            values["domain"] = f"{slug}.example.co.jp"
            if "industry" in values:
                values["industry"] = "it"
            if "email" in values:
                values["email"] = values["email"].split("@")[0] + f"@{slug}.example.co.jp"
            copy_name = "ＡＢＣラーニング（株）"
            copy_number: Any = values["corporate_number"]
        else:
            short = strip_legal_form(values["company_name"])
            if values["company_name"].startswith("株式会社"):
                copy_name = "(株)" + short
            else:
                copy_name = "株式会社" + short
            copy_number = Exact(int(values["corporate_number"]))  # a number cell, not text
        copy_values = {
            **values,
            "deal_id": deals[copy].values["deal_id"],
            "company_name": copy_name,
            "corporate_number": copy_number,
        }
        deals[copy] = Deal(deals[original].pipeline, deals[original].stage, copy_values)
        note = "same 法人番号 as 案件ID {}; a finding only when corporate_number is unique: true"
        for index, other in ((original, copy), (copy, original)):
            other_id = deals[other].values["deal_id"]
            injector.conditional.append(
                Fault(index, "corporate_number", "duplicate_record", note.format(other_id))
            )


def is_kabushiki_with_number(deal: Deal) -> bool:
    """Return whether the deal's company is a 株式会社 and its 法人番号 is filled in."""
    return "corporate_number" in deal.values and "合同会社" not in deal.values["company_name"]


def strip_legal_form(name: str) -> str:
    return re.sub(r"^(株式会社|合同会社|\(株\)|（株）)|株式会社$", "", name)


def add_quirks(injector: FaultInjector) -> list[Fault]:
    """Add values that look odd but are valid after normalisation; return where they are."""
    quirks = []

    def quirk(stages: set[str], prop: str, change: Callable[[Any], Any], note: str) -> None:
        index = injector.pick(stages, condition=has(prop))
        values = injector.deals[index].values
        values[prop] = Exact(change(values[prop]))
        quirks.append(Fault(index, prop, "none", note))

    quirk({"adoption"}, "deal_id", lambda _: "0123", "text key with a leading zero; must stay 0123")
    quirk({"adoption"}, "dealstage", lambda _: "活用促進 ", "trailing space")
    quirk({"renewal_proposal"}, "hubspot_owner_id", lambda owner: owner + "  ", "trailing spaces")
    quirk({"onboarding"}, "company_name", lambda name: f"\u3000{name}\u3000", "padded with U+3000")
    quirk(
        {"active"}, "contact_name", lambda name: name.replace(" ", "\u3000"), "U+3000 between names"
    )
    return quirks


def render_date(rng: random.Random, day: dt.date) -> tuple[Any, str | None]:
    if rng.random() < 0.85:
        return dt.datetime(day.year, day.month, day.day), "yyyy/m/d"
    reiwa = day.year - 2018  # 令和1 is 2019
    text = rng.choice(
        [
            f"{day.year}/{day.month}/{day.day}",
            f"{day.year}年{day.month}月{day.day}日",
            f"令和{reiwa}年{day.month}月{day.day}日",
            f"R{reiwa}.{day.month}.{day.day}",
        ]
    )
    return text, None


def render_amount(rng: random.Random, amount: int) -> tuple[Any, str | None]:
    if rng.random() < 0.85:
        return amount, "#,##0"
    forms = [f"¥{amount:,}", f"{amount:,}".translate(FULL_WIDTH), f"{amount:,}円"]
    if amount % 10_000 == 0:
        forms.append(f"{amount // 10_000}万円")
    return rng.choice(forms), None


def render_cell(rng: random.Random, prop: str, value: Any) -> tuple[Any, str | None]:
    """Return (cell value, number format) for a typed value, in one of the forms teams type."""
    if isinstance(value, Exact):
        if prop == "corporate_number" and isinstance(value.value, int):
            return value.value, "0"
        if prop == "deal_id" and isinstance(value.value, str):
            return value.value, "@"  # a text cell, as Excel makes it for a column formatted as text
        return value.value, None

    if prop in DATE_PROPERTIES:
        return render_date(rng, value)
    if prop == "amount":
        return render_amount(rng, int(value))

    if prop == "pipeline":
        label, alias = PIPELINE_TEXT[value]
        return (alias if rng.random() < 0.15 else label), None
    if prop == "dealstage":
        label, alias = STAGE_TEXT[value]
        return (alias if alias and rng.random() < 0.05 else label), None
    if prop in OPTION_TEXT:
        label, alias = OPTION_TEXT[prop][value]
        return (alias if alias and rng.random() < 0.1 else label), None
    if prop == "channel":
        return CHANNEL_TEXT[value], None

    if prop == "zip":
        return rng.choice([f"〒{value[:3]}-{value[3:]}", f"{value[:3]}-{value[3:]}", value]), None
    if prop == "corporate_number":
        return (int(value), "0") if rng.random() < 0.25 else (value, "@")
    if prop == "cs_satisfaction":
        return (str(value).translate(FULL_WIDTH) if rng.random() < 0.05 else value), None
    if prop == "usage_rate":
        return (f"{round(value * 100)}%", None) if rng.random() < 0.2 else (value, "0%")
    if prop == "renewal_intent":
        if rng.random() < 0.1:
            return value, None
        return rng.choice(["はい", "○"] if value else ["いいえ", "×"]), None
    return value, None


# Data positions before which the sheet has a row with no data: two empty
# rows and one holding only spaces, all of which a reader must skip.
FILLER_ROWS = {70: "empty", 105: "spaces", 140: "empty"}
SPACE_CELLS = {2: " ", 4: "\u3000", 6: " \u3000 "}  # column number -> value


def sheet_row(index: int) -> int:
    """Return the sheet row number of the deal at ``index`` (the header is row 1)."""
    return 2 + index + sum(1 for position in FILLER_ROWS if position <= index)


def build_workbook(
    rng: random.Random, deals: list[Deal]
) -> tuple[Workbook, dict[tuple[int, str], Any]]:
    """Return the workbook and every written cell value by (sheet row, property)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = TAB
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for column, (_, header) in enumerate(COLUMNS, 1):
        cell = sheet.cell(row=1, column=column, value=header)
        cell.font = header_font
        cell.fill = header_fill
        sheet.column_dimensions[cell.column_letter].width = 14

    for position, kind in FILLER_ROWS.items():
        if kind == "spaces":
            row = sheet_row(position) - 1
            for column, value in SPACE_CELLS.items():
                sheet.cell(row=row, column=column, value=value)

    written: dict[tuple[int, str], Any] = {}
    for index, deal in enumerate(deals):
        row = sheet_row(index)
        for column, (prop, _) in enumerate(COLUMNS, 1):
            if prop not in deal.values:
                continue
            value, number_format = render_cell(rng, prop, deal.values[prop])
            cell = sheet.cell(row=row, column=column, value=value)
            if number_format:
                cell.number_format = number_format
            written[(row, prop)] = value

    sheet.freeze_panes = "C2"
    sheet.auto_filter.ref = sheet.dimensions
    workbook.properties.creator = "examples/make_example_sheet.py"
    workbook.properties.created = PINNED_TIME
    return workbook, written


def save_reproducibly(workbook: Workbook, path: Path) -> None:
    """Save ``workbook`` so that the same content always gives the same bytes.

    openpyxl 3.1 stamps docProps/core.xml with the time of saving and zip
    entries with the current time, so both are replaced by PINNED_TIME.
    """
    buffer = io.BytesIO()
    workbook.save(buffer)
    stamp = PINNED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            entry = zipfile.ZipInfo(info.filename, date_time=PINNED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)


def json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return value


def manifest_entries(
    faults: list[Fault], written: dict[tuple[int, str], Any]
) -> list[dict[str, Any]]:
    entries = []
    for fault in sorted(faults, key=lambda fault: (sheet_row(fault.index), fault.prop, fault.code)):
        row = sheet_row(fault.index)
        entry = {"row": row, "column": HEADERS[fault.prop], "code": fault.code}
        entry["value"] = json_value(written.get((row, fault.prop)))
        if fault.note:
            entry["note"] = fault.note
        entries.append(entry)
    return entries


def build_manifest(
    injector: FaultInjector, quirks: list[Fault], written: dict[tuple[int, str], Any]
) -> dict[str, Any]:
    quirk_entries = manifest_entries(quirks, written)
    for entry in quirk_entries:
        del entry["code"]
    return {
        "workbook": XLSX_PATH.name,
        "sheet": TAB,
        "design": "design.yaml",
        "as_of": AS_OF.isoformat(),
        "seed": SEED,
        "faults": manifest_entries(injector.faults, written),
        "conditional_faults": manifest_entries(injector.conditional, written),
        "valid_oddities": quirk_entries,
        "rows_without_data": [
            {"row": sheet_row(position) - 1, "kind": kind}
            for position, kind in sorted(FILLER_ROWS.items())
        ],
    }


def main() -> None:
    assert corporate_check_digit("000012050002") == 7  # 国税庁's corporate number is 7000012050002
    rng = random.Random(SEED)
    deals = make_deals(rng)
    injector = inject_faults(rng, deals)
    quirks = add_quirks(injector)
    workbook, written = build_workbook(rng, deals)
    save_reproducibly(workbook, XLSX_PATH)
    manifest = build_manifest(injector, quirks, written)
    MANIFEST_PATH.write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print(
        f"wrote {XLSX_PATH.name}: {len(deals)} deals, {len(manifest['faults'])} faults; {MANIFEST_PATH.name}"
    )


if __name__ == "__main__":
    main()
