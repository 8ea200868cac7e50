"""Settings from the environment (HYPERZOOM_*), overridable by CLI flags and by tests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class TokenUnavailable(ValueError):
    """A token file is configured but holds no usable token: refuse, never fall back to none."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(f"the token file {path} {reason}")


def read_secret(value: SecretStr | None, path: Path | None) -> str | None:
    """The token from its variable, else its file (read now: files are rotated in place);
    None only when neither is configured, so a broken file can never mean "no token"."""
    if value is not None and value.get_secret_value().strip():
        return value.get_secret_value().strip()
    if path is None:
        return None
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise TokenUnavailable(path, "does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise TokenUnavailable(path, f"cannot be read ({reason})") from None
    if not text.strip():
        raise TokenUnavailable(path, "is empty")
    return text.strip()


class Settings(BaseSettings):
    """Everything the server and the workers are configured by."""

    model_config = SettingsConfigDict(env_prefix="HYPERZOOM_", extra="ignore")

    database_url: str = Field(
        "sqlite:///hyperzoom.db",
        description="SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user@host/db",
    )
    token: SecretStr | None = Field(
        None,
        description="The admin token: when set, mutating API calls need "
        "`Authorization: Bearer <token>`.",
    )
    token_file: Path | None = Field(
        None,
        description="A file holding the admin token (kept out of the environment and `ps`); "
        "re-read per request, and requests are refused while it is missing or empty.",
    )
    worker_token: SecretStr | None = Field(
        None,
        description="A token for remote workers: the worker protocol (ask, report, heartbeat, "
        "tell, release, objective registration) and reads, nothing else.",
    )
    worker_token_file: Path | None = Field(
        None, description="A file holding the worker token (read like `token_file`)."
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host names this server answers to besides loopback and the address it is "
        "reached on, comma-separated; `.example.com` covers its subdomains, `*` any name.",
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
    max_import_bytes: int = Field(
        4 * 1024**3,
        gt=0,
        description="Largest import document accepted (413 beyond): read a trial at a time, "
        "never held, so it is not bound by max_body_bytes.",
    )
    max_buffered_body_bytes: int = Field(
        64 * 1024 * 1024,
        gt=0,
        description="Bytes of request bodies one server process holds at once (each counted "
        "by its declared length while it is read and handled); a request that would pass it "
        "gets a 503 with Retry-After. Never less than max_body_bytes.",
    )
    body_timeout: float = Field(
        30.0, gt=0, description="Seconds a request body may stop arriving before a 408."
    )
    objectives: list[str] = Field(
        default_factory=list,
        description="Extra objectives as `module:function` or `path/to/file.py:function`, beside "
        "the built-in ones.",
    )
    poll_interval: float = Field(2.0, gt=0, description="Seconds between page refreshes.")
    warm_columns: bool = Field(
        True,
        description="Build the page's kept columns of the largest recent experiments (200,000 "
        "trials and more) in the background when the server starts, so that the first page "
        "after a restart does not wait for them.",
    )
    heartbeat_timeout: float = Field(
        60.0,
        gt=0,
        description="For searches made here without one: a running trial silent this long is "
        "lost and retried (each search keeps its own).",
    )
    max_retries: int = Field(
        2, ge=0, description="For searches made here without one: retries of a lost trial."
    )
    config: Path | None = Field(
        None, description="hyperzoom.toml with command and function objectives."
    )

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        """`a.example, b.example` from the environment; names compare lower-case."""
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list):
            return [str(v).strip().lower() for v in value if str(v).strip()]
        return value

    @property
    def token_value(self) -> str | None:
        """The admin token, from HYPERZOOM_TOKEN or its file; None when none is configured
        (TokenUnavailable when the file is missing or empty)."""
        return read_secret(self.token, self.token_file)

    @property
    def worker_token_value(self) -> str | None:
        """The worker token, from HYPERZOOM_WORKER_TOKEN or its file, like `token_value`."""
        return read_secret(self.worker_token, self.worker_token_file)

    @property
    def auth_enabled(self) -> bool:
        """Whether any token is configured; a token file counts even while it is unreadable."""
        return self.admin_token_configured or configured(self.worker_token, self.worker_token_file)

    @property
    def admin_token_configured(self) -> bool:
        """Whether an admin token is configured, even if its file is unreadable right now."""
        return configured(self.token, self.token_file)


def configured(value: SecretStr | None, path: Path | None) -> bool:
    """A token file counts whatever it holds; an empty HYPERZOOM_TOKEN= means unset, as it
    always has (the environment cannot change under a running server)."""
    return path is not None or (value is not None and bool(value.get_secret_value().strip()))
