"""The one place that reads the environment. Built once, passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_PROFILE = Path(__file__).parent / "profiles" / "demo_seller.yaml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COUNTERPOINT_", env_file=None, extra="ignore")

    database_url: str = Field(
        default="sqlite+aiosqlite:///counterpoint.db",
        description="SQLAlchemy async URL; sqlite+aiosqlite (default, embedded) or postgresql+asyncpg",
    )
    profile: Path = Field(default=DEMO_PROFILE, description="Seller profile (YAML)")
    host: str = "127.0.0.1"
    port: int = 8080
    public_base_url: str | None = Field(
        default=None, description="Base URL used in href fields; defaults to http://host:port"
    )
    mode: Literal["demo", "production"] = "demo"
    # Outbox relay: how often it wakes, how many attempts before dead letter, first backoff.
    relay_interval_s: float = 0.5
    delivery_max_attempts: int = 8
    delivery_backoff_s: float = 1.0
    delivery_timeout_s: float = 5.0
    # Production mode refuses listeners on loopback, private, link-local (cloud metadata) and other internal
    # addresses; these host names or CIDR networks are allowed anyway (JSON list in the environment).
    listener_allowed_targets: list[str] = Field(default_factory=list)
    # Request bodies: refused while they are read when larger (413) or nested deeper (400) than this.
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    max_json_depth: int = Field(default=64, gt=0)
    # Fulfilment engine: how often it looks for due steps. time_scale > 1 runs the Seller's clock that
    # many times faster than real time (emulator fast-forward): 43200 makes a profile day last 2 s.
    fulfilment_interval_s: float = 0.5
    time_scale: float = Field(default=1.0, gt=0)
    # With time_scale > 1: the (recent) instant at which the fast clock equals real time. Processes given the
    # same anchor share one clock, and a restarted process carries on from where it was (tests, demos).
    clock_anchor: AwareDatetime | None = None
    # Orchestrator (when the profile buys from providers): how often it looks for due commands and orders.
    orchestration_interval_s: float = 0.2
    command_in_flight_grace_s: float = 30.0
    command_recovery_grace_s: float = 5.0
    supplier_retry_backoff_s: float = 2.0
    # Reconciliation job: real seconds between runs (default: the profile's orchestration.reconciliation).
    reconcile_interval_s: float | None = Field(default=None, gt=0)
    # Chaos, for tests only (refused in production mode): the process exits at once with status 137, as if
    # killed with SIGKILL, right after it has claimed (stored as in flight) a command to this provider id and
    # before sending it; "*" means any provider. Used to prove that a restart loses and duplicates nothing.
    chaos_exit_after_command_claim: str | None = None
    run_workers: bool = True
    log_level: str = "INFO"
    api_key_salt: SecretStr = SecretStr("counterpoint-demo-salt")

    @model_validator(mode="after")
    def _no_demo_secrets_in_production(self) -> Settings:
        if self.mode == "production" and self.api_key_salt.get_secret_value() == "counterpoint-demo-salt":
            raise ValueError("COUNTERPOINT_API_KEY_SALT must be set outside demo mode")
        if self.mode == "production" and self.chaos_exit_after_command_claim:
            raise ValueError("COUNTERPOINT_CHAOS_EXIT_AFTER_COMMAND_CLAIM is a test setting: refused in production")
        return self

    @property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")
