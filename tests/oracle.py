"""Run code on the TF1 oracles in a subprocess.

Two oracles:

* **the legacy stack** (``run_oracle``): TF 2.21 still runs the real TF1 cells
  and ``tf.compat.v1.layers`` when ``tf_keras`` is installed and
  ``TF_USE_LEGACY_KERAS=1`` is set before TF is imported, so the oracle must run
  in its own process. ``run_oracle(code)`` executes ``code`` there in graph
  mode; the code stores its results in the dict ``OUT`` (numpy arrays, or
  JSON-able values under keys starting with ``json:``), which comes back to the
  caller.
* **real TensorFlow 1.15.5** (``run_tf115``), with ``tf.contrib``, in the Python 3.7
  virtualenv that ``tools/make_tf1_oracle.sh`` builds. It is the truth for
  ``tf.contrib`` and for the checkpoints users have on disk. Same ``OUT``/``IN``
  protocol; ``tf`` is plain ``import tensorflow as tf`` (graph mode, TF 1.x).
  Tests that need it use ``needs_tf115`` (skipped, with the reason, when the
  virtualenv is absent); ``tf115_or_golden`` runs it live when present and
  otherwise reads the committed golden fixture that a ``tests/fixtures`` script
  wrote from the same code.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import textwrap

import numpy as np
import pytest

HAVE_ORACLE = importlib.util.find_spec("tf_keras") is not None

#: Marks a test that needs the legacy implementation (the ``test`` extra installs it).
needs_oracle = pytest.mark.skipif(not HAVE_ORACLE, reason="tf_keras (the TF1 oracle) is not installed")

_PRELUDE = """
import os, json, numpy as np
import tensorflow as tf
tf.compat.v1.disable_eager_execution()
v1 = tf.compat.v1
OUT = {}
"""

_EPILOGUE = """
_arrays = {k: np.asarray(v) for k, v in OUT.items() if not k.startswith("json:")}
_json = {k[5:]: v for k, v in OUT.items() if k.startswith("json:")}
np.savez(os.environ["ORACLE_OUT"] + ".npz", **_arrays)
with open(os.environ["ORACLE_OUT"] + ".json", "w") as _f:
    json.dump(_json, _f)
