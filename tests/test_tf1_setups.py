"""The variables, partitioned-variable and ``tf.layers`` suites under every TF1 setup.

TF1 programs start with a process-global switch (``disable_v2_behavior()``,
``disable_eager_execution()``, or one of the switches it makes on its own:
``disable_v2_tensorshape()``, ``disable_resource_variables()``,
``disable_control_flow_v2()``). The setup-aware suites (those that import
``tests/tf1_setups.py``) run in this process in eager mode, and here once per
other setup, in one subprocess per setup (``TFSHARE_TF1_SETUP=<setup>``). The
subprocesses compare with the committed TF 1.15 goldens (the main process
compares live when the oracle is built).
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import tf1_setups

HERE = os.path.dirname(os.path.abspath(__file__))
SUITES = ["test_variables.py", "test_partitioned.py", "test_layers.py"]


@pytest.mark.parametrize("setup", [s for s in tf1_setups.SETUPS if s != "eager"])
def test_suites_pass_under_setup(setup):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_TESTRUNUID", "PYTEST_ADDOPTS",
                        "TFSHARE_REQUIRE_TF115")}
    env.update({tf1_setups.ENV: setup, "TF_CPP_MIN_LOG_LEVEL": "3",
                # the goldens, not the live oracle: one TF 1.15 run per test session
                "TFSHARE_TF1_PYTHON": os.path.join(HERE, "no-tf115-in-setup-runs")})
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "-W", "ignore::DeprecationWarning", *[os.path.join(HERE, s) for s in SUITES]],
        env=env, cwd=os.path.dirname(HERE), capture_output=True, text=True, timeout=900)
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    assert proc.returncode == 0, f"{setup}: {summary}\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}"
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary


def test_every_setup_is_known_and_checked():
    assert set(tf1_setups.SETUPS) == set(tf1_setups.EXPECTED)
    # each setup differs from eager mode in what TF reports
    for name, expected in tf1_setups.EXPECTED.items():
        if name != "eager":
            assert expected != tf1_setups.EXPECTED["eager"], name
