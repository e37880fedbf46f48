"""Speed of tfshare's RNN drivers and cells against Keras 3, legacy TF1, PyTorch and
the matmul FLOP bound, as same-run ratios.

Usage::

    python benchmarks/bench_rnn.py                      # all shapes, LSTM and GRU
    python benchmarks/bench_rnn.py --quick              # smoke run (few repetitions)
    python benchmarks/bench_rnn.py --shapes 64x50x128x256 --cells lstm --reps 15

Shapes are ``batch x steps x input x units``. For every shape, cell (LSTM, GRU) and
``sequence_length`` setting (none / varied lengths in ``[T/2, T]``), each row is
timed forward (outputs) and forward+backward (gradients of ``sum(outputs)`` with
respect to the weights), per batch. The rows are run round-robin: repetition 1 of
every row, then repetition 2, ... and the table reports medians, so a load change
on the (shared, noisy) machine hits all rows alike. Rows that need their own
process (legacy TF1, PyTorch) run in worker processes driven by the same
round-robin (see ``_bench_worker.py``).

Rows:

* ``keras``: ``keras.layers.LSTM``/``GRU`` (Keras 3) in a ``tf.function``; the
  reference of the ratios. ``keras_xla``: the same with ``jit_compile=True``.
* ``legacy_tf1``: ``tf.compat.v1.nn.dynamic_rnn`` with the legacy TF1 cells, graph
  mode, ``Session.run`` (needs ``tf_keras``).
* ``torch``: ``torch.nn.LSTM``/``GRU`` (when torch is installed).
* ``dynamic_rnn``: ``tfshare.dynamic_rnn`` (TF1 call style, in a ``tf.function``) as
  configured (fast path on). ``dynamic_rnn_exact``: with the fast path disabled.
* ``fast`` / ``fast_xla``: ``tfshare.fastpath.fast_dynamic_rnn`` called directly,
  without / with XLA.
* ``static_rnn``: ``tfshare.static_rnn`` (unrolled). ``static_rnn_fused``:
  ``tfshare.fastpath.fast_static_rnn``, the fast-path hook for ``static_rnn``.
* ``bidir_dynamic``: ``tfshare.bidirectional_dynamic_rnn``; it does two directions,
  so its ratio is to 2x Keras' time.
* ``keras_rnn_tfshare_cell``: a tfshare cell in ``keras.layers.RNN`` (Keras' loop).
* ``tfshare_rnn``: the same cell in ``tfshare.RNN`` (the fast path).
* ``bound``: FLOPs / (peak ``tf.matmul`` rate). The forward FLOPs are
  ``2·B·T·(I+U)·G·U`` (G = 4 LSTM, 3 GRU), forward+backward 3x that; the rate is
  measured in the same run on ONE ``[B·T, I+U] x [I+U, G·U]`` matmul, the most
  efficient way to do all those FLOPs.

Then the eager-overhead rows: one step of a compat-style model function
(``tfshare.variable_scope`` + ``get_variable`` + a matmul + a tfshare cell step)
called eagerly, against the same model made of Keras layers.
"""
from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

SHAPES = {"ptb": (20, 20, 200, 200), "medium": (64, 50, 128, 256), "char": (32, 100, 64, 512)}
GATES = {"lstm": 4, "gru": 3}
ALL_ROWS = ["keras", "keras_xla", "legacy_tf1", "torch", "dynamic_rnn", "dynamic_rnn_exact",
            "fast", "fast_xla", "static_rnn", "static_rnn_fused", "bidir_dynamic",
            "keras_rnn_tfshare_cell", "tfshare_rnn", "bound"]


def parse_shape(text: str):
    if text in SHAPES:
        return SHAPES[text]
    parts = text.lower().split("x")
    if len(parts) != 4 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(
            f"shape must be BxTxIxU (e.g. 64x50x128x256) or one of {sorted(SHAPES)}; got {text!r}")
    return tuple(int(p) for p in parts)


