"""One settings object, read from DPR_* environment variables; nothing reads the environment elsewhere."""

import base64
import json
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_NAMES = ("pseudonym_key", "sealing_key", "session_key")


class SettingsError(RuntimeError):
    """The configuration cannot run the product; the message says what to set."""


class Settings(BaseSettings):
    """Configuration of one running product."""

    model_config = SettingsConfigDict(env_prefix="DPR_", extra="ignore")

    env: Literal["local", "production", "test"] = "local"
    database_url: str | None = None
    # A streaming replica of that database: the public reads (no token) are served from it when set.
    read_database_url: str | None = None
    # After the replica failed to answer, public reads go to the primary this long before it is tried again.
    read_replica_retry_s: float = Field(default=5.0, gt=0)
    data_dir: Path = Path(".data")
    pseudonym_key: SecretStr | None = None
    sealing_key: SecretStr | None = None
    # During a rotation only: the master key being replaced, tried when the current one does not unwrap.
    sealing_key_previous: SecretStr | None = None
    # Signs browser session cookies and CSRF tokens; a secret of its own (never derived from another).
    session_key: SecretStr | None = None
    solver: Literal["HiGHS", "CBC"] = "HiGHS"
    solver_time_limit_s: float = Field(default=60.0, gt=0)
    standstill_days: int = Field(default=14, ge=0)
    # The award decision's appeal instructions (valitusosoitus, docs/rules.md): the Market Court's contact
    # details and its fee for a procurement matter (tuomioistuinmaksulaki 1455/2015), checked against the law
    # in force before use.
    market_court_name_fi: str = "Markkinaoikeus"  # in the Finnish document
    market_court_name_en: str = "Market Court"  # in the English document
    market_court_address: str = "Radanrakentajantie 5, 00520 Helsinki"
    market_court_email: str = "markkinaoikeus@oikeus.fi"
    market_court_phone: str = "029 56 43300"
    market_court_fee_cents: int = Field(default=227_000, ge=0)
    min_tender_days: int = Field(default=10, ge=10)
    min_days_after_amendment: int = Field(default=3, ge=0)
    # Processes computing the prices to win at an award (each line is independent; 1 computes in-process).
    price_to_win_workers: int = Field(default=1, ge=1, le=64)
    # How long an award may spend computing prices to win; a line not reached is computed on its first read.
    price_to_win_award_budget_s: float = Field(default=60.0, ge=0)
    # Questions close at least this many days before the tender deadline (SPEC 4.2).
    min_days_qa_before_deadline: int = Field(default=3, ge=0)
    decision_working_days: int = Field(default=10, ge=1)
    extended_decision_working_days: int = Field(default=15, ge=1)
    # A neutral exit dated more than this many days before it is reported is refused (SPEC 4.4).
    neutral_exit_max_age_days: int = Field(default=30, ge=0)
    log_level: str = "INFO"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # Also the number of request threads per worker. Python holds the GIL for most of a request, so more
    # threads only wait for it longer (and the event loop with them): in the bid burst 4 kept p99 at
    # 95–140 ms in ten runs, where 8 ranged 98–370 ms and 20 gave 156–241 ms (docs/decisions/0001).
    db_pool_size: int = Field(default=4, ge=1)
    # A statement running longer is cancelled by the server and the request answers 503 (0: no limit).
    db_statement_timeout_s: float = Field(default=120.0, ge=0)
    max_request_body_bytes: int = Field(default=1_048_576, ge=1024)
    token_cache_ttl_s: float = Field(default=30.0, ge=0)
    # Open data (docs/open-data.md): the OCID prefix registered with the Open Contracting Partnership,
    # the address the public reaches the service at (links in releases, the feed and e-mail), the publisher.
    ocid_prefix: str = Field(default="ocds-dpr000", pattern=r"^ocds-[a-z0-9]{6}$")
    public_base_url: str = Field(default="http://127.0.0.1:8000", pattern=r"^https?://[^\s/]+(/[^\s]*)?$")
    ocds_publisher_name: str = "Dynamic procurement ring"
    ocds_license_url: str = "https://creativecommons.org/licenses/by/4.0/"
    # Unset: the policy the service itself serves at /ocds/policy.
    ocds_publication_policy_url: str | None = None
    # Notifications (docs/webhooks.md): delivery timeout, retries with backoff for this long, parallel calls.
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=60)
    webhook_retry_hours: float = Field(default=24.0, gt=0)
    # The first retry waits this long, each next one twice as long (at most an hour).
    webhook_backoff_s: float = Field(default=10.0, gt=0)
    webhook_concurrency: int = Field(default=32, ge=1, le=512)
    # A rotated secret still signs (as a second signature) for this long, so receivers can switch over.
    webhook_secret_overlap_hours: float = Field(default=24.0, ge=0)
    # Webhook URLs on loopback or private networks are refused unless allowed (never in production).
    webhook_allow_private: bool = False
    # Deadline reminders go this many days before the tender deadline.
    reminder_days: list[int] = Field(default=[3, 1])
    # E-mail: unset host, no e-mail (messages stay pending); the daily digest goes at this Helsinki hour.
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "dpr@localhost"
    digest_hour: int = Field(default=7, ge=0, le=23)
    # How often the dispatcher looks for work when no NOTIFY wakes it.
    dispatcher_poll_s: float = Field(default=1.0, gt=0)
    # The dispatcher process's niceness: it gives way to request workers when the processor is busy.
    dispatcher_nice: int = Field(default=10, ge=0, le=19)
    # A pooled connection held longer than this by one request is cut (the request answers 503): a
    # database that accepts connections but never answers cannot hang the service (0: no limit).
    db_client_timeout_s: float = Field(default=130.0, ge=0)
    # Browser sessions end after this long without a request, and this long after sign-in at the latest.
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=8, ge=1, le=7 * 24)
    # Failed authentications per client address within the window before it is made to wait (429).
    auth_failures_allowed: int = Field(default=10, ge=1)
    auth_failure_window_s: float = Field(default=60.0, gt=0)
    # Price-to-win requests per principal within the window (each one is a solver run).
    price_to_win_allowed: int = Field(default=20, ge=1)
    price_to_win_window_s: float = Field(default=60.0, gt=0)
    # pg_dump and pg_restore for `dpr backup`/`dpr restore` (default: the embedded server's own).
    pg_bin: Path | None = None
    # Test mode only: shift both clocks (the app's and the database's) to step past deadlines.
    clock_offset_s: float = 0.0


