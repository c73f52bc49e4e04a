"""Settings, read from the environment (DESIGN §5).

Every setting has a safe development default so that `make run` needs no environment
variable: development keys are generated once into instance/. Production (APP_ENV=production)
refuses to start without SECRET_KEY and DATA_ENCRYPTION_KEY, because a generated key would
silently make encrypted data unreadable after a redeploy.
"""
from __future__ import annotations

import base64
import os
import re
import secrets
from pathlib import Path
from typing import Any, ClassVar

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", BASE_DIR / "instance"))


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number, got {value!r}") from exc


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a number, got {value!r}") from exc


def _instance_secret(filename: str, make) -> str:
    """Read a development key from instance/, creating it once (mode 0600)."""
    path = INSTANCE_DIR / filename
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
    return path.read_text().strip()


def new_data_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


class Config:
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    DATA_ENCRYPTION_KEY = os.environ.get("DATA_ENCRYPTION_KEY")

    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'moksori.sqlite3'}"
    )
    # One dict for the class and every app made from it: Flask-SQLAlchemy copies it, never changes it.
    # hide_parameters: no bound value in an error's text or in statement logging (DESIGN §7).
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict[str, Any]] = {"pool_pre_ping": True, "hide_parameters": True}
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = _env_int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", False)
    MAIL_FROM = os.environ.get("MAIL_FROM", "moksori@localhost")
    # Sender of the neutral "new message" notices to submitters. The report form promises they
    # name neither the organization nor the site: a sender that names it is refused at start,
    # and production must set one (an address at a general mail provider is best).
    SUBMITTER_NOTICE_FROM = os.environ.get("SUBMITTER_NOTICE_FROM", "")
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # The onion service's address (deploy/tor): pages served over HTTPS offer it to Tor Browser
    # with an Onion-Location header, and `flask doctor` checks it.
    ONION_ADDRESS = os.environ.get("ONION_ADDRESS", "").strip().lower().removeprefix("http://").rstrip("/")
    # Behind deploy/'s nginx every request comes from nginx, so the rate limits would count all
    # visitors together. nginx passes who the visitor is in this header instead — the address on
    # HTTPS, the Tor circuit on the onion service — and the app believes it only from the
    # addresses gunicorn trusts (FORWARDED_ALLOW_IPS). Empty: the connection's own address.
    CLIENT_ADDRESS_HEADER = os.environ.get("CLIENT_ADDRESS_HEADER", "").strip()
    TRUSTED_PROXIES = frozenset(a.strip() for a in os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1").split(",")
                                if a.strip())
    MAIL_TIMEOUT_SECONDS = _env_float("MAIL_TIMEOUT_SECONDS", 30)
    # The outbox worker (`flask outbox send`). 0 messages per second means no pacing: right for
    # a local relay that queues; set it to a hosted relay's allowance (e.g. 14 for Amazon SES).
    OUTBOX_RATE_PER_SECOND = _env_float("OUTBOX_RATE_PER_SECOND", 0)
    OUTBOX_BATCH_SIZE = _env_int("OUTBOX_BATCH_SIZE", 100)  # messages per SMTP connection
    OUTBOX_MAX_ATTEMPTS = _env_int("OUTBOX_MAX_ATTEMPTS", 8)
    # Retry n waits OUTBOX_RETRY_BASE_SECONDS * 2**(n-1): 1, 2, 4 … 64 minutes by default.
    OUTBOX_RETRY_BASE_SECONDS = _env_int("OUTBOX_RETRY_BASE_SECONDS", 60)
    OUTBOX_POLL_SECONDS = _env_int("OUTBOX_POLL_SECONDS", 10)
    # Subscription links: a confirmation link must be used soon; preference and unsubscribe
    # links stay valid long enough that an old e-mail's link still works.
    SUBSCRIPTION_CONFIRM_HOURS = _env_int("SUBSCRIPTION_CONFIRM_HOURS", 72)
    SUBSCRIPTION_LINK_DAYS = _env_int("SUBSCRIPTION_LINK_DAYS", 730)

    # Search index upkeep (app/sealed/search/worker.py): a staff request indexes a few waiting
    # submissions and leaves a backlog, merges and re-keying to a background thread. Tests do
    # everything in the request, so that what they search for is indexed when they look.
    SEARCH_WORK_INLINE = False
    # The unfiltered dashboard shows the numbers of the last count of every item and starts a
    # new count in the background when they are older than this (app/services/triage/snapshot.py);
    # 0 counts on every page (filtered dashboards are always counted per page).
    DASHBOARD_RECOUNT_SECONDS = _env_int("DASHBOARD_RECOUNT_SECONDS", 300)

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    # Only for load benchmarks from one address; never turn this off in production.
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    # Per-file limit; the whole request may carry MAX_TOTAL_UPLOAD_MB of files.
    MAX_UPLOAD_MB = _env_int("MAX_UPLOAD_MB", 25)
    MAX_TOTAL_UPLOAD_MB = _env_int("MAX_TOTAL_UPLOAD_MB", 100)
    MAX_FILES_PER_SUBMISSION = _env_int("MAX_FILES_PER_SUBMISSION", 10)
    RETENTION_DAYS = _env_int("RETENTION_DAYS", 3650)
    # Encrypted backups (`moksori backup create`, the moksori-backup timer): where, and for how long.
    BACKUP_DIR = os.environ.get("BACKUP_DIR", str(INSTANCE_DIR / "backups"))
    BACKUP_KEEP_DAYS = _env_int("BACKUP_KEEP_DAYS", 14)
    # PostgreSQL: the scratch databases of a restore or drill are named PREFIX + purpose + random
    # (default: the live database's name and "_"); the role needs CREATEDB.
    BACKUP_SCRATCH_DB_PREFIX = os.environ.get("BACKUP_SCRATCH_DB_PREFIX") or None
    ORG_NAME_KO = os.environ.get("ORG_NAME_KO", "목소리")
    ORG_NAME_EN = os.environ.get("ORG_NAME_EN", "Moksori")
    TIMEZONE = os.environ.get("TIMEZONE", "Asia/Seoul")
    # Trusted timestamps (SECURITY.md, "Trusted timestamps"): the RFC 3161 authorities asked in
    # turn for a token over each batch's root (space-separated; none by default, and `flask
    # doctor` warns), and the roots their tokens must chain to (a PEM file; empty: the system's
    # store). The timer makes a batch every TSA_INTERVAL_MINUTES when something new waits.
    TSA_URLS = tuple(os.environ.get("TSA_URLS", "").split())
    TSA_CA_FILE = os.environ.get("TSA_CA_FILE", "").strip()
    TSA_INTERVAL_MINUTES = _env_int("TSA_INTERVAL_MINUTES", 60)
    TSA_TIMEOUT_SECONDS = _env_float("TSA_TIMEOUT_SECONDS", 10)
    # Where "빨리 나가기 / Leave quickly" leads, per page language: a page that is ordinary to
    # have open where the readers are and says nothing about why they were here (README, "Quick
    # exit"). QUICK_EXIT_AUDIENCE picks documented defaults (QUICK_EXIT_PRESETS); a language's
    # own setting, or the older QUICK_EXIT_URL for both, overrides them.
    QUICK_EXIT_AUDIENCE = os.environ.get("QUICK_EXIT_AUDIENCE", "china").strip()
    QUICK_EXIT_URL = os.environ.get("QUICK_EXIT_URL", "").strip()
    QUICK_EXIT_URL_KO = os.environ.get("QUICK_EXIT_URL_KO", "").strip()
    QUICK_EXIT_URL_EN = os.environ.get("QUICK_EXIT_URL_EN", "").strip()
    # Public pages that are the same for every visitor are rendered once per worker and kept
    # (app/public/page_cache.py). Not an environment setting: off only for a test that changes
    # the configuration of an application that has already served pages.
    KEEP_PUBLIC_PAGES = True

    BABEL_DEFAULT_LOCALE = "ko"
    BABEL_DEFAULT_TIMEZONE = "UTC"  # stored times are UTC; i18n.py shows them in TIMEZONE
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 4 * 3600  # a long report takes time to write; the form must not expire under it
    # Flask-WTF's HTTPS check wants a Referer, which Referrer-Policy: no-referrer never sends:
    # every form failed behind HTTPS. Fetch metadata and Origin replace it (app/extensions.py).
    WTF_CSRF_SSL_STRICT = False
    SESSION_COOKIE_HTTPONLY = True
    # Strict: no other site can make a browser send the session (staff and submitters alike).
    SESSION_COOKIE_SAMESITE = "Strict"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = 30 * 60
    SECURITY_HSTS = False

    @classmethod
    def finalize(cls) -> dict:
        """Resolve derived settings into a plain dict for app.config."""
        settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
        if not settings["SECRET_KEY"]:
            settings["SECRET_KEY"] = _instance_secret("secret_key", lambda: secrets.token_urlsafe(48))
        if not settings["DATA_ENCRYPTION_KEY"]:
            settings["DATA_ENCRYPTION_KEY"] = _instance_secret("data_encryption_key", new_data_key)
        # Werkzeug answers 413 itself past this size; the form checks the per-file limit.
        settings["MAX_CONTENT_LENGTH"] = (settings["MAX_TOTAL_UPLOAD_MB"] + 1) * 1024 * 1024
        # Form fields other than files are kept in memory; 20,000 characters of Hangul is 60 kB.
        settings["MAX_FORM_MEMORY_SIZE"] = 2 * 1024 * 1024
        settings["SUBMITTER_NOTICE_FROM"] = neutral_notice_sender(settings, cls.ENV_NAME == "production")
        if settings["ONION_ADDRESS"] and not ONION_V3.fullmatch(settings["ONION_ADDRESS"]):
            raise ConfigurationError(
                f"ONION_ADDRESS must be a version 3 onion address (56 letters and digits, then .onion), as in the "
                f"onion service's hostname file; got {settings['ONION_ADDRESS']!r}")
        settings["QUICK_EXIT_URLS"] = quick_exit_urls(settings)
        for url in settings["TSA_URLS"]:
            if not WEB_ADDRESS.fullmatch(url):
                raise ConfigurationError(f"TSA_URLS must list whole web addresses (https://…) of time-stamping "
                                         f"authorities, separated by spaces; got {url!r}")
        return settings


