"""licaudit sets how polars' allocator gives memory back (licaudit/__init__.py)."""

from __future__ import annotations

import os
import subprocess
import sys

CONF = "_RJEM_MALLOC_CONF"


def _conf_seen(environment: dict[str, str]) -> str:
    """The allocator setting a fresh interpreter has once licaudit is imported."""
    script = f"import os, licaudit; print(os.environ.get({CONF!r}, ''))"
    done = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_importing_licaudit_makes_polars_keep_freed_memory_five_seconds_in_few_arenas() -> None:
    environment = {key: value for key, value in os.environ.items() if key != CONF}
    arenas = max(1, (os.cpu_count() or 2) // 2)
    assert _conf_seen(environment) == (
        f"dirty_decay_ms:5000,muzzy_decay_ms:0,narenas:{arenas},oversize_threshold:0"
    )


def test_an_allocator_setting_given_outside_wins_over_licaudits() -> None:
    environment = {**os.environ, CONF: "dirty_decay_ms:5000"}
    assert _conf_seen(environment) == "dirty_decay_ms:5000"