"""


def run_oracle(code: str, inputs: dict | None = None, timeout: int = 900) -> dict:
    """Run ``code`` on the legacy oracle; return ``OUT``.

    ``inputs`` (a dict of numpy arrays) is available to the code as ``IN``.
    """
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1")
    return _run_script(sys.executable, _PRELUDE, code, inputs, timeout, env, "oracle")


_PRELUDE_TFSHARE_V1 = """
import os, json, numpy as np
import tfshare.compat.v1 as tf
tf.disable_v2_behavior()
tf1 = tf
OUT = {}
"""


def run_tfshare_v1(code: str, inputs: dict | None = None, timeout: int = 900) -> dict:
    """Run ``code`` in a fresh process that starts as migrated TF1 programs do
    (``import tfshare.compat.v1 as tf; tf.disable_v2_behavior()``; also bound
    as ``tf1``); return ``OUT``. Same protocol as :func:`run_oracle`."""
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}
    return _run_script(sys.executable, _PRELUDE_TFSHARE_V1, code, inputs, timeout, env,
                       "tfshare.compat.v1 program")


def _run_script(python: str, prelude: str, code: str, inputs: dict | None, timeout: int,
                env: dict, who: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        if inputs is not None:
            np.savez(os.path.join(tmp, "in.npz"), **inputs)
            prelude += f"IN = dict(np.load({os.path.join(tmp, 'in.npz')!r}))\n"
        script = os.path.join(tmp, "oracle_script.py")
        with open(script, "w") as f:
            f.write(prelude + textwrap.dedent(code) + _EPILOGUE)
        env = dict(env, ORACLE_OUT=out, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="",
                   PYTHONDONTWRITEBYTECODE="1")
        proc = subprocess.run([python, script], env=env, capture_output=True, text=True,
                              timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"{who} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
        result = dict(np.load(out + ".npz"))
        with open(out + ".json") as f:
            result.update({"json:" + k: v for k, v in json.load(f).items()})
        return result


# --------------------------------------------------------------------------- TF 1.15


def tf115_python() -> str | None:
    """The TF 1.15 oracle's interpreter: ``$TFSHARE_TF1_PYTHON``, else
    ``$TFSHARE_TF1_ORACLE_DIR/bin/python`` (default ``~/.cache/tfshare/tf115``),
    if it exists; else ``None``."""
    path = os.environ.get("TFSHARE_TF1_PYTHON")
    if not path:
        base = os.environ.get("TFSHARE_TF1_ORACLE_DIR",
                              os.path.join(os.path.expanduser("~"), ".cache", "tfshare", "tf115"))
        path = os.path.join(base, "bin", "python")
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


HAVE_TF115 = tf115_python() is not None
TF115_MISSING = ("the TF 1.15 oracle is not built (run tools/make_tf1_oracle.sh; it needs "
                 "Python 3.7)")
if not HAVE_TF115 and os.environ.get("TFSHARE_REQUIRE_TF115"):
    # .ci/run built the oracle: its tests must run, not be skipped
    raise RuntimeError("TFSHARE_REQUIRE_TF115 is set but " + TF115_MISSING)

#: Marks a test that needs real TF 1.15 (built by ``tools/make_tf1_oracle.sh``).
needs_tf115 = pytest.mark.skipif(not HAVE_TF115, reason=TF115_MISSING)

_NOT_FOR_TF115 = ("PYTHONPATH", "PYTHONHOME", "TF_USE_LEGACY_KERAS", "TF2_BEHAVIOR",
                  "TPU_ML_PLATFORM", "TPU_ML_PLATFORM_VERSION", "ENABLE_RUNTIME_UPTIME_TELEMETRY")

_PRELUDE_115 = """
import os, json, numpy as np
import tensorflow as tf
assert tf.__version__.startswith("1.15"), tf.__version__
tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
v1 = tf.compat.v1
OUT = {}
"""


def run_tf115(code: str, inputs: dict | None = None, timeout: int = 900) -> dict:
    """Run ``code`` on real TF 1.15.5 (Python 3.7, graph mode); return ``OUT``.

    Same protocol as :func:`run_oracle`: ``IN`` holds ``inputs``; the code
    fills ``OUT`` with arrays, or JSON-able values under ``json:`` keys. The
    code must be valid Python 3.7. Raises ``RuntimeError`` with the oracle's
    stderr when it fails, and when the oracle is not built.
    """
    python = tf115_python()
    if python is None:
        raise RuntimeError(TF115_MISSING)
    # importing TF 2 sets TF2_BEHAVIOR=1 in os.environ, which would switch TF 1.15 to
    # eager/v2 behaviour: the child gets the environment without TF 2's additions
    env = {k: v for k, v in os.environ.items() if k not in _NOT_FOR_TF115}
    return _run_script(python, _PRELUDE_115, code, inputs, timeout, env, "TF 1.15 oracle")


def save_result(result: dict, path: str) -> None:
    """Write an ``OUT`` dict as ``<path>.npz`` + ``<path>.json`` (golden fixture)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    arrays = {k: np.asarray(v) for k, v in result.items() if not k.startswith("json:")}
    np.savez(path + ".npz", **arrays)
    with open(path + ".json", "w") as f:
        json.dump({k[5:]: v for k, v in result.items() if k.startswith("json:")}, f,
                  indent=1, sort_keys=True)
        f.write("\n")


def load_result(path: str) -> dict:
    """Read what :func:`save_result` wrote."""
    with np.load(path + ".npz") as data:
        result = {k: data[k] for k in data.files}
    with open(path + ".json") as f:
        result.update({"json:" + k: v for k, v in json.load(f).items()})
    return result


def shared_result(tmp_path_factory, key: str, compute) -> dict:
    """``compute()`` once per pytest session even under xdist: the first worker
    runs it under a file lock in the session's shared temp root and pickles the
    result; the others read it."""
    import fcntl
    import pickle

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    cache = root / f"shared_{key}.pkl"
    with open(root / f"shared_{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if cache.exists():
                with open(cache, "rb") as f:
                    return pickle.load(f)
            out = compute()
            with open(cache, "wb") as f:
                pickle.dump(out, f)
            return out
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def tf115_or_golden(tmp_path_factory, key: str, code: str, golden: str,
                    inputs: dict | None = None) -> dict:
    """TF 1.15's ``OUT`` for ``code``: live (once per session) when the oracle is
    built, else the committed golden fixture ``golden`` (a path without
    extension, written by a ``tests/fixtures`` script from the same code).

    The result carries ``json:__source__`` = ``"live"`` or ``"golden"``.
    """
    if HAVE_TF115:
        out = dict(shared_result(tmp_path_factory, "tf115_" + key,
                                 lambda: run_tf115(code, inputs)))
        out["json:__source__"] = "live"
        return out
    if not os.path.exists(golden + ".npz"):
        raise FileNotFoundError(f"no TF 1.15 golden fixture at {golden}.npz and {TF115_MISSING}")
    out = load_result(golden)
    out["json:__source__"] = "golden"
    return out
