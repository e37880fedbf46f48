"""One subprocess per TF1 setup, running every setup-aware job of the RNN suites.

The setups are those of ``tf1_setups`` (``tf.compat.v1.disable_v2_behavior()``
and the switches it flips, each process-global). A setup process imports
``tf1_setups`` with ``TFSHARE_TF1_SETUP=<setup>`` (which applies the
switches), then runs every registered *job* (``module:function``) and returns
what they put in their ``OUT`` dicts. The result of a setup is computed once
per pytest session and shared by the xdist workers (``oracle.shared_result``).

A job is ``fn(out: dict, setup: str, workdir: str) -> None``; it fills
``out`` with numpy arrays or picklable values. An exception in a job is
recorded under ``"<job>/error"`` (the traceback), so the other jobs still
report.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import textwrap
import time

import tf1_setups

HERE = os.path.dirname(os.path.abspath(__file__))

SETUPS = tf1_setups.SETUPS
#: setups in which eager execution is still on (graph mode via tf.Graph())
EAGER_SETUPS = [s for s in SETUPS if tf1_setups.EXPECTED[s]["eager"]]

#: the jobs every setup process runs, in order
JOBS = (
    "test_rnn_api:run_cases",
    "test_rnn_tf_cases:run_cases",
    "test_rnn_oracle:run_configs",
    "compat_programs:run_tfshare_setup",
)

_SCRIPT = """
import os, pickle, sys, traceback
sys.path.insert(0, {here!r})
os.environ[{env!r}] = {setup!r}
import tf1_setups  # applies the setup's switches
assert tf1_setups.in_force() == tf1_setups.EXPECTED[{setup!r}], tf1_setups.in_force()
import importlib
results = {{}}
import time
results["cpu_seconds"] = {{"start": round(time.process_time(), 2)}}
for job in {jobs!r}:
    module, fn = job.split(":")
    out = results[job] = {{}}
    start = time.process_time()
    try:
        getattr(importlib.import_module(module), fn)(out, {setup!r}, {workdir!r})
    except BaseException:
        out["error"] = traceback.format_exc()[-6000:]
    results["cpu_seconds"][job] = round(time.process_time() - start, 2)
with open({result!r}, "wb") as f:
    pickle.dump(results, f)
"""


def run_setup(setup: str, workdir: str, jobs=JOBS, timeout: int = 900,
              env: dict | None = None) -> dict:
    """Run ``jobs`` in a fresh process under ``setup``; return ``{job: OUT}``.
    ``env`` adds environment variables for the jobs."""
    os.makedirs(workdir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        result = os.path.join(tmp, "result.pkl")
        script = os.path.join(tmp, "setup_script.py")
        with open(script, "w") as f:
            f.write(textwrap.dedent(_SCRIPT.format(
                here=HERE, env=tf1_setups.ENV, setup=setup, jobs=tuple(jobs),
                workdir=workdir, result=result)))
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="",
                   PYTHONDONTWRITEBYTECODE="1", **(env or {}))
        env.pop("TF_USE_LEGACY_KERAS", None)
        proc = subprocess.run([sys.executable, script], env=env, capture_output=True,
                              text=True, timeout=timeout)
        if proc.returncode != 0 or not os.path.exists(result):
            raise RuntimeError(f"setup {setup!r} process failed (exit {proc.returncode}):\n"
                               f"{proc.stderr[-4000:]}")
        with open(result, "rb") as f:
            return pickle.load(f)


def setup_workdir(tmp_path_factory, setup: str) -> str:
    from compat_programs import shared_root

    return str(shared_root(tmp_path_factory) / "setup_runs" / setup)


_MEMO: dict = {}  # setup -> result, per test process


def setup_result(tmp_path_factory, setup: str) -> dict:
    """``run_setup(setup)`` once per pytest session (shared across xdist workers).

    With the live TF 1.15 oracle, its program runs come first, so that the
    setup's programs also restore the checkpoints TF 1.15 wrote."""
    from compat_programs import tf115_results, tf115_workdir
    from oracle import HAVE_TF115, shared_result

    if setup in _MEMO:
        return _MEMO[setup]
    env = {}
    if HAVE_TF115:
        tf115_results(tmp_path_factory)
        env["TFSHARE_TF115_PROGRAMS"] = tf115_workdir(tmp_path_factory)
    _MEMO[setup] = shared_result(
        tmp_path_factory, "setup_" + setup,
        lambda: run_setup(setup, setup_workdir(tmp_path_factory, setup), env=env))
    return _MEMO[setup]


def job_out(tmp_path_factory, setup: str, job: str) -> dict:
    """The ``OUT`` of ``job`` under ``setup``; a job that crashed fails the caller."""
    out = setup_result(tmp_path_factory, setup)[job]
    if "error" in out:
        raise AssertionError(f"job {job} crashed under setup {setup!r}:\n{out['error']}")
    return out


class Cases:
    """Test cases that run in every setup process (a parametrized test, not copies).

    ``@cases.case("graph", "eager")`` registers ``fn(mode)``; ``mode`` is
    ``"graph"`` (the case builds a ``tf.Graph`` itself; available in every
    setup), ``"eager"`` or ``"function"`` (eager setups only). The setup
    process runs them all (job ``<module>:run_cases``) and records ``"ok"`` or
    the traceback; :meth:`params` gives the pytest parameters
    ``(setup, name, mode)``. ``xfail={"setup": reason}`` (or ``"setup:mode"``;
    ``"*"``: every setup) marks known failures owned elsewhere (strict: they
    flip to a failure once fixed).
    """

    def __init__(self, job: str):
        self.job = job
        self.cases: dict = {}

    def case(self, *modes: str, xfail: dict | None = None):
        def register(fn):
            self.cases[fn.__name__] = (fn, modes, dict(xfail or {}))
            return fn
        return register

    @staticmethod
    def _available(mode: str, setup: str) -> bool:
        return mode == "graph" or setup in EAGER_SETUPS

    def params(self) -> list:
        import pytest

        out = []
        for setup in SETUPS:
            for name, (_, modes, xfail) in self.cases.items():
                for mode in modes:
                    if not self._available(mode, setup):
                        continue
                    reason = xfail.get(f"{setup}:{mode}", xfail.get(setup, xfail.get("*")))
                    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                    out.append(pytest.param(setup, name, mode, marks=marks,
                                            id=f"{setup}-{name}-{mode}"))
        return out

    def run(self, out: dict, setup: str, workdir: str) -> None:
        import traceback

        import tfshare

        out["seconds"] = {}
        for name, (fn, modes, _) in self.cases.items():
            for mode in modes:
                if not self._available(mode, setup):
                    continue
                tfshare.reset_default_graph()
                start = time.perf_counter()
                try:
                    fn(mode)
                    out[f"{name}[{mode}]"] = "ok"
                except BaseException:  # noqa: BLE001 - reported to the test
                    out[f"{name}[{mode}]"] = traceback.format_exc()[-6000:]
                out["seconds"][f"{name}[{mode}]"] = round(time.perf_counter() - start, 2)

    def outcome(self, tmp_path_factory, setup: str, name: str, mode: str) -> str:
        return job_out(tmp_path_factory, setup, self.job)[f"{name}[{mode}]"]
