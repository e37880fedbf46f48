"""Checkpoint memory and time: partial restore, whole-tensor restore, save, rename.

Part 1, partial restore from a large checkpoint. Generates a >= 1 GB TF1
checkpoint (100 variables of 10 MB, float32 [2500, 1000]) and a Keras
``.weights.h5`` file of the same tensors in a temporary directory, then
restores 1% of the tensors (one variable) with several methods, each in its
own subprocess so that its peak RSS (``ru_maxrss``) is its own:

* ``baseline``: imports + the target variable, no restore (the floor);
* ``tfshare.restore``, from the TF1 checkpoint and from the ``.weights.h5``;
* ``load_checkpoint`` + ``get_tensor`` + ``assign`` (the manual recipe);
* ``tf.train.Checkpoint(...).restore`` (name-based fallback for TF1 files);
* ``tf.compat.v1.train.init_from_checkpoint`` and ``Saver(var_list).restore``
  (graph mode);
* Keras ``load_weights`` (a Keras model must hold all the file's weights, so
  this one loads 100%).

Part 2, memory bounds on big tensors (``--big-mb``, default 800 MB, written as
4 tensors of a quarter each for save/rename): each row's peak over its own
floor, measured in its subprocess as the high-water mark after resetting it
(``/proc/self/clear_refs``) minus the resident set just before the operation,
and divided by the restored bytes (restore rows) or by the largest tensor
(save/rename rows). tfshare's bounds: restore <= 1.3x the restored bytes; save
and rename <= the largest tensor plus a constant.

Run: ``python benchmarks/bench_restore.py [--n 100] [--mb 10] [--big-mb 800]
[--part 1|2] [--keep DIR]``. Not part of the test suite.
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
def _status(key):
    import re
    return int(re.search(key + r":\\s+(\\d+)", open("/proc/self/status").read()).group(1)) / 1024
def floor():
    # reset the high-water mark; return the resident set now (MB)
    import gc
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status("VmRSS")
def over(rss0, t0, per_mb, extra=None):
    out = dict(seconds=time.perf_counter() - t0, over_mb=_status("VmHWM") - rss0, per_mb=per_mb)
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


BIG_PRELUDE = """
BIG = {big_rows}; QUARTER = BIG // 4
"""

GENERATE_BIG = """
t0 = time.perf_counter()
v = tf.Variable(tf.random.uniform((BIG, 1000)))
tfshare.save({"big/kernel": v}, os.path.join(D, "big", "model"))
del v
inp = keras.Input((BIG,))
model = keras.Model(inp, keras.layers.Dense(1000, use_bias=False, name="big")(inp))
model.layers[-1].kernel.assign(tfshare.load_variable(os.path.join(D, "big"), "big/kernel"))
model.save_weights(os.path.join(D, "big.weights.h5"))
done(t0)
"""

BIG_METHODS = {
    "tfshare.restore, TF ckpt (1 tensor)": """
v = tf.Variable(tf.zeros((BIG, 1000)))
rss0 = floor(); t0 = time.perf_counter()
tfshare.restore({"big/kernel": v}, os.path.join(D, "big"))
over(rss0, t0, BIG * 1000 * 4 / 2**20, dict(check=float(v[0, 0])))
""",
    "tfshare.restore, .weights.h5 (1 tensor)": """
inp = keras.Input((BIG,))
model = keras.Model(inp, keras.layers.Dense(1000, use_bias=False, name="big",
                                            kernel_initializer="zeros")(inp))
rss0 = floor(); t0 = time.perf_counter()
tfshare.restore(model, os.path.join(D, "big.weights.h5"))
over(rss0, t0, BIG * 1000 * 4 / 2**20, dict(check=float(model.weights[0][0, 0])))
""",
    "load_checkpoint + get_tensor + assign": """
v = tf.Variable(tf.zeros((BIG, 1000)))
rss0 = floor(); t0 = time.perf_counter()
v.assign(tf.train.load_checkpoint(os.path.join(D, "big")).get_tensor("big/kernel"))
over(rss0, t0, BIG * 1000 * 4 / 2**20, dict(check=float(v[0, 0])))
""",
    "raw RestoreV2 + assign (the floor)": """
v = tf.Variable(tf.zeros((BIG, 1000)))
rss0 = floor(); t0 = time.perf_counter()
v.assign(tf.raw_ops.RestoreV2(prefix=tf.train.latest_checkpoint(os.path.join(D, "big")),
                              tensor_names=["big/kernel"], shape_and_slices=[""],
                              dtypes=[tf.float32])[0])
over(rss0, t0, BIG * 1000 * 4 / 2**20, dict(check=float(v[0, 0])))
""",
    "tfshare.save (4 tensors)": """
vs = {f"q{i}/kernel": tf.Variable(tf.fill((QUARTER, 1000), float(i))) for i in range(4)}
rss0 = floor(); t0 = time.perf_counter()
tfshare.save(vs, os.path.join(D, "saved", "model"))
over(rss0, t0, QUARTER * 1000 * 4 / 2**20)
""",
    "tf.train.Checkpoint.write (4 tensors)": """