def lengths_for(batch: int, steps: int):
    rng = np.random.default_rng(0)
    lengths = rng.integers(steps // 2, steps + 1, size=batch)
    lengths[0] = steps
    return lengths.astype(np.int32)


def machine_info() -> dict:
    import tensorflow as tf
    import keras

    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": cpu, "cores": os.cpu_count(), "tensorflow": tf.__version__,
            "keras": keras.__version__, "python": platform.python_version()}
    if importlib.util.find_spec("torch") is not None:
        import importlib.metadata as md
        info["torch"] = md.version("torch")
    try:
        info["loadavg"] = " ".join(f"{v:.1f}" for v in os.getloadavg())
    except OSError:
        pass
    return info


# ---------------------------------------------------------------------------
# In-process rows
# ---------------------------------------------------------------------------

class Case:
    """One (shape, cell, seq) combination and its runnable rows."""

    def __init__(self, shape, cell: str, seq: bool):
        self.shape, self.cell, self.seq = shape, cell, seq
        self.name = f"{cell}_{'x'.join(map(str, shape))}_{'seq' if seq else 'noseq'}"
        self.rows: dict = {}  # row -> {"fwd": callable, "fb": callable}


def _timed(fn, *args):
    import tensorflow as tf

    start = time.perf_counter()
    out = fn(*args)
    for t in tf.nest.flatten(out):
        if hasattr(t, "numpy"):
            t.numpy()
    return time.perf_counter() - start


def build_case(case: Case, rows):
    import keras
    import tensorflow as tf
    import tfshare
    from tfshare import fastpath

    b, t, i, u = case.shape
    rng = np.random.default_rng(0)
    x_bm = tf.constant(rng.uniform(-0.5, 0.5, (b, t, i)).astype(np.float32))
    x_tm = tf.transpose(x_bm, [1, 0, 2])
    seq = tf.constant(lengths_for(b, t)) if case.seq else None
    mask = (tf.range(t)[None, :] < seq[:, None]) if case.seq else None
    cell_cls = tfshare.LSTMCell if case.cell == "lstm" else tfshare.GRUCell

    def add(row, forward, weights_fn):
        """forward() -> outputs; weights_fn() -> variables to differentiate."""
        fwd = tf.function(forward)

        @tf.function
        def fb():
            with tf.GradientTape() as tape:
                loss = tf.add_n([tf.reduce_sum(y) for y in tf.nest.flatten(forward())])
            return tape.gradient(loss, weights_fn())

        case.rows[row] = {"fwd": fwd, "fb": fb}

    if "keras" in rows or "keras_xla" in rows:
        layer_cls = keras.layers.LSTM if case.cell == "lstm" else keras.layers.GRU
        layer = layer_cls(u, return_sequences=True)
        layer(x_bm[:1])
        if "keras" in rows:
            add("keras", lambda: layer(x_bm, mask=mask), lambda: layer.trainable_variables)
        if "keras_xla" in rows:
            fwd = tf.function(lambda: layer(x_bm, mask=mask), jit_compile=True)

            @tf.function(jit_compile=True)
            def fb_xla():
                with tf.GradientTape() as tape:
                    loss = tf.reduce_sum(layer(x_bm, mask=mask))
                return tape.gradient(loss, layer.trainable_variables)

            case.rows["keras_xla"] = {"fwd": fwd, "fb": fb_xla}

    def tf1_driver(row, call, n_cells=1, options=None):
        cells = [cell_cls(u) for _ in range(n_cells)]
        scope = f"bench_{row}_{case.name}"

        def forward():
            prev = fastpath.set_fast_path_options(**options) if options else None
            try:
                with tfshare.variable_scope(scope, reuse=tfshare.AUTO_REUSE):
                    return call(cells)
            finally:
                if prev is not None:
                    fastpath.set_fast_path_options(**prev)

        forward()  # create the variables eagerly, outside the tf.function
        add(row, forward, lambda: [w for c in cells for w in c.trainable_weights])

    if "dynamic_rnn" in rows:
        tf1_driver("dynamic_rnn", lambda c: tfshare.dynamic_rnn(
            c[0], x_bm, sequence_length=seq, dtype=tf.float32)[0])
    if "dynamic_rnn_exact" in rows:
        tf1_driver("dynamic_rnn_exact", lambda c: tfshare.dynamic_rnn(
            c[0], x_bm, sequence_length=seq, dtype=tf.float32)[0], options={"enabled": False})
    if "static_rnn" in rows:
        tf1_driver("static_rnn", lambda c: tfshare.static_rnn(
            c[0], tf.unstack(x_bm, axis=1), sequence_length=seq, dtype=tf.float32)[0])
    if "bidir_dynamic" in rows:
        tf1_driver("bidir_dynamic", lambda c: tfshare.bidirectional_dynamic_rnn(
            c[0], c[1], x_bm, sequence_length=seq, dtype=tf.float32)[0], n_cells=2)
    for row, jit in (("fast", False), ("fast_xla", True)):
        if row in rows:
            cell = cell_cls(u)

            def call(c, cell=cell, jit=jit):
                state = cell.zero_state(b, tf.float32)
                prev = fastpath.set_fast_path_options(jit_compile=jit)
                try:
                    with tfshare.variable_scope("rnn"):
                        out = fastpath.fast_dynamic_rnn(cell, x_tm, state, seq)
                finally:
                    fastpath.set_fast_path_options(**prev)
                if out is None:
                    raise RuntimeError("fast path not applicable")
                return out[0]

            scope_name = f"bench_{row}_{case.name}"
            _in_scope(scope_name, call)
            scope_fn = (lambda call=call, scope_name=scope_name: _in_scope(scope_name, call))
            add(row, scope_fn, lambda cell=cell: cell.trainable_weights)
    if "static_rnn_fused" in rows:
        cell = cell_cls(u)
        steps = tf.unstack(x_bm, axis=1)

        def call_static(c, cell=cell):
            out = fastpath.fast_static_rnn(cell, steps, cell.zero_state(b, tf.float32), seq)
            if out is None:
                raise RuntimeError("static fast path not applicable")
            return out[0]

        scope_name = f"bench_static_fused_{case.name}"
        _in_scope(scope_name, call_static)
        add("static_rnn_fused", lambda: _in_scope(scope_name, call_static),
            lambda: cell.trainable_weights)
    for row, layer_cls in (("keras_rnn_tfshare_cell", keras.layers.RNN),
                           ("tfshare_rnn", tfshare.RNN)):
        if row in rows:
            rnn = layer_cls(cell_cls(u), return_sequences=True)
            rnn(x_bm[:1])
            add(row, lambda rnn=rnn: rnn(x_bm, mask=mask), lambda rnn=rnn: rnn.trainable_variables)
    if "bound" in rows:
        g = GATES[case.cell]
        a = tf.constant(rng.uniform(-1, 1, (b * t, i + u)).astype(np.float32))
        w = tf.constant(rng.uniform(-1, 1, (i + u, g * u)).astype(np.float32))
        mm = tf.function(lambda: tf.matmul(a, w))
        case.rows["bound"] = {"fwd": mm, "fb": mm}  # fb time = 3x (two backward matmuls)


