"""HubSpotClient against the fake HubSpot: batching, 207 splitting, retries, limits, secrets."""

from __future__ import annotations

import logging

import pytest
import requests

from sync.errors import (
    DailyLimitReached,
    HubSpotAuthError,
    HubSpotUnavailable,
)
from sync.hubspot import HubSpotClient, RateLimiter, RetryPolicy, UpsertInput
from tests.fakes.hubspot import TOKEN, FakeClock, FakeHubSpot

NO_JITTER = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=8.0, jitter=0.0)


def make_client(fake: FakeHubSpot, clock: FakeClock | None = None, **kwargs) -> HubSpotClient:
    clock = clock or FakeClock()
    kwargs.setdefault("retry", NO_JITTER)
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    return HubSpotClient(TOKEN, base_url=fake.url, sleep=clock.sleep, limiter=limiter, **kwargs)


def deal_inputs(count: int, prefix: str = "row") -> list[UpsertInput]:
    return [
        UpsertInput(
            id=f"{prefix}-{n}", properties={"dealname": f"案件 {n}"}, trace_id=f"{prefix}-{n}"
        )
        for n in range(count)
    ]


def upsert_calls(fake: FakeHubSpot) -> list:
    return [r for r in fake.calls("POST", "/batch/upsert") if r.status != 0]


def test_upsert_splits_250_inputs_into_three_calls(fake_hubspot):
    client = make_client(fake_hubspot)

    result = client.batch_upsert("deals", deal_inputs(250), id_property="bridge_row_key")

    sizes = [len(r.body["inputs"]) for r in upsert_calls(fake_hubspot)]
    assert sizes == [100, 100, 50]
    assert result.requests == 3
    assert len(result.results) == 250
    assert len(fake_hubspot.records["deals"]) == 250
    assert result.ok


def test_upsert_uses_date_based_path_and_trace_ids(fake_hubspot):
    client = make_client(fake_hubspot)

    client.batch_upsert("deal", deal_inputs(2), id_property="bridge_row_key")

    call = upsert_calls(fake_hubspot)[0]
    assert call.path == "/crm/objects/2026-03/deals/batch/upsert"
    assert [item["objectWriteTraceId"] for item in call.body["inputs"]] == ["row-0", "row-1"]
    assert {item["idProperty"] for item in call.body["inputs"]} == {"bridge_row_key"}


def test_upsert_v3_paths_selectable(fake_hubspot):
    client = make_client(fake_hubspot, api_version="v3")

    client.batch_upsert("deals", deal_inputs(1), id_property="bridge_row_key")

    assert upsert_calls(fake_hubspot)[0].path == "/crm/v3/objects/deals/batch/upsert"


def test_second_upsert_updates_instead_of_duplicating(fake_hubspot):
    client = make_client(fake_hubspot)
    first = client.batch_upsert("deals", deal_inputs(3), id_property="bridge_row_key")

    changed = [UpsertInput("row-1", {"dealname": "変更後"}, "row-1")]
    second = client.batch_upsert("deals", changed, id_property="bridge_row_key")

    assert len(fake_hubspot.records["deals"]) == 3
    assert second.results["row-1"].hubspot_id == first.results["row-1"].hubspot_id
    assert second.results["row-1"].is_new is False
    assert (
        fake_hubspot.find("deals", "bridge_row_key", "row-1")["properties"]["dealname"] == "変更後"
    )


def test_duplicate_ids_merged_before_sending(fake_hubspot):
    client = make_client(fake_hubspot)
    inputs = [
        UpsertInput("a@example.jp", {"email": "a@example.jp", "firstname": "太郎"}, "row-2"),
        UpsertInput("b@example.jp", {"email": "b@example.jp"}, "row-3"),
        UpsertInput("A@Example.jp", {"email": "A@Example.jp", "lastname": "山田"}, "row-9"),
    ]

    result = client.batch_upsert("contacts", inputs, id_property="email")

    sent = upsert_calls(fake_hubspot)[0].body["inputs"]
    assert len(sent) == 2
    merged = next(item for item in sent if item["objectWriteTraceId"] == "row-2")
    assert merged["properties"]["firstname"] == "太郎"
    assert merged["properties"]["lastname"] == "山田"
    assert result.merged == {"row-9": "row-2"}
    assert result.results["row-9"].hubspot_id == result.results["row-2"].hubspot_id
    assert len(fake_hubspot.records["contacts"]) == 2


def test_207_errors_land_on_their_trace_ids(fake_hubspot):
    fake_hubspot.properties["deals"].append(
        {"name": "channel", "label": "獲得チャネル", "type": "enumeration", "fieldType": "select",
         "groupName": "dealinformation", "options": [{"value": "direct", "label": "直販"}]}
    )  # fmt: skip
    client = make_client(fake_hubspot)
    inputs = deal_inputs(5)
    inputs[1] = UpsertInput("row-1", {"channel": "テレビ"}, "row-1")
    inputs[3] = UpsertInput("row-3", {"closedate": "2024/04/01"}, "row-3")

    result = client.batch_upsert("deals", inputs, id_property="bridge_row_key")

    assert upsert_calls(fake_hubspot)[0].status == 207
    assert set(result.results) == {"row-0", "row-2", "row-4"}
    assert set(result.errors) == {"row-1", "row-3"}
    assert result.errors["row-1"].code == "INVALID_OPTION"
    assert result.errors["row-1"].property_name == "channel"
    assert result.errors["row-3"].code == "INVALID_DATE"
    assert result.errors["row-3"].property_name == "closedate"


