"""Settings from the environment (prefix ``DIEUHANH_``)."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DIEUHANH_", extra="ignore")

    data_dir: Path = Path("var")
    # Requests served side by side in worker threads (sync endpoints, database and warehouse work).
    request_threads: int = Field(default=6, ge=1, le=200)
    database_url: str | None = None
    warehouse_url: str | None = None
    province_code: str = "37"
    secret_key: str | None = None
    # Public base URL used to build absolute links (open data, DCAT). Empty: the request's own address.
    public_base_url: str | None = None
    max_upload_mb: int = 200
    login_max_failures: int = 5
    login_lockout_seconds: int = 300
    session_max_age_seconds: int = 8 * 3600
    query_timeout_seconds: float = 10.0
    query_max_rows: int = 10_000
    # Cookies marked Secure (set to true behind HTTPS in production).
    secure_cookies: bool = False
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated IPs or networks).
    # Empty: none, the client address is the connection's.
    trusted_proxies: str = ""
    scheduler_enabled: bool = True
    # Mail server for alert notifications by e-mail (none: e-mail channels are recorded as skipped).
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "dieuhanh@localhost"
    # MQTT broker for sensor subscriptions (ingest); only contacted when a subscription is enabled.
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    # Hosts scheduled pulls may call, comma-separated: names (lgsp.ninhbinh.gov.vn), *.domain for its sub-domains,
    # IPs or networks (10.20.0.0/16). Empty: any public host (this machine and private networks only when
    # listed). Link-local and cloud metadata addresses are always refused.
    pull_allowed_hosts: str = ""
    # The same for alert webhooks (DIEUHANH_WEBHOOK_ALLOWED_HOSTS), e.g. the province's LGSP or chat gateway.
    webhook_allowed_hosts: str = ""
    # --- department periodic reports (reporting/)
    # Reminders of periodic reports: N days before the due date, and N days after it when still missing.
    report_remind_days_before: int = 3
    report_remind_days_after: int = 1
    # --- dashboard (dashboard/)
    # Indicator the overview's commune map shows by default (empty: the first commune-level tile).
    dashboard_map_indicator: str | None = None
    # --- public services (publicservices/)
    # Most procedures or dossiers one push (POST /api/v1/publicservices/...) may carry; files import in chunks.
    publicservices_max_records: int = 5000
    # Working-day calendar of rule 2.1 (QĐ 766): Vietnamese public holidays of the `holidays` package, plus these
    # extra days off and minus these working days (ISO dates, comma-separated, e.g. a working Saturday).
    publicservices_extra_holidays: str = ""
    publicservices_working_days: str = ""
    # Rules profile of the Decision 766 indicators: qd766-dvcqg-2026 (default) or qd766_2022 (issue 8's even split).
    publicservices_profile: str = ""
    # --- citizen field reports (feedback/)
    # Possible duplicates: same category, within this distance (metres) and window (days) of an open report.
    feedback_duplicate_distance_m: float = 50.0
    feedback_duplicate_window_days: int = 7
    # Handling deadlines stop running while a report is forwarded to another agency (default: they keep running).
    feedback_pause_when_forwarded: bool = False
    # Public POSTs (web form and Open311), in-process token buckets: per client address, per API key.
    # Raise the per-key limit for a trusted high-volume integration (bench/open311.py needs ≥ 300/s).
    feedback_rate_per_ip_per_minute: int = 10
    feedback_rate_per_key_per_minute: int = 600
    feedback_rate_limit_enabled: bool = True
    # Photos: at most this many per report, each at most this many MB (JPEG, PNG, WebP).
    feedback_max_photos: int = 3
    feedback_max_photo_mb: int = 10
    # --- incoming documents (documents/)
    # Largest document file accepted (PDF, DOCX, text), in MB.
    documents_max_upload_mb: int = 20
    # Below this confidence of the proposed lead department a new document is marked "cần xem" (0–1).
    documents_review_threshold: Annotated[float, Field(ge=0.0, le=1.0)] = 0.6

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'dieuhanh.db').resolve()}"

    @cached_property
    def effective_warehouse_url(self) -> str:
        if self.warehouse_url:
            return self.warehouse_url
        return f"duckdb:///{(self.data_dir / 'warehouse.duckdb').resolve()}"

    @property
    def database_kind(self) -> str:
        return "postgresql" if self.effective_database_url.startswith("postgresql") else "sqlite"

    @property
    def warehouse_kind(self) -> str:
        return "postgresql" if self.effective_warehouse_url.startswith("postgresql") else "duckdb"

    @cached_property
    def effective_secret_key(self) -> str:
        """The configured key, or one generated once into DATA_DIR and kept there."""
        if self.secret_key:
            return self.secret_key
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"


def get_settings() -> Settings:
    return Settings()
