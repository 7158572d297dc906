"""Secrets from the environment and from a local fake Secret Manager.

No test reaches Google: readers get fake credentials, the shared reader's
``default_credentials`` is replaced, and every request goes to the fake on
127.0.0.1.
"""

from __future__ import annotations

import base64
import logging
import socket
import traceback
from collections.abc import Iterator

import google.auth.exceptions
import pytest

from sync import secrets
from sync.errors import MissingTokenError
from tests.fakes.hubspot import FakeClock
from tests.fakes.secret_manager import (
    TIMEOUT,
    TOKEN,
    FakeCredentials,
    FakeSecretManager,
    FakeSecretManagerServer,
    crc32c,
)

PROJECT = "bridge-test-project"
NAME = "HUBSPOT_ACCESS_TOKEN"
VALUE = "pat-na1-11111111-2222-3333-4444-555555555555"
ACCESS_PATH = f"/v1/projects/{PROJECT}/secrets/{NAME}/versions/latest:access"


@pytest.fixture
def fake_secret_manager() -> Iterator[FakeSecretManager]:
    """Run a fake Secret Manager, and fail the test if a request broke the discovery document."""
    server = FakeSecretManagerServer().start()
    yield server.api
    server.stop()
    assert not server.api.violations, (
        "requests that do not match secretmanager.v1.json:\n" + "\n".join(server.api.violations)
    )