def test_one_bad_email_among_100_leaves_99_written(fake_hubspot):
    client = make_client(fake_hubspot)
    inputs = [
        UpsertInput(f"user{n}@example.jp", {"email": f"user{n}@example.jp"}, f"row-{n}")
        for n in range(100)
    ]
    inputs[42] = UpsertInput("user42@", {"email": "user42@"}, "row-42")

    result = client.batch_upsert("contacts", inputs, id_property="email")

    assert len(result.results) == 99
    assert list(result.errors) == ["row-42"]
    assert result.errors["row-42"].code == "INVALID_EMAIL"
    assert len(fake_hubspot.records["contacts"]) == 99


@pytest.mark.parametrize("status", [423, 477, 502, 503, 504])
def test_retriable_status_retried(fake_hubspot, status):
    clock = FakeClock()
    client = make_client(fake_hubspot, clock)
    fake_hubspot.inject(status, count=2)

    result = client.batch_upsert("deals", deal_inputs(1), id_property="bridge_row_key")

    assert result.ok
    assert [r.status for r in fake_hubspot.calls("POST")] == [status, status, 200]
    expected = [2.0, 2.0] if status == 423 else [1.0, 2.0]  # 423 waits at least 2 s
    assert clock.sleeps == expected


def test_ten_second_429_waits_the_interval(fake_hubspot):
    clock = FakeClock()
    client = make_client(fake_hubspot, clock)
    fake_hubspot.inject(429)

    client.get_pipelines("deals")

    assert clock.sleeps == [10.0]


def test_retry_after_honoured(fake_hubspot):
    clock = FakeClock()
    client = make_client(fake_hubspot, clock)
    fake_hubspot.inject(503, retry_after=7)

    client.get_properties("deals")

    assert clock.sleeps == [7.0]


def test_retries_end_with_unavailable(fake_hubspot):
    clock = FakeClock()
    client = make_client(fake_hubspot, clock)
    fake_hubspot.inject(502, count=10)

    with pytest.raises(HubSpotUnavailable) as caught:
        client.get_pipelines("deals")

    assert caught.value.attempts == 4
    assert caught.value.status == 502
    assert len(fake_hubspot.requests) == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]


def test_timeout_retried(fake_hubspot):
    fake_hubspot.hang_seconds = 0.5
    fake_hubspot.inject("hang")
    clock = FakeClock()
    client = make_client(fake_hubspot, clock, timeout=(1.0, 0.1))

    pipelines = client.get_pipelines("deals")

    assert pipelines[0]["id"] == "default"
    assert len(fake_hubspot.requests) == 2
    assert clock.sleeps == [1.0]


def test_daily_limit_stops_at_once(fake_hubspot):
    fake_hubspot.daily_limit = True
    clock = FakeClock()
    client = make_client(fake_hubspot, clock)

    with pytest.raises(DailyLimitReached):
        client.batch_upsert("deals", deal_inputs(3), id_property="bridge_row_key")

    assert len(fake_hubspot.requests) == 1
    assert clock.sleeps == []


def test_400_not_retried_and_filed_per_row(fake_hubspot):
    client = make_client(fake_hubspot)
    inputs = deal_inputs(2)

    # The fake, like HubSpot, rejects a batch that repeats an id; the client
    # merges duplicates, so post one directly through the batch path.
    response = client._call(
        "POST",
        client.paths.objects("deals", "upsert"),
        json={"inputs": [
            {"id": "x", "idProperty": "bridge_row_key", "properties": {}, "objectWriteTraceId": "a"},
            {"id": "x", "idProperty": "bridge_row_key", "properties": {}, "objectWriteTraceId": "b"},
        ]},
        batch=True,
    )  # fmt: skip
    assert response.status_code == 400
    assert len(fake_hubspot.requests) == 1

    fake_hubspot.properties["deals"] = [
        p for p in fake_hubspot.properties["deals"] if p["name"] != "dealname"
    ]
    result = client.batch_upsert("deals", inputs, id_property="bridge_row_key")
    assert set(result.errors) == {"row-0", "row-1"}
    assert result.errors["row-0"].code == "PROPERTY_DOESNT_EXIST"


def test_limiter_keeps_300_requests_under_the_limit(fake_hubspot):
    clock = FakeClock()
    fake_hubspot.clock = clock
    client = make_client(fake_hubspot, clock)

    for _ in range(300):
        client.get_owners()

    assert fake_hubspot.count_429 == 0
    assert len(fake_hubspot.requests) == 300
    # 300 requests at 100 per 10 s need at least two full intervals.
    assert clock() - 1000.0 >= 20.0


