"""Run code on the legacy TF1 implementation (the oracle) in a subprocess.

TF 2.21 still runs the real TF1 cells and ``tf.compat.v1.layers`` when
``tf_keras`` is installed and ``TF_USE_LEGACY_KERAS=1`` is set before TF is
imported, so the oracle must run in its own process. ``run_oracle(code)``
executes ``code`` there in graph mode; the code stores its results in the dict
``OUT`` (numpy arrays, or JSON-able values under keys starting with ``json:``),
which comes back to the caller.
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
    """Run ``code`` on the oracle; return ``OUT``.

    ``inputs`` (a dict of numpy arrays) is available to the code as ``IN``.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        prelude = _PRELUDE
        if inputs is not None:
            np.savez(os.path.join(tmp, "in.npz"), **inputs)
            prelude += f"IN = dict(np.load({os.path.join(tmp, 'in.npz')!r}))\n"
        script = os.path.join(tmp, "oracle_script.py")
        with open(script, "w") as f:
            f.write(prelude + textwrap.dedent(code) + _EPILOGUE)
        env = dict(os.environ, TF_USE_LEGACY_KERAS="1", ORACLE_OUT=out, TF_CPP_MIN_LOG_LEVEL="3",
                   CUDA_VISIBLE_DEVICES="")
        proc = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True,
                              timeout=timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"oracle failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
        result = dict(np.load(out + ".npz"))
        with open(out + ".json") as f:
            result.update({"json:" + k: v for k, v in json.load(f).items()})
        return result
