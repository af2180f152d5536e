"""Load: `python -m bench.app_load` against a live `python demo.py` process on the tiny models, 16 concurrent
clients sending 3 requests each (a count, not a duration, so a slow machine does the same work):
no failed request, every answer identical to a single client's for the same seed,
and the server's memory bounded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RSS_GROWTH_LIMIT_MB = 300  # the bound the README states; measured growth is far below it


def test_sixteen_clients_three_requests_each(tiny_models, tiny_directions):
    pytest.importorskip("gradio_client")
    folder = tiny_models["aegan"].parent
    result = subprocess.run(
        [sys.executable, "-m", "bench.app_load", "--checkpoints", str(folder)]
        + ["--clients", "16", "--requests-per-client", "3", "--no-tab-timings"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["failed"] == 0 and report["differing_from_single_client"] == 0, result.stderr[-3000:]
    assert report["server_alive"] and report["clients_completed"] == 16 and report["requests"] == 16 * 3
    assert report["server_rss_mb"]["growth"] <= RSS_GROWTH_LIMIT_MB, report
