"""Decoding speed of ``tfshare.compat.v1.contrib.seq2seq`` against real TF 1.15.

One TF1 program (below, ``PROGRAM``) runs in two worker processes: TF 1.15.5
with ``tf.contrib`` (the oracle's Python 3.7 interpreter) and tfshare on
TF 2.21 (``tf.disable_v2_behavior()`` then ``import tfshare.compat.v1 as tf``,
as a migrated TF1 script does). Both build the same graphs and time
``Session.run``; the parent sends the requests round-robin (repetition 1 of
every case in both workers, then repetition 2, ...), so both are timed under
the same load, and prints medians and the ratio tfshare / TF 1.15 (< 1: tfshare
is faster). A third worker runs tfshare after ``tf.disable_eager_execution()``
only (TF 2 control flow ``while_v2`` and resource variables), the setup of a
TF1 program that does not call ``disable_v2_behavior``.

Cases (batch ``B``, memory length ``M``, decoder steps ``T``, units ``H``,
vocabulary ``V``):

* ``train_fwd``: ``BasicDecoder`` + ``AttentionWrapper`` (LSTM, Bahdanau
  attention, ``attention_layer_size``) + ``TrainingHelper`` + output layer,
  ``dynamic_decode``: the logits;
* ``train_fwd_bwd``: the same, gradients of the sequence loss;
* ``greedy``: ``GreedyEmbeddingHelper`` inference, ``T`` steps;
* ``beam``: ``BeamSearchDecoder`` (width 5, length penalty) over the tiled
  attention cell, ``T`` steps.

    python benchmarks/bench_seq2seq.py                 # B=32 M=20 T=20 H=128 V=500, 9 reps
    python benchmarks/bench_seq2seq.py --quick         # 3 reps
    python benchmarks/bench_seq2seq.py --shape 64,30,30,256,1000 --json out.json
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))

CASES = ["train_fwd", "train_fwd_bwd", "greedy", "beam"]

# Valid Python 3.7: it also runs on TF 1.15.
PROGRAM = r'''
def build(tf, shape):
    """The four cases' fetches and one feed, in the default graph."""
    import numpy as np
    s2s = tf.contrib.seq2seq
    B, M, T, H, V = shape
    rng = np.random.RandomState(0)
    memory = tf.placeholder(tf.float32, [None, None, H], name="memory")
    memory_len = tf.placeholder(tf.int32, [None], name="memory_len")
    targets = tf.placeholder(tf.int32, [None, None], name="targets")
    target_len = tf.placeholder(tf.int32, [None], name="target_len")
    batch = tf.size(memory_len)
    embedding = tf.get_variable("embedding", [V, H])
    projection = tf.layers.Dense(V, name="output_projection")

    def attention_cell(mem, mem_len):
        mech = s2s.BahdanauAttention(H, mem, mem_len)
        return s2s.AttentionWrapper(tf.nn.rnn_cell.LSTMCell(H), mech, attention_layer_size=H)

    with tf.variable_scope("decoder") as scope:
        cell = attention_cell(memory, memory_len)
        helper = s2s.TrainingHelper(tf.nn.embedding_lookup(embedding, targets), target_len)
        decoder = s2s.BasicDecoder(cell, helper, cell.zero_state(batch, tf.float32), projection)
        out, _, _ = s2s.dynamic_decode(decoder, scope=scope)
    mask = tf.sequence_mask(target_len, tf.shape(out.rnn_output)[1], dtype=tf.float32)
    loss = s2s.sequence_loss(out.rnn_output, targets, mask)
    grads = tf.gradients(loss, tf.trainable_variables())
    with tf.variable_scope("decoder", reuse=True) as scope:
        cell = attention_cell(memory, memory_len)
        helper = s2s.GreedyEmbeddingHelper(embedding, tf.fill([batch], 1), -1)
        greedy = s2s.BasicDecoder(cell, helper, cell.zero_state(batch, tf.float32), projection)
        greedy_out, _, _ = s2s.dynamic_decode(greedy, maximum_iterations=T, scope=scope)
    with tf.variable_scope("decoder", reuse=True) as scope:
        w = 5
        cell = attention_cell(s2s.tile_batch(memory, w), s2s.tile_batch(memory_len, w))
        beam = s2s.BeamSearchDecoder(cell, embedding, tf.fill([batch], 1), -1,
                                     cell.zero_state(batch * w, tf.float32), w,
                                     output_layer=projection, length_penalty_weight=0.6)
        beam_out, _, _ = s2s.dynamic_decode(beam, maximum_iterations=T, scope=scope)
    fetches = {"train_fwd": out.rnn_output, "train_fwd_bwd": grads,
               "greedy": greedy_out.sample_id, "beam": beam_out.predicted_ids}
    feed = {memory: rng.uniform(-1, 1, (B, M, H)).astype(np.float32),
            memory_len: rng.randint(M // 2, M + 1, B).astype(np.int32),
            targets: rng.randint(0, V, (B, T)).astype(np.int32),
            target_len: np.full(B, T, np.int32)}
    return fetches, feed
'''

WORKER = r'''
import json, sys, time
backend, shape = sys.argv[1], json.loads(sys.argv[2])
import tensorflow
if backend.startswith("tfshare"):
    if backend == "tfshare":
        tensorflow.compat.v1.disable_v2_behavior()
    else:  # graph mode only: TF 2 control flow (while_v2) and resource variables
        tensorflow.compat.v1.disable_eager_execution()
    import tfshare.compat.v1 as tf
else:
    tf = tensorflow
    tf.logging.set_verbosity(tf.logging.ERROR)
exec(PROGRAM)
fetches, feed = build(tf, shape)
sess = tf.Session()
sess.run(tf.global_variables_initializer())
for fetch in fetches.values():  # warm up (first runs compile and allocate)
    sess.run(fetch, feed)
print(json.dumps({"ready": sorted(fetches)}), flush=True)
for line in sys.stdin:
    case = json.loads(line)["case"]
    start = time.perf_counter()
    sess.run(fetches[case], feed)
    print(json.dumps({"t": time.perf_counter() - start}), flush=True)
'''


class Worker:
    """A worker process timing one backend's cases on request."""

    def __init__(self, backend: str, python: str, shape: list, env: dict):
        code = f"PROGRAM = {PROGRAM!r}\n" + WORKER
        self.backend = backend
        self.proc = subprocess.Popen([python, "-c", code, backend, json.dumps(shape)], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {backend} worker failed to start (see its stderr above)")
        self.cases = json.loads(line)["ready"]

    def time(self, case: str) -> float:
        self.proc.stdin.write(json.dumps({"case": case}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())["t"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _env(drop: tuple = ()) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONDONTWRITEBYTECODE="1")
    return env


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shape", default="32,20,20,128,500", help="B,M,T,H,V")
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--quick", action="store_true", help="3 repetitions")
    ap.add_argument("--json", default="", help="write the results here")
    args = ap.parse_args(argv)
    from oracle import TF115_MISSING, tf115_python

    shape = [int(x) for x in args.shape.split(",")]
    reps = 3 if args.quick else args.reps
    python115 = tf115_python()
    if python115 is None:
        sys.exit(TF115_MISSING)
    print(f"shape B,M,T,H,V = {shape}; {reps} repetitions; starting the workers ...", flush=True)
    t0 = time.time()
    workers = [Worker("tf115", python115, shape,
                      _env(("PYTHONPATH", "TF2_BEHAVIOR", "TF_USE_LEGACY_KERAS"))),
               Worker("tfshare", sys.executable, shape, _env(("TF_USE_LEGACY_KERAS",))),
               Worker("tfshare_v2", sys.executable, shape, _env(("TF_USE_LEGACY_KERAS",)))]
    times: dict = {(w.backend, c): [] for w in workers for c in CASES}
    for rep in range(reps):
        for case in CASES:
            for w in workers:
                times[(w.backend, case)].append(w.time(case))
        print(f"  repetition {rep + 1}/{reps} done ({time.time() - t0:.0f}s)", flush=True)
    for w in workers:
        w.close()
    results = {}
    print(f"\n{'case':16s} {'TF 1.15 ms':>11s} {'tfshare ms':>11s} {'ratio':>7s}"
          f" {'tfshare cf-v2 ms':>17s} {'ratio':>7s}")
    for case in CASES:
        tf1 = statistics.median(times[("tf115", case)]) * 1e3
        ours = statistics.median(times[("tfshare", case)]) * 1e3
        v2 = statistics.median(times[("tfshare_v2", case)]) * 1e3
        results[case] = {"tf115_ms": tf1, "tfshare_ms": ours, "ratio": ours / tf1,
                         "tfshare_cf_v2_ms": v2, "ratio_cf_v2": v2 / tf1}
        print(f"{case:16s} {tf1:11.2f} {ours:11.2f} {ours / tf1:7.2f} {v2:17.2f} {v2 / tf1:7.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"shape": shape, "reps": reps, "results": results}, f, indent=1)
    return results


if __name__ == "__main__":
    main()
