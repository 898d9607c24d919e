"""Settings for the web app: one object, read from the environment (MIFI_*, DATABASE_URL)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_NAME = "mi-fidelity"


def data_dir() -> Path:
    """The per-user data folder (e.g. ~/.local/share/mi-fidelity on Linux)."""
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


class Settings(BaseSettings):
    """Everything the web app can be configured with.

    `DATABASE_URL` (any SQLAlchemy URL) wins over `MIFI_DB_PATH`; without either, the
    SQLite file is `mifi.db` (or `mifi-demo.db` in demo mode) in the per-user data folder,
    so the fictional demo team never mixes with real records.
    """

    model_config = SettingsConfigDict(env_prefix="MIFI_", extra="ignore")

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "MIFI_DATABASE_URL"))
    db_path: Path | None = None
    demo: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    scheme: str = "miti-4.2.1"
    model_path: Path | None = None
    model_dir: Path | None = None  # where built model versions live (see models_dir)
    train_corpus: Path | None = None  # corpus-format folder models are built from (default: fixtures/corpus)
    train_folds: int = Field(default=5, ge=1, description="cross-validation folds when building a model")
    promote_tolerance: float = Field(default=0.01, ge=0, le=1,
                                     description="how much lower a candidate's macro F1 may be and still count as not worse")
    max_upload_mb: float = 5.0
    review_below: float = Field(default=0.6, ge=0, le=1,
                                description="confidence below which an utterance needs review")
    cookie_secure: bool = False  # set MIFI_COOKIE_SECURE=1 behind HTTPS
    login_days: int = 14
    idle_minutes: int = Field(default=480, ge=0, description="sign out after this long without a request "
                              "(0: only after login_days)")
    login_window_minutes: int = Field(default=15, ge=1, description="how far back failed sign-ins count")
    login_failures_per_account: int = Field(default=5, ge=1, description="failed sign-ins to one account "
                                            "in the window before it is refused (HTTP 429)")
    login_failures_per_address: int = Field(default=20, ge=1, description="failed sign-ins from one "
                                            "address in the window before it is refused (HTTP 429)")
    page_cache: int = Field(default=64, ge=0, description="rendered session pages kept in memory (0: none)")
    redact: bool = Field(default=True, description="redact names and identifiers on ingest (MIFI_REDACT=0: off)")
    redact_kinds: str = Field(default="", description="comma-separated kinds to redact (name, phone, email, "
                              "postcode, nhs_number, date_of_birth, date, address, place); empty: all")
    retention_days: int = Field(default=365, ge=1, description="days raw text is kept before `mifi purge` removes it")

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of the database."""
        if self.database_url:
            return self.database_url
        path = self.db_path or data_dir() / ("mifi-demo.db" if self.demo else "mifi.db")
        return f"sqlite:///{Path(path).expanduser()}"

    @property
    def models_dir(self) -> Path:
        """The model folder: `MIFI_MODEL_DIR`, else `<database>-models/` beside a SQLite file
        (so demo and real models never mix), else `models/` in the per-user data folder."""
        if self.model_dir:
            return Path(self.model_dir).expanduser()
        if not self.database_url:  # a SQLite file; no need to import SQLAlchemy to know that
            db = Path(self.db_path or data_dir() / ("mifi-demo.db" if self.demo else "mifi.db"))
            db = db.expanduser()
            return db.parent / f"{db.stem}-models"
        from sqlalchemy.engine import make_url

        u = make_url(self.url)
        if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:"):
            db = Path(u.database).expanduser()
            return db.parent / f"{db.stem}-models"
        return data_dir() / "models"

    @property
    def redaction(self):  # noqa: ANN201 - RedactionSettings | None, imported lazily
        """What to redact on ingest, or None when redaction is off."""
        if not self.redact:
            return None
        from app.redaction import settings_for

        return settings_for(self.redact_kinds)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1_000_000)


@lru_cache
def get_settings() -> Settings:
    return Settings()