def _in_scope(name, call):
    import tfshare

    with tfshare.variable_scope(name):
        return call(None)


# ---------------------------------------------------------------------------
# Worker-process rows
# ---------------------------------------------------------------------------

class Worker:
    def __init__(self, backend: str, cases):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
        # Idle OpenMP threads must not spin: a worker's spinning threads would steal
        # the cores from the row timed next in the round-robin.
        env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        if backend == "legacy":
            env["TF_USE_LEGACY_KERAS"] = "1"
        spec = [{"name": c.name, "shape": list(c.shape), "cell": c.cell, "seq": c.seq} for c in cases]
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "_bench_worker.py"),
             "--backend", backend, "--cases", json.dumps(spec)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{backend} worker failed to start")
            if line.startswith("{"):
                break

    def run(self, case_name: str, mode: str) -> float:
        self.proc.stdin.write(json.dumps({"case": case_name, "mode": mode}) + "\n")
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("worker died")
            if line.startswith("{"):
                return json.loads(line)["t"]

    def close(self):
        try:
            self.proc.stdin.write(json.dumps({"quit": True}) + "\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=30)
        except Exception:  # pragma: no cover - best effort
            self.proc.kill()


# ---------------------------------------------------------------------------
# Eager overhead
# ---------------------------------------------------------------------------

def eager_overhead(reps: int, batch=20, units=200):
    """Per-step time of an eager compat-style model function vs Keras layers."""
    import keras
    import tensorflow as tf
    import tfshare

    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(-0.5, 0.5, (batch, units)).astype(np.float32))
    cell = tfshare.LSTMCell(units)
    state = [cell.zero_state(batch, tf.float32)]

    def compat_step():
        with tfshare.variable_scope("eager_model", reuse=tfshare.AUTO_REUSE):
            w = tfshare.get_variable("proj", [units, units])
            out, state[0] = cell(tf.matmul(x, w), state[0])
        return out

    dense = keras.layers.Dense(units, use_bias=False)
    kcell = keras.layers.LSTMCell(units, unit_forget_bias=False)
    kstate = [[tf.zeros((batch, units)), tf.zeros((batch, units))]]

    def keras_step():
        out, kstate[0] = kcell(dense(x), kstate[0])
        return out

    tcell = tfshare.LSTMCell(units)
    tdense = keras.layers.Dense(units, use_bias=False)
    tstate = [tcell.zero_state(batch, tf.float32)]

    def tfshare_keras_step():
        out, tstate[0] = tcell(tdense(x), tstate[0])
        return out

    fns = {"keras_layers": keras_step, "compat_scope_get_variable": compat_step,
           "tfshare_cell_keras_mode": tfshare_keras_step}
    for fn in fns.values():
        fn()
    times = {k: [] for k in fns}
    for _ in range(reps):
        for k, fn in fns.items():
            n = 20
            start = time.perf_counter()
            for _ in range(n):
                fn().numpy()
            times[k].append((time.perf_counter() - start) / n)
    return {k: float(np.median(v)) for k, v in times.items()}