def refuse_test_only(settings: Settings) -> None:
    """Refuse settings that exist for tests when the product runs for real."""
    if settings.clock_offset_s and settings.env != "test":
        raise SettingsError("DPR_CLOCK_OFFSET_S shifts the clock and is refused outside DPR_ENV=test.")
    if settings.webhook_allow_private and settings.env == "production":
        raise SettingsError("DPR_WEBHOOK_ALLOW_PRIVATE lets webhooks call internal hosts: not in production.")


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides (CLI options, tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]


def ensure_secrets(settings: Settings) -> Settings:
    """Return settings with every secret present: required in production, generated once locally."""
    missing = [name for name in SECRET_NAMES if getattr(settings, name) is None]
    if not missing:
        return settings
    if settings.env == "production":
        names = ", ".join(f"DPR_{name.upper()}" for name in missing)
        raise SettingsError(f"Production mode needs these secrets set: {names} (32 random bytes, base64).")
    stored = _load_or_create_secret_file(settings.data_dir / "secrets.json")
    return settings.model_copy(update={name: SecretStr(stored[name]) for name in missing})


def key_bytes(secret: SecretStr | None, *, name: str) -> bytes:
    """Decode a base64 key of at least 32 bytes."""
    if secret is None:
        raise SettingsError(f"DPR_{name.upper()} is not set.")
    try:
        raw = base64.b64decode(secret.get_secret_value(), validate=True)
    except ValueError as exc:
        raise SettingsError(f"DPR_{name.upper()} must be base64.") from exc
    if len(raw) < 32:
        raise SettingsError(f"DPR_{name.upper()} must hold at least 32 bytes.")
    return raw


def new_key() -> str:
    """A fresh 32-byte key, base64."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _load_or_create_secret_file(path: Path) -> dict[str, str]:
    """Keep generated local secrets beside the data, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
    else:
        stored = {}
    if all(name in stored for name in SECRET_NAMES):
        return stored
    for name in SECRET_NAMES:
        stored.setdefault(name, new_key())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(stored, handle)
    return stored
