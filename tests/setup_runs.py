"""The TF1 setups a program may choose, and one subprocess per setup.

``tf.compat.v1.disable_v2_behavior()`` and the switches it flips are
process-global, so every setup runs in its own Python process. That process
applies the setup's switches first, then runs every registered *job*
(``module:function``) and returns what they put in their ``OUT`` dict. The
result of a setup is computed once per pytest session and shared by the
xdist workers (``oracle.shared_result``).

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

HERE = os.path.dirname(os.path.abspath(__file__))

#: setup name -> the ``tf.compat.v1`` switches its programs call first
SETUPS = {
    "eager": (),  # TF 2's defaults: eager; TF1 graphs via tf.Graph().as_default()
    "graph": ("disable_eager_execution",),
    "v1": ("disable_v2_behavior",),
    "tensorshape": ("disable_v2_tensorshape",),
    "ref_variables": ("disable_resource_variables",),
    "control_flow_v1": ("disable_control_flow_v2",),
}
#: setups in which eager execution is still on (graph mode via tf.Graph())
EAGER_SETUPS = [s for s, switches in SETUPS.items()
                if not {"disable_eager_execution", "disable_v2_behavior"} & set(switches)]

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
os.environ["TFSHARE_TF1_SETUP"] = {setup!r}
import tensorflow as tf
for switch in {switches!r}:
    getattr(tf.compat.v1, switch)()
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
                here=HERE, setup=setup, switches=SETUPS[setup], jobs=tuple(jobs),
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


def setup_result(tmp_path_factory, setup: str) -> dict:
    """``run_setup(setup)`` once per pytest session (shared across xdist workers).

    With the live TF 1.15 oracle, its program runs come first, so that the
    setup's programs also restore the checkpoints TF 1.15 wrote."""
    from compat_programs import tf115_results, tf115_workdir
    from oracle import HAVE_TF115, shared_result

    env = {}
    if HAVE_TF115:
        tf115_results(tmp_path_factory)
        env["TFSHARE_TF115_PROGRAMS"] = tf115_workdir(tmp_path_factory)
    return shared_result(tmp_path_factory, "setup_" + setup,
                         lambda: run_setup(setup, setup_workdir(tmp_path_factory, setup),
                                           env=env))


def job_out(tmp_path_factory, setup: str, job: str) -> dict:
    """The ``OUT`` of ``job`` under ``setup``; a job that crashed fails the caller."""
    out = setup_result(tmp_path_factory, setup)[job]
    if "error" in out:
        raise AssertionError(f"job {job} crashed under setup {setup!r}:\n{out['error']}")
    return out


def current_setup() -> str:
    """The setup of this process (``eager`` in the pytest process itself)."""
    return os.environ.get("TFSHARE_TF1_SETUP", "eager")


def eager_available() -> bool:
    """Does this process's setup leave eager execution on?"""
    return current_setup() in EAGER_SETUPS


_MEMO: dict = {}


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
        key = (setup, self.job)
        if key not in _MEMO:
            _MEMO[key] = job_out(tmp_path_factory, setup, self.job)
        return _MEMO[key][f"{name}[{mode}]"]
