"""The attack suite's run-wide settings: the seed is printed once, and rate limits (which a
real visitor would hit long before a hundred hostile submissions) are lifted for these tests
only — what is tested here is escaping and storage, not the limits (tests/public, tests/staff)."""
from __future__ import annotations

import pytest

from app.extensions import limiter
from tests.attack import strings


@pytest.fixture(scope="session", autouse=True)
def _announce_seed(request):
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    mode = "the full corpus (ATTACK_FULL)" if strings.full() else "a sample"
    line = (f"attack corpus: {len(strings.CORPUS)} strings + {len(strings.RAW)} byte sequences; sending {mode}, "
            f"ATTACK_SEED={strings.seed()}")
    if reporter is not None:
        reporter.write_line(line)
    else:
        print(line)


@pytest.fixture(autouse=True)
def _no_rate_limits(app):
    limiter.enabled = False
    yield
    limiter.enabled = True