# ---------------------------------------------------------------------------
# Where the time goes (--profile)
# ---------------------------------------------------------------------------

def profile_case(shape, cell: str, reps: int) -> dict:
    """Forward+backward of the fused kernel against its parts, per batch (ms):

    * ``fused``: the fast path's forward+backward (no XLA), ``fused_xla``: with XLA;
    * ``sequential_matmuls``: only its step-by-step matmuls, in a ``tf.while_loop``
      of T steps (LSTM: ``h·Kh`` forward, ``dz·Khᵀ`` backward; GRU: two each way),
      the part no batching can speed up;
    * ``big_matmuls``: only its whole-sequence matmuls (``X·Kx`` forward; ``Xᵀ·dZ``,
      ``H_prevᵀ·dZ``, ``dZ·Kxᵀ`` backward; twice for the GRU's two kernels);
    * ``rest``: ``fused`` minus the two: element-wise work, stores, loop overhead.
    """
    import tensorflow as tf
    from tfshare import fastpath

    b, t, i, u = shape
    g = GATES[cell]
    rng = np.random.default_rng(0)
    x = tf.constant(rng.uniform(-0.5, 0.5, (t, b, i)).astype(np.float32))
    h0 = tf.zeros([b, u])
    kernels = ([tf.Variable(rng.uniform(-.1, .1, (i + u, 4 * u)).astype(np.float32)),
                tf.Variable(np.zeros(4 * u, np.float32))] if cell == "lstm" else
               [tf.Variable(rng.uniform(-.1, .1, (i + u, 2 * u)).astype(np.float32)),
                tf.Variable(np.ones(2 * u, np.float32)),
                tf.Variable(rng.uniform(-.1, .1, (i + u, u)).astype(np.float32)),
                tf.Variable(np.zeros(u, np.float32))])

    def fused(jit):
        @tf.function
        def run():
            with tf.GradientTape() as tape:
                if cell == "lstm":
                    y = fastpath.lstm_sequence(x, *kernels, h0, h0, jit_compile=jit)[0]
                else:
                    y = fastpath.gru_sequence(x, *kernels, h0, jit_compile=jit)[0]
                loss = tf.reduce_sum(y)
            return tape.gradient(loss, kernels)
        return run

    # the recurrent kernels: LSTM Kh [U, 4U]; GRU Kgh [U, 2U], Kch [U, U]
    recurrent = [tf.constant(rng.uniform(-.1, .1, (u, n * u)).astype(np.float32))
                 for n in ((4,) if cell == "lstm" else (2, 1))]

    @tf.function
    def sequential():
        def step(k, h, d):
            outs = [tf.matmul(h, w) for w in recurrent]  # forward: h·K
            backs = [tf.matmul(o, w, transpose_b=True) for o, w in zip(outs, recurrent)]  # dz·Kᵀ
            return k + 1, h + 0.0 * backs[0], d + 0.0 * backs[-1]
        return tf.while_loop(lambda k, *_: k < t, step, (0, h0, h0))[1:]

    x2 = tf.reshape(x, [t * b, i])
    hs = tf.constant(rng.uniform(-.5, .5, (t * b, u)).astype(np.float32))
    kx = tf.constant(rng.uniform(-.1, .1, (i, g * u)).astype(np.float32))
    dz = tf.constant(rng.uniform(-.1, .1, (t * b, g * u)).astype(np.float32))

    @tf.function
    def big():
        return [tf.matmul(x2, kx), tf.matmul(x2, dz, transpose_a=True),
                tf.matmul(hs, dz, transpose_a=True), tf.matmul(dz, kx, transpose_b=True)]

    rows = {"fused": fused(False), "fused_xla": fused(True), "sequential_matmuls": sequential,
            "big_matmuls": big}
    for fn in rows.values():
        fn()
        fn()
    times = {k: [] for k in rows}
    for _ in range(reps):
        for k, fn in rows.items():
            times[k].append(_timed(fn))
    med = {k: float(np.median(v)) * 1e3 for k, v in times.items()}
    spread = {k: (float(np.min(v)) * 1e3, float(np.max(v)) * 1e3) for k, v in times.items()}
    med["rest"] = med["fused"] - med["sequential_matmuls"] - med["big_matmuls"]
    return {"median_ms": med, "min_max_ms": spread}