@pytest.fixture(autouse=True)
def fresh_shared_readers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Start each test with no shared reader, no project and no secret in the environment."""
    secrets.clear_cache()
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    monkeypatch.delenv(secrets.ENDPOINT_VARIABLE, raising=False)
    monkeypatch.delenv(NAME, raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    yield
    secrets.clear_cache()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_reader(fake: FakeSecretManager, clock: FakeClock, **kwargs) -> secrets.SecretManagerReader:
    kwargs.setdefault("credentials_factory", FakeCredentials)
    return secrets.SecretManagerReader(
        PROJECT, endpoint=fake.url, clock=clock, sleep=clock.sleep, **kwargs
    )


def use_fake_for_shared_reader(monkeypatch: pytest.MonkeyPatch, fake: FakeSecretManager) -> None:
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", PROJECT)
    monkeypatch.setenv(secrets.ENDPOINT_VARIABLE, fake.url)
    monkeypatch.setattr(secrets, "default_credentials", FakeCredentials)


def free_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on (closed again at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- order: environment first, Secret Manager only with a project ----------------


def test_environment_wins_over_secret_manager(monkeypatch, fake_secret_manager):
    fake_secret_manager.add_version(PROJECT, NAME, "from-secret-manager")
    use_fake_for_shared_reader(monkeypatch, fake_secret_manager)
    monkeypatch.setenv(NAME, VALUE)

    assert secrets.get_secret(NAME) == VALUE
    assert fake_secret_manager.access_count() == 0


def test_no_project_means_no_request(monkeypatch):
    def no_credentials():
        raise AssertionError("credentials must not be asked for without GOOGLE_CLOUD_PROJECT")

    monkeypatch.setattr(secrets, "default_credentials", no_credentials)

    assert secrets.shared_reader() is None
    assert secrets.get_secret(NAME) is None
    with pytest.raises(MissingTokenError):
        secrets.get_access_token()


def test_empty_environment_variable_falls_through(monkeypatch, fake_secret_manager):
    fake_secret_manager.add_version(PROJECT, NAME, VALUE)
    use_fake_for_shared_reader(monkeypatch, fake_secret_manager)
    monkeypatch.setenv(NAME, "")

    assert secrets.get_secret(NAME) == VALUE


# -- the request -------------------------------------------------------------------


def test_get_secret_reads_secret_manager(monkeypatch, fake_secret_manager):
    fake_secret_manager.add_version(PROJECT, NAME, "an older token")
    fake_secret_manager.add_version(PROJECT, NAME, VALUE)
    use_fake_for_shared_reader(monkeypatch, fake_secret_manager)

    assert secrets.get_access_token() == VALUE
    request = fake_secret_manager.requests[0]
    assert request["method"] == "secretmanager.projects.secrets.versions.access"
    assert request["path"] == ACCESS_PATH
    assert request["authorization"] == f"Bearer {TOKEN}"


def test_shared_reader_follows_environment(monkeypatch, fake_secret_manager):
    use_fake_for_shared_reader(monkeypatch, fake_secret_manager)

    reader = secrets.shared_reader()

    assert reader is not None
    assert reader.project == PROJECT
    assert reader.endpoint == fake_secret_manager.url
    assert secrets.shared_reader() is reader


def test_default_endpoint_is_google(monkeypatch):
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", PROJECT)

    reader = secrets.shared_reader()

    assert reader is not None
    assert reader.endpoint == "https://secretmanager.googleapis.com"


def test_wrong_token_is_rejected(fake_secret_manager, clock, caplog):
    fake_secret_manager.add_version(PROJECT, NAME, VALUE)
    credentials = FakeCredentials("ya29.other")
    reader = make_reader(fake_secret_manager, clock, credentials_factory=lambda: credentials)

    with caplog.at_level(logging.WARNING, logger="sync.secrets"):
        assert reader.read(NAME) is None

    assert "HTTP 401 UNAUTHENTICATED" in caplog.text
    # AuthorizedSession refreshes the credentials after a 401 and sends the request again.
    assert credentials.refreshes == fake_secret_manager.access_count() - 1
    assert all(r["authorization"] == "Bearer ya29.other" for r in fake_secret_manager.requests)


def test_response_carries_crc32c(fake_secret_manager, clock):
    # The reader ignores dataCrc32c because no CRC-32C implementation is installed.
    # The real API sends the field (secretmanager.v1.json, SecretPayload), so it must do no harm.
    fake_secret_manager.add_version(PROJECT, NAME, VALUE)
    reader = make_reader(fake_secret_manager, clock)

    response = reader.session.get(fake_secret_manager.url + ACCESS_PATH, timeout=5)

    payload = response.json()["payload"]
    assert payload["dataCrc32c"] == str(crc32c(VALUE.encode()))
    assert reader.read(NAME) == VALUE


def test_fake_crc32c_check_value():
    assert crc32c(b"123456789") == 0xE3069283


def test_fake_rejects_undocumented_path(fake_secret_manager, clock):
    reader = make_reader(fake_secret_manager, clock)
    url = f"{fake_secret_manager.url}/v1beta9/projects/{PROJECT}/secrets/{NAME}/versions/latest"

    response = reader.session.get(url, timeout=5)

    assert response.status_code == 400
    assert len(fake_secret_manager.violations) == 1
    fake_secret_manager.violations.clear()


def test_invalid_secret_name_raises(fake_secret_manager, clock):
    reader = make_reader(fake_secret_manager, clock)

    with pytest.raises(ValueError, match="invalid secret name"):
        reader.read("../other")
    assert fake_secret_manager.access_count() == 0


# -- responses other than the value -----------------------------------------------


def test_missing_secret_logs_debug(fake_secret_manager, clock, caplog):
    reader = make_reader(fake_secret_manager, clock)

    with caplog.at_level(logging.DEBUG, logger="sync.secrets"):
        assert reader.read("DATABASE_URL") is None

    records = [r for r in caplog.records if r.name == "sync.secrets"]
    assert [r.levelno for r in records] == [logging.DEBUG]
    assert "DATABASE_URL" in records[0].getMessage()
    assert PROJECT in records[0].getMessage()


def test_permission_denied_names_role(fake_secret_manager, clock, caplog):
    fake_secret_manager.add_version(PROJECT, NAME, VALUE).denied = True
    reader = make_reader(fake_secret_manager, clock)

    with caplog.at_level(logging.WARNING, logger="sync.secrets"):
        assert reader.read(NAME) is None

    [record] = caplog.records
    message = record.getMessage()
    assert record.levelno == logging.WARNING
    assert PROJECT in message
    assert NAME in message
    assert "roles/secretmanager.secretAccessor" in message
    assert fake_secret_manager.access_count() == 1


def test_server_error_is_retried(fake_secret_manager, clock, caplog):
    fake_secret_manager.add_version(PROJECT, NAME, VALUE)
    fake_secret_manager.fail_next(503, 500)
    reader = make_reader(fake_secret_manager, clock)

    with caplog.at_level(logging.WARNING, logger="sync.secrets"):
        assert reader.read(NAME) == VALUE

    assert fake_secret_manager.access_count() == 3
    assert len(clock.sleeps) == 2
    assert all("Retrying secret" in r.getMessage() for r in caplog.records)


def test_retries_are_bounded(fake_secret_manager, clock, caplog):
    fake_secret_manager.add_version(PROJECT, NAME, VALUE)
    fake_secret_manager.fail_next(503, 503, 503, 503)
    reader = make_reader(fake_secret_manager, clock)

    with caplog.at_level(logging.WARNING, logger="sync.secrets"):
        assert reader.read(NAME) is None

    assert fake_secret_manager.access_count() == secrets.MAX_ATTEMPTS
    assert all(0 <= wait <= secrets.RETRY_MAX_WAIT_SECONDS for wait in clock.sleeps)
    final = caplog.records[-1].getMessage()
    assert f"{secrets.MAX_ATTEMPTS} attempts failed" in final
    assert "HTTP 503" in final
    assert NAME in final


def test_quota_error_is_retried(fake_secret_manager, clock):
    fake_secret_manager.add_version(PROJECT, NAME, VALUE)
    fake_secret_manager.fail_next(429)
    reader = make_reader(fake_secret_manager, clock)

    assert reader.read(NAME) == VALUE
    assert fake_secret_manager.access_count() == 2


def test_timeout_is_retried(fake_secret_manager, clock):
    fake_secret_manager.add_version(PROJECT, NAME, VALUE)
    fake_secret_manager.fail_next(TIMEOUT)
    reader = make_reader(fake_secret_manager, clock, timeout=0.2)

    assert reader.read(NAME) == VALUE
    assert fake_secret_manager.access_count() == 2


def test_timeouts_give_none(fake_secret_manager, clock, caplog):
    fake_secret_manager.add_version(PROJECT, NAME, VALUE)
    fake_secret_manager.fail_next(TIMEOUT, TIMEOUT)
    reader = make_reader(fake_secret_manager, clock, timeout=0.2, max_attempts=2)

    with caplog.at_level(logging.WARNING, logger="sync.secrets"):
        assert reader.read(NAME) is None

    assert "2 attempts failed, the last with ReadTimeout" in caplog.records[-1].getMessage()


def test_connection_refused_gives_none(clock, caplog):
    reader = secrets.SecretManagerReader(
        PROJECT,
        endpoint=f"http://127.0.0.1:{free_port()}",
        credentials_factory=FakeCredentials,
        clock=clock,
        sleep=clock.sleep,
    )

    with caplog.at_level(logging.WARNING, logger="sync.secrets"):
        assert reader.read(NAME) is None

    assert "ConnectionError" in caplog.records[-1].getMessage()
    assert len(clock.sleeps) == secrets.MAX_ATTEMPTS - 1


def test_missing_credentials_give_none(fake_secret_manager, clock, caplog):
    def no_credentials():
        raise google.auth.exceptions.DefaultCredentialsError("no credentials in this test")

    reader = make_reader(fake_secret_manager, clock, credentials_factory=no_credentials)

    with caplog.at_level(logging.WARNING, logger="sync.secrets"):
        assert reader.read(NAME) is None

    assert "no Application Default Credentials" in caplog.text
    assert fake_secret_manager.access_count() == 0


@pytest.mark.parametrize(
    ("raw_data", "expected"),
    [
        ("not base64!", "is not valid base64"),
        ("QUJD=RA==", "is not valid base64"),
        ("QUJDRA", "is not valid base64"),
        ("//79", "is not UTF-8 text"),
        ("", "is empty"),
        (base64.b64encode(b" \n").decode(), "is empty"),
    ],
)
def test_bad_payload_gives_none(fake_secret_manager, clock, caplog, raw_data, expected):
    fake_secret_manager.add_version(PROJECT, NAME, VALUE).raw_data = raw_data
    reader = make_reader(fake_secret_manager, clock)

    with caplog.at_level(logging.WARNING, logger="sync.secrets"):
        assert reader.read(NAME) is None

    assert expected in caplog.records[-1].getMessage()


def test_trailing_newline_is_removed(fake_secret_manager, clock):
    fake_secret_manager.add_version(PROJECT, NAME, VALUE + "\n")
    reader = make_reader(fake_secret_manager, clock)

    assert reader.read(NAME) == VALUE


def test_japanese_value_is_decoded(fake_secret_manager, clock):
    fake_secret_manager.add_version(PROJECT, "DATABASE_URL", "postgresql://ユーザー@db/台帳")
    reader = make_reader(fake_secret_manager, clock)

    assert reader.read("DATABASE_URL") == "postgresql://ユーザー@db/台帳"


# -- cache ---------------------------------------------------------------------------


def test_value_is_cached_for_five_minutes(fake_secret_manager, clock):
    fake_secret_manager.add_version(PROJECT, NAME, VALUE)
    reader = make_reader(fake_secret_manager, clock)

    assert reader.read(NAME) == VALUE
    fake_secret_manager.add_version(PROJECT, NAME, "rotated-token")
    clock.sleep(299)

    assert reader.read(NAME) == VALUE
    assert fake_secret_manager.access_count() == 1

    clock.sleep(1)

    assert reader.read(NAME) == "rotated-token"
    assert fake_secret_manager.access_count() == 2


def test_cache_is_per_name(fake_secret_manager, clock):
    fake_secret_manager.add_version(PROJECT, NAME, VALUE)
    fake_secret_manager.add_version(PROJECT, "DATABASE_URL", "postgresql://db/bridge")
    reader = make_reader(fake_secret_manager, clock)

    assert reader.read(NAME) == VALUE
    assert reader.read("DATABASE_URL") == "postgresql://db/bridge"
    assert reader.read(NAME) == VALUE
    assert fake_secret_manager.access_count(NAME) == 1
    assert fake_secret_manager.access_count("DATABASE_URL") == 1


def test_failure_is_not_cached(fake_secret_manager, clock):
    reader = make_reader(fake_secret_manager, clock)

    assert reader.read(NAME) is None
    fake_secret_manager.add_version(PROJECT, NAME, VALUE)

    assert reader.read(NAME) == VALUE
    assert fake_secret_manager.access_count() == 2


def test_shared_reader_caches_across_calls(monkeypatch, fake_secret_manager):
    fake_secret_manager.add_version(PROJECT, NAME, VALUE)
    use_fake_for_shared_reader(monkeypatch, fake_secret_manager)

    for _ in range(5):
        assert secrets.get_access_token() == VALUE

    assert fake_secret_manager.access_count() == 1


# -- the value never leaks -------------------------------------------------------------


def leak_scenarios(fake: FakeSecretManager) -> None:
    """Set up secrets whose reads go through every branch that handles a payload."""
    fake.add_version(PROJECT, NAME, VALUE)
    fake.add_version(PROJECT, "RETRIED", VALUE)
    fake.add_version(PROJECT, "NOT_UTF8", VALUE.encode() + b"\xff")
    fake.add_version(PROJECT, "DENIED", VALUE).denied = True
    fake.add_version(PROJECT, "MALFORMED", VALUE).raw_data = VALUE + "!"


def test_value_never_logged_or_raised(monkeypatch, fake_secret_manager, clock, caplog):
    leak_scenarios(fake_secret_manager)
    reader = make_reader(fake_secret_manager, clock)
    # google-auth logs only when its "google" logger has a handler of its own.
    google_logger = logging.getLogger("google")
    monkeypatch.setattr(google_logger, "propagate", False)
    google_logger.addHandler(caplog.handler)
    # Other tests of the session may have raised these loggers' levels or disabled them.
    for name in ("urllib3.connectionpool", "google.auth.transport.requests"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    errors: list[BaseException] = []

    try:
        with (
            caplog.at_level(logging.DEBUG),
            caplog.at_level(logging.DEBUG, logger="urllib3"),
            caplog.at_level(logging.DEBUG, logger="urllib3.connectionpool"),
            caplog.at_level(logging.DEBUG, logger="google"),
            caplog.at_level(logging.DEBUG, logger="google.auth.transport.requests"),
        ):
            assert reader.read(NAME) == VALUE
            assert reader.read(NAME) == VALUE
            fake_secret_manager.fail_next(503)
            assert reader.read("RETRIED") == VALUE
            assert reader.read("NOT_UTF8") is None
            assert reader.read("DENIED") is None
            assert reader.read("MALFORMED") is None
            use_fake_for_shared_reader(monkeypatch, fake_secret_manager)
            try:
                secrets.get_access_token("DENIED")
            except MissingTokenError as error:
                errors.append(error)
    finally:
        google_logger.removeHandler(caplog.handler)

    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s %(args)s")
    texts = [formatter.format(record) for record in caplog.records]
    texts += [str(record.__dict__) for record in caplog.records]
    texts += ["".join(traceback.format_exception(error)) for error in errors]
    texts += [repr(error) for error in errors]
    texts += [repr(reader), repr(reader._cache), repr(secrets._shared_readers)]
    names = {record.name for record in caplog.records}
    assert "urllib3.connectionpool" in names
    assert "google.auth.transport.requests" in names
    assert errors
    assert any("DENIED" in text for text in texts)
    encoded = base64.b64encode(VALUE.encode()).decode()
    for text in texts:
        assert VALUE not in text
        assert encoded not in text
        assert VALUE[-12:] not in text
