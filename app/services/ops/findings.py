"""What the checks of an installation return (`moksori doctor`, the admin's System health
page): one Finding per thing looked at, at one of three levels, and the Installation they look
at. The words are English for the command line; the admin page passes its own gettext, so the
same checks speak Korean there (Installation.gettext)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

OK, WARNING, PROBLEM = "ok", "warning", "problem"
LEVELS = (OK, WARNING, PROBLEM)
# `moksori doctor`'s exit status, as monitoring plugins use it: the worst level found.
EXIT_CODES = {OK: 0, WARNING: 1, PROBLEM: 2}


@dataclass(frozen=True)
class Finding:
    check: str
    level: str  # ok, warning or problem
    message: str


def english(text: str, **values) -> str:
    """The gettext of the command line: the msgid itself, with its %(name)s values filled."""
    return text % values if values else text


@dataclass
class Installation:
    """What the checks look at: the app's settings and the machine's, passed in explicitly."""

    config: Mapping
    session: Session
    environ: Mapping[str, str] = field(default_factory=dict)
    expected_heads: set[str] = field(default_factory=set)
    static_dir: str = ""
    code_dir: str = ""
    instance_dir: str = ""
    onion_hostname_file: str = "/var/lib/tor/moksori/hostname"
    nginx_conf: str = "/etc/moksori/nginx/moksori-common.conf"
    database_ok: bool = False  # set by the database check; the checks that read tables need it
    gettext: Callable[..., str] = english
    now: datetime | None = None  # the checks' "now" (tests set it); None: the clock's

    @property
    def production(self) -> bool:
        return self.config.get("ENV_NAME") == "production"

    def setting(self, name: str, default: str = "") -> str:
        """A setting from the app's configuration, else from the environment (the settings file
        that `moksori` and the systemd units load), else `default`."""
        return str(self.config.get(name) or self.environ.get(name) or default)


def worst(findings: list[Finding]) -> str:
    return max((finding.level for finding in findings), key=LEVELS.index, default=OK)
