"""One `Settings` object, built once per process from the environment and `.env`.

Variable names follow the two seed deployments (`DATABASE_URL` or `DB_*`, `REDIS_*`, `ALLOWED_ORIGINS` /
`CORS_ORIGINS`, `CHAT_PROVIDER`, ...), so an operator's existing `.env` keeps working. Two profiles pick the
defaults: `lite` (SQLite, in-process jobs, offline providers, local files: one process on a 1 GB Pi) and
`scale` (PostgreSQL, Redis-backed workers, configured providers). Nothing here reads the environment except
`Settings()` itself; everything else receives the object.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from scriptorium.core.errors import ConfigurationError

Profile = Literal["lite", "scale"]
Environment = Literal["development", "production", "test"]
AuthMode = Literal["none", "local", "supabase"]
StorageBackend = Literal["local", "s3"]
EmbeddingProviderName = Literal["offline", "ollama", "openai", "voyage"]
JobBackend = Literal["sqlite", "redis", "memory"]
LogFormat = Literal["auto", "json", "text"]

CommaList = Annotated[list[str], NoDecode]


def _split_csv(value: Any) -> Any:
    """Accept `a,b` or a JSON-ish list from the environment."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            text = text.strip("[]")
            return [part.strip().strip("'\"") for part in text.split(",") if part.strip()]
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """Every tunable of Scriptorium. Field docstrings feed `docs/configuration.md` and `.env.example`."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        use_attribute_docstrings=True,
        validate_default=True,
        env_ignore_empty=True,
    )

    # --- process --------------------------------------------------------------------------------
    profile: Profile = "lite"
    """`lite`: SQLite, in-process jobs, offline providers. `scale`: PostgreSQL, Redis workers, configured providers."""
    environment: Environment = "development"
    """`development`, `production` or `test`. Production turns on JSON logs and refuses unsafe settings."""
    debug: bool = False
    """Verbose logging. Never exposes exception text to clients."""
    host: str = "127.0.0.1"
    """Address `scriptorium serve` binds."""
    port: int = Field(8000, ge=1, le=65535)
    """Port `scriptorium serve` binds."""
    http_header_timeout_seconds: float = Field(10.0, gt=0, le=300)
    """Time a client has to finish sending a request's headers; then the connection is closed (slowloris)."""
    http_body_timeout_seconds: float = Field(30.0, gt=0, le=3600)
    """Longest pause while a client sends a request body; a longer one is answered 408."""
    http_keep_alive_seconds: int = Field(5, ge=1, le=300)
    """Idle kept-alive connections are closed after this many seconds."""
    http_max_connections: int = Field(500, ge=10)
    """Open connections `serve` accepts at once (each chat stream holds one); more are answered 503."""
    request_max_bytes: int = Field(2_000_000, ge=10_000)
    """Largest request body accepted (JSON and forms); larger ones get 413 before they are read. Uploads
    (`multipart/form-data`) may be as large as the résumé limit plus form overhead."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Minimum log level."""
    log_format: LogFormat = "auto"
    """`json`, `text`, or `auto` (JSON in production, readable text otherwise)."""
    data_dir: Path = Path("./var")
    """Directory for the SQLite database, the job queue file and local storage in `lite`."""
    forwarded_allow_ips: str = "127.0.0.1"
    """Proxies trusted for X-Forwarded-For (comma-separated IPs, or `*` behind Fly's or another trusted proxy)."""
    public_base_url: str = ""
    """Absolute base URL of the API (e.g. `https://api.example.org`). When set, image URLs are absolute."""
    static_dir: Path | None = None
    """Built frontend to serve at `/`. Default: `frontend/dist` beside the source tree, if it exists."""

    # --- database -------------------------------------------------------------------------------
    database_url: str = ""
    """SQLAlchemy URL. Empty: SQLite under DATA_DIR in `lite`, or built from DB_* in `scale`."""
    database_url_override: str = ""
    """Takes precedence over DATABASE_URL (the companion seed's name for a pooled URL)."""
    db_user: str = "postgres"
    """PostgreSQL user, used when DATABASE_URL is empty in `scale`."""
    db_password: SecretStr = SecretStr("")
    """PostgreSQL password, used when DATABASE_URL is empty in `scale`."""
    db_host: str = "127.0.0.1"
    """PostgreSQL host, used when DATABASE_URL is empty in `scale`."""
    db_port: int = Field(5432, ge=1, le=65535)
    """PostgreSQL port. 6543 (Supabase's transaction pooler) turns on pooler mode automatically."""
    db_name: str = "postgres"
    """PostgreSQL database name."""
    db_pooler_mode: bool | None = None
    """Transaction-pooler mode (pgbouncer, Supabase 6543): no client pool, no prepared statements. Default: auto."""
    db_pool_size: int = Field(5, ge=1, le=100)
    """Client pool size outside pooler mode."""
    db_connect_timeout: float = Field(5.0, gt=0, le=120)
    """Seconds to wait for a database connection."""
    db_statement_timeout_ms: int = Field(30_000, ge=0)
    """PostgreSQL statement timeout in milliseconds (0 disables)."""

    # --- jobs -----------------------------------------------------------------------------------
    job_backend: JobBackend | None = None
    """`sqlite` (lite default), `redis` (scale default) or `memory` (tests)."""
    redis_url: str = ""
    """Redis URL. Empty: built from REDIS_HOST/PORT/DB/PASSWORD."""
    redis_host: str = "127.0.0.1"
    """Redis host."""
    redis_port: int = Field(6379, ge=1, le=65535)
    """Redis port."""
    redis_db: int = Field(0, ge=0, le=15)
    """Redis database number."""
    redis_password: SecretStr = SecretStr("")
    """Redis password."""
    queue_name: str = "scriptorium"
    """Job queue name; workers and API must agree."""
    worker_concurrency: int = Field(4, ge=1, le=256)
    """Jobs one process runs at once (they are I/O-bound: many fit in one process)."""
    run_consumer_in_process: bool | None = None
    """Run the job consumer inside `serve`. Default: on in `lite`, off in `scale`."""
    job_lease_seconds: float = Field(60.0, ge=0.5, le=3600)
    """A running job renews its lease; a job whose lease lapses (its worker died) is run again."""
    job_max_attempts: int = Field(3, ge=1, le=20)
    """Attempts before a job is marked failed."""

    # --- providers ------------------------------------------------------------------------------
    chat_provider: str = "offline"
    """Chat model as `provider:model`: `openai:gpt-4o-mini`, `ollama:llama3.2`, `anthropic:claude-...`,
    `fireworks:...`, `openrouter:...`, `openai-compatible:MODEL@http://host/v1`, or `offline`."""
    template_parser_model: str = ""
    """Model for Scribe's template analysis. Empty: CHAT_PROVIDER."""
    email_composer_model: str = ""
    """Model for Scribe's email composition. Empty: CHAT_PROVIDER."""
    llm_timeout_seconds: float = Field(60.0, gt=0, le=600)
    """Per-call timeout for chat models."""
    llm_max_retries: int = Field(3, ge=0, le=10)
    """Retries on 429, 5xx and timeouts, with exponential backoff."""
    llm_extra_headers: dict[str, str] = Field(default_factory=dict)
    """Extra headers on every model request (JSON), e.g. a serverless GPU proxy's auth."""
    modal_proxy_token_id: SecretStr = SecretStr("")
    """Modal proxy auth token id: sent as `Modal-Key` to chat and embedding providers."""
    modal_proxy_token_secret: SecretStr = SecretStr("")
    """Modal proxy auth token secret: sent as `Modal-Secret`."""
    openai_api_key: SecretStr = SecretStr("")
    """API key for `openai:` models and OpenAI embeddings."""
    openai_base_url: str = ""
    """Base URL for `openai:` models (default: OpenAI's)."""
    ollama_base_url: str = "http://127.0.0.1:11434"
    """Ollama server (chat via its OpenAI-compatible `/v1`, embeddings via `/api/embed`)."""
    fireworks_api_key: SecretStr = SecretStr("")
    """API key for `fireworks:` models."""
    openrouter_api_key: SecretStr = SecretStr("")
    """API key for `openrouter:` models."""
    anthropic_api_key: SecretStr = SecretStr("")
    """API key for `anthropic:` models (install the `anthropic` extra)."""
    anthropic_base_url: str = ""
    """Base URL for Anthropic (default: Anthropic's)."""
    embedding_provider: EmbeddingProviderName = "offline"
    """`offline` (bundled static model), `ollama`, `openai` (any compatible server) or `voyage`."""
    embedding_model: str = ""
    """Embedding model name. Empty: the provider's default."""
    embedding_base_url: str = ""
    """Base URL for `openai`/`voyage` embeddings. Empty: the provider's public endpoint."""
    voyage_api_key: SecretStr = SecretStr("")
    """API key for Voyage embeddings."""

    # --- storage --------------------------------------------------------------------------------
    storage_backend: StorageBackend = "local"
    """`local` (files under DATA_DIR/storage) or `s3` (S3-compatible: R2, MinIO, AWS)."""
    s3_endpoint_url: str = ""
    """S3 endpoint. Empty with R2_ACCOUNT_ID set: the account's R2 endpoint."""
    r2_account_id: str = ""
    """Cloudflare R2 account id."""
    r2_access_key_id: SecretStr = SecretStr("")
    """S3/R2 access key id."""
    r2_secret_access_key: SecretStr = SecretStr("")
    """S3/R2 secret access key."""
    r2_bucket: str = "scriptorium"
    """S3/R2 bucket."""
    r2_public_url_prefix: str = ""
    """Public URL prefix for objects (only for content that is not spoiler-gated)."""
    signed_url_seconds: int = Field(300, ge=10, le=86_400)
    """Lifetime of signed media URLs."""

    # --- web research ---------------------------------------------------------------------------
    fetch_allow_hosts: CommaList = Field(default_factory=list)
    """Hosts or CIDRs that safe fetch may reach even though they are private (tests, intranets)."""
    fetch_timeout_seconds: float = Field(10.0, gt=0, le=120)
    """Timeout for one web fetch."""
    fetch_max_bytes: int = Field(3_000_000, ge=1024)
    """Largest response body safe fetch reads."""
    fetch_user_agent: str = "ScriptoriumBot/0.1 (+https://github.com/scriptorium)"
    """User-Agent sent with research requests."""

    # --- mail (Scribe drafts and sending) -------------------------------------------------------
    mail_timeout_seconds: float = Field(20.0, gt=0, le=300)
    """Timeout for one IMAP or SMTP network step (connect, login, append, send)."""
    mail_ca_file: str = ""
    """Extra CA certificates (PEM file) trusted for IMAP/SMTP TLS (a private mail server). Empty: system CAs."""
    mail_dns_nameserver: str = ""
    """Nameserver IP for the SPF/DKIM/DMARC check. Empty: the system resolver."""
    mail_dns_port: int = Field(53, ge=1, le=65535)
    """Port of MAIL_DNS_NAMESERVER."""
    mail_rate_per_minute: int = Field(5, ge=1, le=1000)
    """Default for a new mail account: messages sent per sliding 60 seconds (the user may change it per account)."""
    mail_daily_cap: int = Field(50, ge=1, le=10_000)
    """Default for a new mail account: messages sent per 24 hours."""
    mail_first_send_limit: int = Field(1, ge=1, le=1000)
    """Default for a new mail account: most messages the first real send goes to, unless the user raises it."""
    mail_reply_scan_minutes: int = Field(30, ge=1, le=10_080)
    """Minutes between scans of each mailbox for replies and bounces to drafted or sent emails."""
    mail_inline_wait_seconds: float = Field(120.0, ge=0, le=3600)
    """Longest wait (rate limit, server asked to retry) a send job sleeps through; longer ones pause the run and
    reschedule it, freeing the worker."""

    # --- research sources (Scribe) -----------------------------------------------------------
    openalex_base_url: str = "https://api.openalex.org"
    """OpenAlex API base URL."""
    openalex_mailto: str = ""
    """Contact email for OpenAlex's polite pool."""
    arxiv_base_url: str = "https://export.arxiv.org/api/query"
    """arXiv Atom query endpoint."""
    semantic_scholar_base_url: str = "https://api.semanticscholar.org/graph/v1"
    """Semantic Scholar Graph API base URL."""
    semantic_scholar_api_key: SecretStr = SecretStr("")
    """Semantic Scholar API key (optional; raises rate limits)."""
    exa_api_key: SecretStr = SecretStr("")
    """Exa search API key. With it, Scribe searches the web for each recipient."""
    exa_base_url: str = "https://api.exa.ai"
    """Exa API base URL."""
    searxng_url: str = ""
    """SearXNG instance URL (alternative to Exa)."""
    research_timeout_seconds: float = Field(12.0, gt=0, le=120)
    """Timeout for each research source; one slow source never fails an email."""
    browser_fallback: bool = False
    """Render JavaScript-only pages with headless Chromium (costs ~400 MB; install the `browser` extra)."""
    chromium_path: str = "/usr/bin/chromium"
    """Chromium executable for the browser fallback."""

    # --- Scribe ---------------------------------------------------------------------------------
    scribe_daily_quota: int = Field(200, ge=0)
    """Emails one user may generate per day (0 = unlimited)."""
    scribe_batch_max: int = Field(100, ge=1, le=1000)
    """Most recipients in one batch."""
    scribe_dedupe_days: int = Field(30, ge=0)
    """Flag recipients emailed within this many days."""
    scribe_resume_uploads_per_day: int = Field(5, ge=0)
    """Templates generated from a résumé per user per day."""
    scribe_resume_max_bytes: int = Field(5_000_000, ge=10_000)
    """Largest résumé PDF accepted."""
    scribe_dry_run_retention_days: int = Field(7, ge=1, le=3650)
    """Days a finished dry run (a `scriptorium doctor` probe) is kept with its job and usage rows; older ones are
    deleted when the same user submits the next one."""

    # --- Companion ------------------------------------------------------------------------------
    companion_message_max_chars: int = Field(2000, ge=1, le=20_000)
    """Longest chat message accepted."""
    companion_rate_limit_per_minute: int = Field(20, ge=1)
    """Chat messages per client per minute."""
    companion_retrieval_k: int = Field(6, ge=1, le=50)
    """Passages retrieved per question."""
    companion_legacy_image_urls: bool = False
    """Give `GET /api/episodes/{slug}` image links for every page even without a session, for the original
    companion's client (it never sends one). Trades away the guarantee that images past a reader's page need a
    session: anyone can then view every page of an episode. See docs/companion.md."""

    # --- HTTP and auth --------------------------------------------------------------------------
    allowed_origins: CommaList = Field(default_factory=list)
    """Origins allowed by CORS, comma-separated (the Scribe seed's name)."""
    cors_origins: CommaList = Field(default_factory=list)
    """Same as ALLOWED_ORIGINS (the Companion seed's name); both lists are merged."""
    auth_mode: AuthMode = "none"
    """`none` (single local user, loopback only), `local` (accounts), `supabase` (verify Supabase JWTs)."""
    secret_key: SecretStr = SecretStr("dev-insecure-change-me")
    """Signs local tokens and media URLs. Must be changed outside `lite` development."""
    token_ttl_seconds: int = Field(7 * 24 * 3600, ge=60)
    """Lifetime of local sign-in tokens."""
    auth_login_attempts: int = Field(10, ge=1, le=10_000)
    """Sign-ins one client address may try per AUTH_LOGIN_WINDOW_SECONDS; registrations get their own count."""
    auth_login_window_seconds: float = Field(60.0, gt=0, le=86_400)
    """Seconds in which spent AUTH_LOGIN_ATTEMPTS refill. Counted per API process: each replica on its own."""
    supabase_url: str = ""
    """Supabase project URL (JWKS at `/auth/v1/.well-known/jwks.json`); with SUPABASE_ANON_KEY the UI signs in there."""
    supabase_anon_key: str = ""
    """Supabase anon (publishable) key: public by design; lets the UI offer email and password sign-in."""
    supabase_oauth_providers: CommaList = Field(default_factory=list)
    """OAuth providers enabled in the Supabase project that the UI offers as buttons, e.g. `google,github`."""
    supabase_jwt_secret: SecretStr = SecretStr("")
    """Supabase legacy HS256 JWT secret."""
    supabase_jwks: str = ""
    """Supabase JWKS document (JSON) for asymmetric keys, verified locally with no call per request."""
    admin_emails: CommaList = Field(default_factory=list)
    """Users with these emails get the admin role."""

    # --- telemetry ------------------------------------------------------------------------------
    logfire_token: SecretStr = SecretStr("")
    """Logfire write token. Empty: no traces leave the machine."""
    otel_exporter_otlp_endpoint: str = ""
    """OTLP/HTTP endpoint for a self-hosted collector."""

    @field_validator(
        "fetch_allow_hosts",
        "allowed_origins",
        "cors_origins",
        "admin_emails",
        "supabase_oauth_providers",
        mode="before",
    )
    @classmethod
    def _csv(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("supabase_oauth_providers")
    @classmethod
    def _provider_names(cls, value: list[str]) -> list[str]:
        names = [name.lower() for name in value]
        for name in names:
            if not re.fullmatch(r"[a-z][a-z0-9_]{1,30}", name):
                raise ValueError(f"{name!r} is not a Supabase provider name (like google, github, azure)")
        return names

    @field_validator("allowed_origins", "cors_origins")
    @classmethod
    def _origins_are_urls(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(f"origin {origin!r} must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production":
            if self.secret_key.get_secret_value() in {"", "dev-insecure-change-me", "changeme"}:
                raise ValueError("SECRET_KEY must be set to a random value in production")
            if self.auth_mode == "none":
                raise ValueError("AUTH_MODE=none is refused in production; use local or supabase")
        if self.auth_mode == "supabase" and not (
            self.supabase_jwt_secret.get_secret_value() or self.supabase_jwks.strip()
        ):
            raise ValueError("AUTH_MODE=supabase needs SUPABASE_JWT_SECRET or SUPABASE_JWKS to verify tokens")
        if self.auth_mode == "none" and not _is_loopback(self.host):
            raise ValueError(f"AUTH_MODE=none only binds loopback; HOST={self.host!r} needs local or supabase")
        return self

    # --- derived --------------------------------------------------------------------------------
    @property
    def effective_database_url(self) -> str:
        """The URL the engine connects to, with the profile's default when nothing is set."""
        url = self.database_url_override or self.database_url
        if url:
            return url
        if self.profile == "scale":
            password = quote(self.db_password.get_secret_value(), safe="")
            auth = f"{quote(self.db_user, safe='')}:{password}" if password else quote(self.db_user, safe="")
            return f"postgresql+psycopg://{auth}@{self.db_host}:{self.db_port}/{self.db_name}"
        return f"sqlite+aiosqlite:///{(self.data_dir / 'scriptorium.db').resolve()}"

    @property
    def effective_job_backend(self) -> JobBackend:
        return self.job_backend or ("redis" if self.profile == "scale" else "sqlite")

    @property
    def effective_redis_url(self) -> str:
        if self.redis_url:
            return self.redis_url
        password = self.redis_password.get_secret_value()
        auth = f":{quote(password, safe='')}@" if password else ""
        return f"redis://{auth}{self.redis_host}:{self.redis_port}/{self.redis_db}"

    @property
    def consumer_in_process(self) -> bool:
        if self.run_consumer_in_process is not None:
            return self.run_consumer_in_process
        return self.profile == "lite"

    @property
    def origins(self) -> list[str]:
        """ALLOWED_ORIGINS and CORS_ORIGINS merged, without trailing slashes, order kept."""
        merged: list[str] = []
        for origin in [*self.allowed_origins, *self.cors_origins]:
            normalized = origin.rstrip("/")
            if normalized not in merged:
                merged.append(normalized)
        return merged

    @property
    def model_headers(self) -> dict[str, str]:
        """Headers for every model and embedding request (Modal proxy auth plus LLM_EXTRA_HEADERS)."""
        headers = dict(self.llm_extra_headers)
        if self.modal_proxy_token_id.get_secret_value():
            headers["Modal-Key"] = self.modal_proxy_token_id.get_secret_value()
            headers["Modal-Secret"] = self.modal_proxy_token_secret.get_secret_value()
        return headers

    def model_for(self, purpose: Literal["chat", "template", "compose"]) -> str:
        """The `provider:model` string for one purpose, falling back to CHAT_PROVIDER."""
        specific = {"chat": "", "template": self.template_parser_model, "compose": self.email_composer_model}
        return specific[purpose] or self.chat_provider


def _is_loopback(host: str) -> bool:
    if host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning validation errors into one readable line per bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = "_".join(str(part) for part in error["loc"]).upper() or "configuration"
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"{name}: {message}" if error["loc"] else message)
        raise ConfigurationError("; ".join(lines)) from None


SECRET_FIELDS = frozenset(name for name, field in Settings.model_fields.items() if field.annotation is SecretStr)


def masked(settings: Settings) -> dict[str, Any]:
    """The effective configuration as plain data, secrets shown as `***` (or empty when unset)."""
    data: dict[str, Any] = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = "***" if value.get_secret_value() else ""
        elif isinstance(value, Path):
            value = str(value)
        elif name in {"database_url", "database_url_override", "redis_url"}:
            value = _mask_url(value)
        elif name == "llm_extra_headers":
            # These carry a proxy's credentials (Modal-Key/Modal-Secret): show which headers are set, not their values.
            value = {header: "***" for header in value}
        data[name] = value
    data["effective_database_url"] = _mask_url(settings.effective_database_url)
    data["effective_redis_url"] = _mask_url(settings.effective_redis_url)
    data["effective_job_backend"] = settings.effective_job_backend
    return data


def _mask_url(url: str) -> str:
    """Hide the password part of a URL (`user:***@host`)."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url