vs = {f"q{i}": tf.Variable(tf.fill((QUARTER, 1000), float(i))) for i in range(4)}
rss0 = floor(); t0 = time.perf_counter()
tf.train.Checkpoint(**vs).write(os.path.join(D, "tfckpt", "model"))
over(rss0, t0, QUARTER * 1000 * 4 / 2**20)
""",
    "tfshare rename (CLI, 4 tensors)": """
from tfshare import cli
import io
rss0 = floor(); t0 = time.perf_counter()
code = cli.main(["rename", os.path.join(D, "saved"), os.path.join(D, "renamed", "model"),
                 "--map", "q0/=r0/", "--no-progress"], stdout=io.StringIO())
assert code == 0
over(rss0, t0, QUARTER * 1000 * 4 / 2**20)
""",
}


def _run(code: str, fmt: dict) -> dict:
    script = PRELUDE.format(**fmt) + textwrap.dedent(code).replace("{big_rows}", str(fmt["big_rows"]))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT"):
            return json.loads(line[6:])
    errs = [l for l in proc.stderr.strip().splitlines() if "Error" in l or "error" in l]
    return {"error": (errs or proc.stderr.strip().splitlines() or ["?"])[-1][:160]}


def _table(results: dict, header: tuple, row) -> None:
    print("{:42s} {:>9s} {:>14s} {:>14s}".format(*header))
    for name, r in results.items():
        if "error" in r:
            print(f"{name:42s} error: {r['error']}")
        else:
            print(row(name, r))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="number of variables")
    ap.add_argument("--mb", type=float, default=10.0, help="MB per variable")
    ap.add_argument("--k", type=int, default=None, help="variables to restore (default 1%%)")
    ap.add_argument("--big-mb", type=float, default=800.0, help="MB of the part-2 tensor")
    ap.add_argument("--part", choices=["1", "2"], help="run only this part")
    ap.add_argument("--keep", help="directory to use and keep (default: a temporary one)")
    args = ap.parse_args()
    rows = max(1, int(args.mb * 2**20 / 4 / 1000))
    k = args.k or max(1, args.n // 100)
    d = args.keep or tempfile.mkdtemp(prefix="tfshare_bench_")
    big_rows = max(4, int(args.big_mb * 2**20 / 4 / 1000)) // 4 * 4
    fmt = dict(d=d, n=args.n, rows=rows, k=k, big_rows=big_rows)
    try:
        if args.part in (None, "1"):
            _part1(args, d, fmt, rows, k)
        if args.part in (None, "2"):
            _part2(d, fmt, big_rows)
    finally:
        if not args.keep:
            shutil.rmtree(d, ignore_errors=True)


def _part1(args, d: str, fmt: dict, rows: int, k: int) -> None:
    if not os.path.exists(os.path.join(d, "model.weights.h5")):
        print(f"generating {args.n} x {rows * 1000 * 4 / 2**20:.1f} MB in {d} ...", flush=True)
        r = _run(GENERATE, fmt)
        if "error" in r:
            raise SystemExit(f"generation failed: {r['error']}")
    size = sum(os.path.getsize(os.path.join(root, f))
               for root, _, fs in os.walk(os.path.join(d, "tf1")) for f in fs)
    print(f"Part 1. TF1 checkpoint: {size / 1e9:.2f} GB ({size / 2**30:.2f} GiB); restoring {k} of "
          f"{args.n} tensors ({k * rows * 1000 * 4 / 2**20:.0f} MB)\n")
    results = {name: _run(code, fmt) for name, code in METHODS.items()}
    base = results["baseline (imports + target)"].get("maxrss_mb", 0.0)
    _table(results, ("method", "time (s)", "peak RSS (MB)", "over baseline"),
           lambda name, r: f"{name:42s} {r['seconds']:9.3f} {r['maxrss_mb']:14.0f} "
                           f"{r['maxrss_mb'] - base:14.0f}")


def _part2(d: str, fmt: dict, big_rows: int) -> None:
    mb = big_rows * 1000 * 4 / 2**20
    print(f"\nPart 2. One {mb:.0f} MB tensor (restore rows), four of {mb / 4:.0f} MB (save/rename "
          "rows)\n", flush=True)
    r = _run(BIG_PRELUDE + GENERATE_BIG, fmt)
    if "error" in r:
        raise SystemExit(f"generation failed: {r['error']}")
    results = {name: _run(BIG_PRELUDE + code, fmt) for name, code in BIG_METHODS.items()}
    _table(results, ("method", "time (s)", "over floor (MB)", "x bytes"),
           lambda name, r: f"{name:42s} {r['seconds']:9.3f} {r['over_mb']:14.0f} "
                           f"{r['over_mb'] / r['per_mb']:14.2f}")
    print("\n'x bytes': restore rows over the restored bytes; save/rename rows over the largest tensor")


if __name__ == "__main__":
    main()
