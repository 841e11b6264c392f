"""Settings from the environment (inställningar), prefix ``UPPF_``."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_DEV_SECRET = "dev-only-signing-key-change-me-0123456789abcdef"


class Settings(BaseSettings):
    """Runtime configuration. Placeholder secrets are refused outside development."""

    model_config = SettingsConfigDict(env_prefix="UPPF_", env_file=".env", extra="ignore")

    environment: str = "development"
    # How much the logs tell (DEBUG, INFO, WARNING, ERROR); the command line's --log-level reads it too.
    log_level: str = "INFO"
    # The municipality's name, printed at the head of every page of a report's PDF and HTML.
    municipality_name: str = ""
    database_url: str = "sqlite:///uppfoljning.db"
    sqlite_synchronous: str = "FULL"
    jwt_secret: str = _DEV_SECRET
    jwt_issuer: str = "uppfoljning-dev"
    jwt_audience: str = "uppfoljning"
    # Production tokens (issue 15): the issuer is required; its discovery document names the key set
    # (``oidc_jwks_url`` overrides that address, never the issuer check).
    oidc_issuer: str | None = None
    oidc_jwks_url: str | None = None
    # Which claims of a token name the user, its organisation and its identity-provider groups (issue 13/15).
    # The username claim defaults to ``preferred_username`` wherever an issuer is set (the API and the staff
    # sign-in alike: ``sub`` is opaque at Entra ID) and to ``sub`` for the development HS256 tokens.
    oidc_username_claim: str | None = None
    oidc_org_claim: str = "org"
    oidc_groups_claim: str = "groups"
    # The key set is fetched again after this many seconds (or the provider's shorter Cache-Control max-age);
    # a token naming an unknown key fetches it once, at most every ``oidc_jwks_refetch_seconds``.
    oidc_jwks_cache_seconds: float = 300.0
    oidc_jwks_refetch_seconds: float = 30.0
    # A provider outage: the last key set fetched still verifies tokens this long past its lifetime (0: fail closed).
    oidc_jwks_stale_seconds: float = 3600.0
    # Clients (``azp``/``client_id``) whose tokens the API accepts, comma-separated; empty accepts any client.
    oidc_allowed_clients: str = ""
    # RFC 9068: access tokens must say ``typ: at+jwt`` (default: on outside development).
    oidc_require_at_jwt: bool | None = None
    # Clock skew allowed on exp, nbf and iat; an optional maximum age of a token (from its iat).
    jwt_leeway_seconds: float = 30.0
    jwt_max_age_seconds: float | None = None
    # Access review (issue 15): a user reading more individual-level records than this in one day raises an alert.
    access_alert_daily_reads: int = 200
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_starttls: bool = False
    smtp_tls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    mail_from: str = "uppfoljning@example.invalid"
    # Mail goes out on working days (Swedish calendar) between these Stockholm hours ("07-18"), or "always".
    mail_hours: str = "07-18"
    # In development `uppfoljning serve` runs a mail sink on the SMTP host/port when nothing listens there.
    dev_mail_sink: bool = True
    # E-mails: their language, the staff interface's address for links, and a municipality's own templates.
    mail_locale: str = "sv"
    public_url: str = "http://127.0.0.1:8000"
    message_templates_dir: str | None = None
    dev_mail_dir: str = ".mail"
    # Scheduler (issue 4): whether the API process runs it, tick intervals, outbox delivery and lateness rules.
    run_scheduler: bool = False  # `uppfoljning serve` turns it on
    scheduler_sweep_seconds: float = 30.0
    scheduler_outbox_seconds: float = 10.0
    scheduler_controls_seconds: float = 3600.0
    scheduler_housekeeping_seconds: float = 3600.0
    scheduler_retention_seconds: float = 86400.0  # the purge of personal data past its time (gallring)
    # `uppfoljning scheduler` lowers its CPU priority by this much (nice), so that a due day's sweep beside the API
    # workers on the same machine takes the cores they leave idle instead of delaying their requests (issue 11).
    scheduler_nice: int = Field(default=10, ge=0, le=19)
    # The share of wall time the sweep and the audit anchoring may work: between batches (and boards) they rest in
    # proportion to how long the last one took, so a due day never takes the whole machine (1: never rest).
    scheduler_duty_cycle: float = Field(default=0.5, gt=0, le=1)
    # Rows per sweep batch (0: the dialect's default, workflow.deadlines.sweep.BATCH); smaller batches, shorter bursts.
    scheduler_sweep_batch: int = Field(default=0, ge=0)
    # On start the sweep and the outbox delivery run at once (they catch up on downtime); the controls, housekeeping
    # and retention purge first run at a random moment between half of this and all of it, so that several schedulers
    # (re)started together, or one started beside a busy API, do not do all their work in the same seconds (0: at once).
    scheduler_start_spread_seconds: float = Field(default=120.0, ge=0)
    idempotency_retention_hours: float = 24.0  # a key is kept at least this long, then purged
    smtp_timeout_seconds: float = 30.0
    outbox_max_attempts: int = 6
    outbox_backoff_seconds: float = 60.0
    outbox_claim_timeout_seconds: float = 300.0
    # /ready reports mail as stale when a due message has waited this long inside the sending hours.
    outbox_stale_minutes: int = 60
    late_delivery_threshold: int = 3
    late_delivery_window_days: int = 365
    delegation_cache_seconds: float = 30.0
    # Recording after the fact (issue 13): an event dated more than this many days back is a late entry and needs
    # a reason (late_reason), kept in the audit.
    late_entry_days: int = 30
    # Reports (issue 5): follow-up plan coverage rule and risk-based selection size.
    plan_max_years_without_follow_up: int = 3
    plan_top_providers: int = 5
    # Audit anchoring (issue 15): the checkpoint key (HMAC-SHA256, never in the database), retired keys still
    # accepted when verifying (comma-separated), and the append-only file the signed checkpoints go to.
    audit_key: str | None = None
    audit_keys_retired: str = ""
    audit_anchor_path: str = "audit-anchors.jsonl"

    @field_validator("mail_hours")
    @classmethod
    def _mail_hours(cls, value: str) -> str:
        if value != "always":
            start, sep, end = value.partition("-")
            if not (sep and start.isdigit() and end.isdigit() and 0 <= int(start) < int(end) <= 24):
                raise ValueError('mail_hours must be "HH-HH" (Stockholm hours, e.g. "07-18") or "always"')
        return value

    @field_validator("idempotency_retention_hours")
    @classmethod
    def _retention(cls, v: float) -> float:
        if v <= 0:
            raise ValueError("idempotency_retention_hours must be positive")
        return v

    @field_validator("late_entry_days")
    @classmethod
    def _late(cls, v: int) -> int:
        if v < 0:
            raise ValueError("late_entry_days must be zero or more")
        return v

    @field_validator("sqlite_synchronous")
    @classmethod
    def _sync(cls, v: str) -> str:
        if v.upper() not in {"FULL", "NORMAL", "EXTRA"}:
            raise ValueError("sqlite_synchronous must be FULL, EXTRA or NORMAL")
        return v.upper()

    @field_validator("audit_key")
    @classmethod
    def _audit_key(cls, v: str | None) -> str | None:
        if v is not None and len(v.strip()) < 32:
            raise ValueError("audit_key must be at least 32 characters (uppfoljning audit-key makes one)")
        return v.strip() if v is not None else None

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, v: str) -> str:
        level = v.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("log_level is one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator(
        "jwt_leeway_seconds", "oidc_jwks_cache_seconds", "oidc_jwks_refetch_seconds", "oidc_jwks_stale_seconds"
    )
    @classmethod
    def _not_negative(cls, v: float) -> float:
        if v < 0:
            raise ValueError("leeway and key-set lifetimes cannot be negative")
        return v

    @property
    def username_claim(self) -> str:
        """The claim naming the user: as set, else ``preferred_username`` with an issuer and ``sub`` without."""
        return self.oidc_username_claim or ("preferred_username" if self.oidc_issuer else "sub")

    @property
    def allowed_clients(self) -> frozenset[str]:
        """The clients whose tokens are accepted (empty: any)."""
        return frozenset(c.strip() for c in self.oidc_allowed_clients.split(",") if c.strip())

    @property
    def require_at_jwt(self) -> bool:
        """Whether access tokens must carry ``typ: at+jwt``."""
        if self.oidc_require_at_jwt is None:
            return self.environment != "development"
        return self.oidc_require_at_jwt

    def check_production(self) -> None:
        """Refuse to run outside development with the placeholder signing key or without the checkpoint key.

        A JWKS address without an issuer is refused too: the issuer is what a token is checked against.
        """
        if self.environment != "development" and self.oidc_jwks_url and not self.oidc_issuer:
            raise RuntimeError("UPPF_OIDC_ISSUER must be set outside development (the key set alone is not enough)")
        if self.environment != "development" and self.jwt_secret == _DEV_SECRET and not self.oidc_issuer:
            raise RuntimeError("UPPF_JWT_SECRET or UPPF_OIDC_ISSUER must be set outside development")
        if self.environment != "development" and not self.audit_key:
            raise RuntimeError("UPPF_AUDIT_KEY (the audit checkpoint key) must be set outside development")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()
