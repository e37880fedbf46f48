"""Partial restore from a large checkpoint: time and peak memory.

Generates a >= 1 GB TF1 checkpoint (100 variables of 10 MB, float32
[2500, 1000]) and a Keras ``.weights.h5`` file of the same tensors in a
temporary directory, then restores 1% of the tensors (one variable) with
several methods, each in its own subprocess so that its peak RSS
(``ru_maxrss``) is its own:

* ``baseline``: imports + the target variable, no restore (the floor);
* ``tfshare.restore``, from the TF1 checkpoint and from the ``.weights.h5``;
* ``load_checkpoint`` + ``get_tensor`` + ``assign`` (the manual recipe);
* ``tf.train.Checkpoint(...).restore`` (name-based fallback for TF1 files);
* ``tf.compat.v1.train.init_from_checkpoint`` and ``Saver(var_list).restore``
  (graph mode);
* Keras ``load_weights`` (a Keras model must hold all the file's weights, so
  this one loads 100%).

Run: ``python benchmarks/bench_restore.py [--n 100] [--mb 10] [--keep DIR]``.
Not part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap

PRELUDE = """
import os, sys, time, json, resource
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np
import tensorflow as tf
import keras
import tfshare
D = {d!r}; N = {n}; SHAPE = ({rows}, 1000); K = {k}
NAMES = [f"layer_{{i:03d}}/kernel" for i in range(N)]
PICK = NAMES[:K]
def done(t0, extra=None):
    out = dict(seconds=time.perf_counter() - t0,
               maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out.update(extra or {{}})
    print("RESULT" + json.dumps(out))
"""

GENERATE = """
t0 = time.perf_counter()
rng = np.random.default_rng(0)
tensors = {name: rng.standard_normal(SHAPE, dtype=np.float32) for name in NAMES}
tfshare.write_checkpoint(os.path.join(D, "tf1", "model"), tensors)
inp = keras.Input((SHAPE[0],))
layers = [keras.layers.Dense(SHAPE[1], use_bias=False, name=f"layer_{i:03d}") for i in range(N)]
outs = [l(inp) for l in layers]
model = keras.Model(inp, outs)
for l, name in zip(layers, NAMES):
    l.kernel.assign(tensors[name])
model.save_weights(os.path.join(D, "model.weights.h5"))
done(t0)
"""

METHODS = {
    "baseline (imports + target)": """
vs = {n: tf.Variable(tf.zeros(SHAPE)) for n in PICK}
t0 = time.perf_counter()
done(t0)
""",
    "tfshare.restore (TF1 ckpt)": """
vs = {n: tf.Variable(tf.zeros(SHAPE)) for n in PICK}
t0 = time.perf_counter()
rep = tfshare.restore(vs, os.path.join(D, "tf1"))
assert len(rep.restored) == K
done(t0, dict(check=float(vs[PICK[0]][0, 0])))
""",
    "tfshare.restore (.weights.h5)": """
inp = keras.Input((SHAPE[0],))
outs = [keras.layers.Dense(SHAPE[1], use_bias=False, name=n.split("/")[0])(inp) for n in PICK]
model = keras.Model(inp, outs)
t0 = time.perf_counter()
rep = tfshare.restore(model, os.path.join(D, "model.weights.h5"))
assert len(rep.restored) == K
done(t0, dict(check=float(model.weights[0][0, 0])))
""",
    "load_checkpoint + assign (manual)": """
vs = {n: tf.Variable(tf.zeros(SHAPE)) for n in PICK}
t0 = time.perf_counter()
r = tf.train.load_checkpoint(os.path.join(D, "tf1"))
for n, v in vs.items():
    v.assign(r.get_tensor(n))
done(t0, dict(check=float(vs[PICK[0]][0, 0])))
""",
    "tf.train.Checkpoint.restore (name-based)": """
vs = [tf.Variable(tf.zeros(SHAPE), name=n) for n in PICK]
t0 = time.perf_counter()
ck = tf.train.Checkpoint(**{f"v{i}": v for i, v in enumerate(vs)})
ck.restore(tf.train.latest_checkpoint(os.path.join(D, "tf1"))).run_restore_ops()
done(t0, dict(check=float(vs[0][0, 0])))
""",
    "init_from_checkpoint (graph)": """
tf.compat.v1.disable_eager_execution()
v1 = tf.compat.v1
vs = [v1.get_variable(n, SHAPE, initializer=v1.zeros_initializer()) for n in PICK]
t0 = time.perf_counter()
v1.train.init_from_checkpoint(os.path.join(D, "tf1"), {n: n for n in PICK})
with v1.Session() as s:
    s.run(v1.global_variables_initializer())
    c = s.run(vs[0])[0, 0]
done(t0, dict(check=float(c)))
""",
    "Saver(var_list).restore (graph)": """
tf.compat.v1.disable_eager_execution()
v1 = tf.compat.v1
vs = [v1.get_variable(n, SHAPE, initializer=v1.zeros_initializer()) for n in PICK]
t0 = time.perf_counter()
with v1.Session() as s:
    v1.train.Saver(vs).restore(s, tf.train.latest_checkpoint(os.path.join(D, "tf1")))
    c = s.run(vs[0])[0, 0]
done(t0, dict(check=float(c)))
""",
    "keras load_weights (100%, .weights.h5)": """
inp = keras.Input((SHAPE[0],))
outs = [keras.layers.Dense(SHAPE[1], use_bias=False, name=n.split("/")[0])(inp) for n in NAMES]
model = keras.Model(inp, outs)
t0 = time.perf_counter()
model.load_weights(os.path.join(D, "model.weights.h5"))
done(t0, dict(check=float(model.weights[0][0, 0])))
""",
}


def _run(code: str, fmt: dict) -> dict:
    script = PRELUDE.format(**fmt) + textwrap.dedent(code)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT"):
            return json.loads(line[6:])
    errs = [l for l in proc.stderr.strip().splitlines() if "Error" in l or "error" in l]
    return {"error": (errs or proc.stderr.strip().splitlines() or ["?"])[-1][:160]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="number of variables")
    ap.add_argument("--mb", type=float, default=10.0, help="MB per variable")
    ap.add_argument("--k", type=int, default=None, help="variables to restore (default 1%%)")
    ap.add_argument("--keep", help="directory to use and keep (default: a temporary one)")
    args = ap.parse_args()
    rows = max(1, int(args.mb * 2**20 / 4 / 1000))
    k = args.k or max(1, args.n // 100)
    d = args.keep or tempfile.mkdtemp(prefix="tfshare_bench_")
    fmt = dict(d=d, n=args.n, rows=rows, k=k)
    try:
        if not os.path.exists(os.path.join(d, "model.weights.h5")):
            print(f"generating {args.n} x {rows * 1000 * 4 / 2**20:.1f} MB in {d} ...", flush=True)
            r = _run(GENERATE, fmt)
            if "error" in r:
                raise SystemExit(f"generation failed: {r['error']}")
        size = sum(os.path.getsize(os.path.join(root, f))
                   for root, _, fs in os.walk(d) for f in fs if "tf1" in root)
        print(f"TF1 checkpoint: {size / 1e9:.2f} GB ({size / 2**30:.2f} GiB); restoring {k} of {args.n} tensors "
              f"({k * rows * 1000 * 4 / 2**20:.0f} MB)\n")
        results = {name: _run(code, fmt) for name, code in METHODS.items()}
        base = results["baseline (imports + target)"].get("maxrss_mb", 0.0)
        print(f"{'method':42s} {'time (s)':>9s} {'peak RSS (MB)':>14s} {'over baseline':>14s}")
        for name, r in results.items():
            if "error" in r:
                print(f"{name:42s} error: {r['error']}")
                continue
            print(f"{name:42s} {r['seconds']:9.3f} {r['maxrss_mb']:14.0f} {r['maxrss_mb'] - base:14.0f}")
    finally:
        if not args.keep:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
