"""Settings from the environment (HYPERZOOM_*), overridable by CLI flags and by tests."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the server and the workers are configured by."""

    model_config = SettingsConfigDict(env_prefix="HYPERZOOM_", extra="ignore")

    database_url: str = Field(
        "sqlite:///hyperzoom.db",
        description="SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user@host/db",
    )
    token: SecretStr | None = Field(
        None, description="When set, mutating API calls need `Authorization: Bearer <token>`."
    )
    token_file: Path | None = Field(
        None, description="A file holding the token (kept out of the environment and `ps`)."
    )
    protect_reads: bool = Field(
        False, description="Require the token for reading too (API and page data)."
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to call the API from a browser."
    )
    max_body_bytes: int = Field(
        10 * 1024 * 1024, gt=0, description="Largest request body accepted (413 beyond)."
    )
    objectives: list[str] = Field(
        default_factory=list,
        description="Extra objectives as `module:function`, beside the built-in ones.",
    )
    poll_interval: float = Field(2.0, gt=0, description="Seconds between page refreshes.")
    heartbeat_timeout: float = Field(
        60.0, gt=0, description="A running trial silent this long is lost and retried."
    )
    max_retries: int = Field(2, ge=0, description="Retries of a lost trial before it fails.")
    config: Path | None = Field(None, description="hyperzoom.toml with command objectives.")

    @property
    def token_value(self) -> str | None:
        """The token, from HYPERZOOM_TOKEN or the token file; None when auth is off."""
        if self.token is not None:
            return self.token.get_secret_value().strip() or None
        if self.token_file is not None:
            return self.token_file.read_text().strip() or None
        return None
