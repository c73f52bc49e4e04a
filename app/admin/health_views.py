"""System health for admins: what `moksori doctor` watches (failed mail, retention runs, backups,
trusted timestamps, the TLS certificate, disk space), in the reader's language, worst first. Read
only and without the network, so it is worked out on every view; no JavaScript."""
from __future__ import annotations

import os

from flask import current_app, render_template
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

import config
from app.admin import bp
from app.extensions import db
from app.services.ops import watch
from app.services.ops.findings import LEVELS, OK, PROBLEM, WARNING, Installation, worst

CHECK_NAMES = {"mail": _l("E-mail"), "retention": _l("Automatic deletion"), "backups": _l("Backups"),
               "timestamps": _l("Trusted timestamps"), "tls": _l("TLS certificate"), "disk space": _l("Disk space")}
LEVEL_NAMES = {OK: _l("OK"), WARNING: _l("Warning"), PROBLEM: _l("Problem")}


@bp.route("/health")
def system_health():
    installation = Installation(config=current_app.config, session=db.session(), environ=dict(os.environ),
                                instance_dir=str(config.INSTANCE_DIR), database_ok=True, gettext=gettext)
    findings = sorted(watch.run(installation), key=lambda finding: -LEVELS.index(finding.level))
    return render_template("admin/health.html", findings=findings, status=worst(findings),
                           check_names=CHECK_NAMES, level_names=LEVEL_NAMES)