# Where "Leave quickly" leads by default, for the readers a deployment expects (README, "Quick
# exit"). China: the China Meteorological Administration's weather site — ordinary in a phone
# check there, reachable without a VPN, and harmless in any other country's history; a South
# Korean portal in the history of someone in China is itself a sign of contact with the South.
# Korea: Naver's weather page, which millions open every day in South Korea.
QUICK_EXIT_PRESETS = {
    "china": {"ko": "https://www.weather.com.cn/", "en": "https://www.weather.com.cn/"},
    "korea": {"ko": "https://weather.naver.com/", "en": "https://www.bbc.com/weather"},
}
WEB_ADDRESS = re.compile(r"https?://[^\s/?#]+(?:[/?#]\S*)?")


def quick_exit_urls(settings: dict) -> dict[str, str]:
    """The quick exit's destination for each page language, checked."""
    audience = settings["QUICK_EXIT_AUDIENCE"]
    if audience not in QUICK_EXIT_PRESETS:
        raise ConfigurationError(
            f"QUICK_EXIT_AUDIENCE must be one of {', '.join(QUICK_EXIT_PRESETS)} (where most readers are: it "
            f"chooses where \"Leave quickly\" leads); got {audience!r}")
    urls = {}
    for lang, preset in QUICK_EXIT_PRESETS[audience].items():
        name = f"QUICK_EXIT_URL_{lang.upper()}"
        chosen = settings[name] or settings["QUICK_EXIT_URL"] or preset
        if not WEB_ADDRESS.fullmatch(chosen):
            raise ConfigurationError(
                f"{name if settings[name] else 'QUICK_EXIT_URL'} must be a whole web address starting with "
                f"https:// (the neutral page that \"Leave quickly\" opens); got {chosen!r}")
        urls[lang] = chosen
    return urls