def test_limiter_adopts_smaller_limit_from_headers():
    clock = FakeClock()
    fake = FakeHubSpot(clock=clock, max_requests=20, interval=1.0).start()
    try:
        client = make_client(fake, clock)
        for _ in range(300):
            client.get_pipelines("deals")
        assert fake.count_429 == 0
        assert client.limiter.max_requests == 20
        assert client.limiter.interval == 1.0
    finally:
        fake.stop()
    assert not fake.violations


def test_associate_default_accepts_200_and_201(fake_hubspot):
    client = make_client(fake_hubspot)
    deals = client.batch_upsert("deals", deal_inputs(2), id_property="bridge_row_key")
    companies = client.batch_upsert(
        "companies", [UpsertInput("acme.co.jp", {"domain": "acme.co.jp"}, "row-0")], "domain"
    )
    company_id = companies.results["row-0"].hubspot_id
    pairs = [(deals.results[key].hubspot_id, company_id) for key in ("row-0", "row-1")]

    fake_hubspot.association_status = 201
    created = client.associate_default("deal", "company", pairs)
    fake_hubspot.association_status = 200
    again = client.associate_default("deals", "companies", [*pairs, ("999999", company_id)])

    assert created.associated == pairs
    assert again.associated == pairs
    assert list(again.errors) == [("999999", company_id)]
    path = fake_hubspot.calls("POST", "associate")[0].path
    assert path == "/crm/associations/2026-03/deals/companies/batch/associate/default"


def test_batch_read_by_unique_property(fake_hubspot):
    client = make_client(fake_hubspot)
    written = client.batch_upsert("deals", deal_inputs(3), id_property="bridge_row_key")

    found = client.batch_read(
        "deals", ["row-0", "row-2", "missing"], "bridge_row_key", ["dealname"]
    )

    assert set(found) == {"row-0", "row-2"}
    assert found["row-2"].hubspot_id == written.results["row-2"].hubspot_id
    assert found["row-2"].properties["dealname"] == "案件 2"
    assert found["row-2"].properties["hs_lastmodifieddate"]


def test_validation_rules_tolerate_404(fake_hubspot):
    client = make_client(fake_hubspot)
    fake_hubspot.validation_rules = {
        "dealname": [{"ruleType": "MAX_LENGTH", "ruleArguments": ["80"]}]
    }
    assert client.get_validation_rules("deals") == {
        "dealname": [{"ruleType": "MAX_LENGTH", "ruleArguments": ["80"]}]
    }
    assert fake_hubspot.calls("GET", "property-validations")[0].path.endswith("/2026-03/0-3")

    fake_hubspot.validation_rules = None
    assert client.get_validation_rules("deals") == {}


def test_wrong_token_names_scopes_without_token(fake_hubspot, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "pat-na1-99999999-8888-7777-6666-555555555555"
    client = HubSpotClient(secret, base_url=fake_hubspot.url)

    with pytest.raises(HubSpotAuthError) as caught:
        client.get_properties("deals")

    message = str(caught.value)
    assert "crm.objects.deals.write" in message
    assert secret not in message
    assert secret not in caught.value.body
    assert secret not in repr(client)
    assert secret not in caplog.text
    assert len(fake_hubspot.requests) == 1


def test_token_absent_from_logs_of_retries(fake_hubspot, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(fake_hubspot)
    fake_hubspot.inject(502)

    client.batch_upsert("deals", deal_inputs(3), id_property="bridge_row_key")

    assert "retrying" in caplog.text
    assert TOKEN not in caplog.text
    assert fake_hubspot.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_malformed_body_rejected_by_models(fake_hubspot):
    session = requests.Session()
    url = fake_hubspot.url + "/crm/objects/2026-03/deals/batch/upsert"
    headers = {"Authorization": f"Bearer {TOKEN}"}

    missing_id = session.post(url, json={"inputs": [{"properties": {}}]}, headers=headers)
    unknown_key = session.post(
        url, json={"inputs": [{"id": "1", "properties": {}, "trace": "x"}]}, headers=headers
    )
    bad_option = session.post(
        fake_hubspot.url + "/crm/properties/2026-03/deals",
        json={"name": "x", "label": "x", "type": "string", "fieldType": "text", "groupName": "g",
              "options": [{"label": "a", "value": "a"}]},
        headers=headers,
    )  # fmt: skip

    assert missing_id.status_code == 400
    assert unknown_key.status_code == 400
    assert bad_option.status_code == 400
    violations = list(fake_hubspot.violations)
    assert any("`id`" in text for text in violations)
    assert any("has no field trace" in text for text in violations)
    assert any("`hidden`" in text for text in violations)
    fake_hubspot.violations.clear()  # expected here; the fixture asserts none elsewhere


def test_retry_policy_rejects_nonsense():
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    assert RetryPolicy(jitter=0.5).backoff(3, 1.0) == 6.0
    assert RetryPolicy(base_delay=1, max_delay=5, jitter=0).backoff(10, 0.0) == 5.0
