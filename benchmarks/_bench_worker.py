"""Timing worker for ``bench_rnn.py``: runs the cases that need their own process.

* ``--backend legacy``: TF1's ``tf.compat.v1.nn.dynamic_rnn`` with the legacy cells
  (``tf_keras`` with ``TF_USE_LEGACY_KERAS=1``, set by the parent) in graph mode,
  timed with ``Session.run``.
* ``--backend torch``: PyTorch ``nn.LSTM`` / ``nn.GRU`` (oneDNN on CPU), in its own
  process so that its OpenMP thread pool does not fight TensorFlow's.

Protocol (one JSON per line): the parent sends the list of cases on the command
line; the worker builds them and prints ``{"ready": [names]}``; then for each
line ``{"case": name, "mode": "fwd"|"fb"}`` on stdin it runs that case once and
prints ``{"t": seconds}``. So the parent interleaves these cases round-robin
with its own, and every timing is taken while the same load is on the machine.
"""
import argparse
import json
import os
import sys
import time

import numpy as np


def _lengths(batch, steps, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(steps // 2, steps + 1, size=batch)
    lengths[0] = steps
    return lengths.astype(np.int32)


def build_legacy(cases):
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    v1 = tf.compat.v1
    sess = v1.Session(config=v1.ConfigProto(inter_op_parallelism_threads=0,
                                            intra_op_parallelism_threads=0))
    runners = {}
    for case in cases:
        b, t, i, u = case["shape"]
        rng = np.random.default_rng(0)
        x = tf.constant(rng.uniform(-0.5, 0.5, (b, t, i)).astype(np.float32))
        with v1.variable_scope(case["name"]):
            cell = (v1.nn.rnn_cell.LSTMCell(u) if case["cell"] == "lstm" else v1.nn.rnn_cell.GRUCell(u))
            seq = tf.constant(_lengths(b, t)) if case["seq"] else None
            y, _ = v1.nn.dynamic_rnn(cell, x, sequence_length=seq, dtype=tf.float32)
            loss = tf.reduce_sum(y)
            weights = cell.trainable_variables
            grads = tf.gradients(loss, weights)
        runners[case["name"]] = {"fwd": y, "fb": grads}
    sess.run(v1.global_variables_initializer())

    def run(name, mode):
        start = time.perf_counter()
        sess.run(runners[name][mode])
        return time.perf_counter() - start

    return run


def build_torch(cases):
    import torch

    torch.set_num_threads(int(os.environ.get("BENCH_TORCH_THREADS", os.cpu_count() or 1)))
    runners = {}
    for case in cases:
        b, t, i, u = case["shape"]
        rng = np.random.default_rng(0)
        x = torch.tensor(rng.uniform(-0.5, 0.5, (t, b, i)).astype(np.float32))
        mod = torch.nn.LSTM(i, u) if case["cell"] == "lstm" else torch.nn.GRU(i, u)
        seq = _lengths(b, t) if case["seq"] else None

        def fwd(mod=mod, x=x, seq=seq, grad=False):
            inp = x
            if seq is not None:
                inp = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(seq),
                                                              enforce_sorted=False)
            y, _ = mod(inp)
            if seq is not None:
                y, _ = torch.nn.utils.rnn.pad_packed_sequence(y, total_length=x.shape[0])
            return y

        def run_fwd(fwd=fwd):
            with torch.no_grad():
                fwd()

        def run_fb(fwd=fwd, mod=mod):
            mod.zero_grad()
            fwd().sum().backward()

        runners[case["name"]] = {"fwd": run_fwd, "fb": run_fb}

    def run(name, mode):
        start = time.perf_counter()
        runners[name][mode]()
        return time.perf_counter() - start

    return run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=["legacy", "torch"], required=True)
    parser.add_argument("--cases", required=True, help="JSON list of cases")
    args = parser.parse_args()
    cases = json.loads(args.cases)
    run = build_legacy(cases) if args.backend == "legacy" else build_torch(cases)
    print(json.dumps({"ready": [c["name"] for c in cases]}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        if req.get("quit"):
            break
        print(json.dumps({"t": run(req["case"], req["mode"])}), flush=True)


if __name__ == "__main__":
    main()