ONION_V3 = re.compile(r"[a-z2-7]{56}\.onion")


DEFAULT_NOTICE_SENDER = "알림 <notice@example.invalid>"


def neutral_notice_sender(settings: dict, production: bool) -> str:
    """SUBMITTER_NOTICE_FROM, refused when it names the organization (in its display name,
    address or domain); outside production a neutral placeholder when unset."""
    sender = settings["SUBMITTER_NOTICE_FROM"].strip()
    if not sender:
        if production:
            raise ConfigurationError(
                "Set SUBMITTER_NOTICE_FROM to the sender of the neutral \"new message\" notices to submitters, "
                "e.g. \"알림 <someone@general-mail-provider.example>\". It must not name the organization.")
        return DEFAULT_NOTICE_SENDER
    def squeezed(text: str) -> str:  # "Hope Bridge" is named by hopebridge.org too
        return "".join(ch for ch in text.casefold() if ch.isalnum())

    names = {settings["ORG_NAME_KO"], settings["ORG_NAME_EN"], "Moksori", "목소리"}
    named = sorted(name for name in names if squeezed(name) and squeezed(name) in squeezed(sender))
    if named:
        raise ConfigurationError(
            f"SUBMITTER_NOTICE_FROM ({sender}) names the organization ({', '.join(named)}). Notices to submitters "
            "must not say who they are from: use a neutral name and an address that does not name it.")
    return sender


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    # `make run` on a fresh clone: the first report creates the organization's keys and
    # writes the recovery code to instance/ (never in production: there an admin creates them).
    DEVELOPMENT_KEYS_FILE = str(INSTANCE_DIR / "DEVELOPMENT-RECOVERY-CODE.txt")


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    DATA_ENCRYPTION_KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"
    # Argon2id (time, memory KiB, lanes) for key wraps and receipt codes: cheap in tests only.
    # Each wrap records its parameters, so production data never depends on this.
    KEY_KDF = (1, 8, 1)
    SEARCH_WORK_INLINE = True


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    SECURITY_HSTS = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def finalize(cls) -> dict:
        missing = [name for name in ("SECRET_KEY", "DATA_ENCRYPTION_KEY") if not os.environ.get(name)]
        if missing:
            raise ConfigurationError(
                "Moksori refuses to start in production without "
                + " and ".join(missing)
                + ". Set them in the environment; generate a data key with "
                "`python -c \"import config; print(config.new_data_key())\"` and keep it in a safe "
                "place: without it, encrypted files and contact details cannot be read."
            )
        return super().finalize()


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_for(name: str | None) -> type[Config]:
    name = (name or "development").strip().lower()
    if name not in CONFIGS:
        raise ConfigurationError(f"APP_ENV must be one of {', '.join(CONFIGS)}, got {name!r}")
    return CONFIGS[name]