# ---------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few repetitions (smoke run)")
    parser.add_argument("--reps", type=int, default=None, help="repetitions per row (default 9; quick 2)")
    parser.add_argument("--shapes", default="ptb,medium,char",
                        help="comma list of BxTxIxU or names " + ",".join(SHAPES))
    parser.add_argument("--cells", default="lstm,gru", help="comma list of lstm,gru")
    parser.add_argument("--seq", default="no,yes", help="sequence_length settings: no,yes")
    parser.add_argument("--rows", default=",".join(ALL_ROWS), help="comma list of rows to run")
    parser.add_argument("--no-eager", action="store_true", help="skip the eager-overhead rows")
    parser.add_argument("--profile", action="store_true",
                        help="only print where the fused kernel's time goes, per shape and cell")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    shapes = [parse_shape(s) for s in args.shapes.split(",") if s]
    cells = [c for c in args.cells.split(",") if c]
    for c in cells:
        if c not in GATES:
            parser.error(f"--cells: unknown cell {c!r} (use lstm, gru)")
    seqs = [s == "yes" for s in args.seq.split(",") if s]
    rows = [r for r in args.rows.split(",") if r]
    for r in rows:
        if r not in ALL_ROWS:
            parser.error(f"--rows: unknown row {r!r} (use {', '.join(ALL_ROWS)})")
    reps = args.reps or (2 if args.quick else 9)

    import tensorflow as tf  # noqa: F401  (after argument parsing: --help stays fast)

    info = machine_info()
    print("# machine: " + ", ".join(f"{k}={v}" for k, v in info.items()), flush=True)
    if args.profile:
        print("| cell | shape | fused | fused_xla | sequential_matmuls | big_matmuls | rest |")
        print("|---|---|---|---|---|---|---|")
        profiles = {}
        for shape in shapes:
            for cell in cells:
                prof = profile_case(shape, cell, reps)
                profiles[f"{cell}_{'x'.join(map(str, shape))}"] = prof
                med = prof["median_ms"]
                print(f"| {cell} | {'×'.join(map(str, shape))} | " + " | ".join(
                    f"{med[k]:.1f} ms ({med[k] / med['fused']:.0%})"
                    for k in ("fused", "fused_xla", "sequential_matmuls", "big_matmuls", "rest"))
                    + " |", flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"machine": info, "reps": reps, "profile": profiles}, f, indent=1)
        return profiles
    cases = [Case(s, c, q) for s in shapes for c in cells for q in seqs]
    for case in cases:
        build_case(case, [r for r in rows if r not in ("legacy_tf1", "torch")])
    workers = {}
    if "legacy_tf1" in rows and importlib.util.find_spec("tf_keras") is not None:
        workers["legacy_tf1"] = Worker("legacy", cases)
    if "torch" in rows and importlib.util.find_spec("torch") is not None:
        workers["torch"] = Worker("torch", cases)

    def runners(case):
        out = {}
        for row in rows:
            if row in case.rows:
                out[row] = {m: (lambda m=m, row=row: _timed(case.rows[row][m])) for m in ("fwd", "fb")}
            elif row in workers:
                w = workers[row]
                out[row] = {m: (lambda m=m, w=w: w.run(case.name, m)) for m in ("fwd", "fb")}
        return out

    plan = [(case, runners(case)) for case in cases]
    times = {(case.name, row, m): [] for case, rs in plan for row in rs for m in ("fwd", "fb")}
    try:
        for case, rs in plan:  # warm-up: traces, compilations
            print(f"warm-up {case.name}", file=sys.stderr, flush=True)
            for row, fns in rs.items():
                for m in ("fwd", "fb"):
                    fns[m]()
                    fns[m]()
        for rep in range(reps):
            print(f"repetition {rep + 1}/{reps}", file=sys.stderr, flush=True)
            for case, rs in plan:
                for row, fns in rs.items():
                    for m in ("fwd", "fb"):
                        times[(case.name, row, m)].append(fns[m]())
    finally:
        for w in workers.values():
            w.close()

    results = []
    for case, rs in plan:
        med = {(row, m): float(np.median(times[(case.name, row, m)])) for row in rs for m in ("fwd", "fb")}
        if "bound" in rs:
            med[("bound", "fb")] = 3 * med[("bound", "fwd")]
        b, t, i, u = case.shape
        flops = 2.0 * b * t * (i + u) * GATES[case.cell] * u
        header = (f"\n## {case.cell.upper()} B×T×I×U = {'×'.join(map(str, case.shape))}, "
                  f"sequence_length: {'varied' if case.seq else 'none'}  "
                  f"(forward {flops / 1e9:.2f} GFLOP)")
        print(header)
        print(f"| {'row':24s} | fwd ms | fwd/keras | fwd/bound | fwd+bwd ms | f+b/keras | f+b/bound |")
        print("|" + "---|" * 7)
        for row in rs:
            scale = 2.0 if row == "bidir_dynamic" else 1.0
            entry = {"case": case.name, "cell": case.cell, "shape": case.shape, "seq": case.seq,
                     "row": row}
            cells_txt = []
            for m in ("fwd", "fb"):
                v = med[(row, m)]
                k = med.get(("keras", m))
                bd = med.get(("bound", m))
                rk = v / (scale * k) if k else float("nan")
                rb = v / (scale * bd) if bd else float("nan")
                entry.update({m + "_ms": v * 1e3, m + "_vs_keras": rk, m + "_vs_bound": rb})
                cells_txt += [f"{v * 1e3:8.2f}", f"{rk:5.2f}", f"{rb:5.2f}"]
            results.append(entry)
            print(f"| {row:24s} | " + " | ".join(cells_txt) + " |")
    if "bound" in rows:
        print("\n(bound = the case's FLOPs at the rate of one [B·T, I+U]×[I+U, G·U] tf.matmul; "
              "bidir_dynamic ratios are to 2× keras / 2× bound)")
    eager = None
    if not args.no_eager:
        eager = eager_overhead(max(3, reps))
        base = eager["keras_layers"]
        print("\n## Eager overhead: one step (B=20, 200 units: matmul + LSTM cell), called eagerly")
        print("| model | µs/step | vs keras |")
        print("|---|---|---|")
        for k, v in eager.items():
            print(f"| {k} | {v * 1e6:.0f} | {v / base:.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "reps": reps, "results": results, "eager": eager}, f, indent=1)
    return results


if __name__ == "__main__":
    main()
