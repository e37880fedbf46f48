"""Runs TF1 programs as scripts and records what they did (Python 3.7-compatible).

The same file runs inside real TF 1.15 (``tf`` = ``import tensorflow as tf``)
and inside a tfshare setup process (``tf`` = ``tfshare.compat.v1``). A
program is the source text of a script (``tf.app.flags``, ``main``,
``tf.app.run``). Per phase (``train`` then ``eval``) it is executed as
``__main__`` with the command line

    prog --mode=<phase> --ckpt_dir=<own dir> --restore_dir=<dir> --summaries_dir=<dir>

(TF's ``app.run`` ignores flags a program does not define). Graph programs
run in a fresh ``tf.Graph`` each; eager programs (their first statement is
``tf.enable_eager_execution()``) run as they are. A program imports
``program_io`` for its data set (``data``), its report (``emit(key,
value)``) and ``seed_variables(sess_or_variables)``, which sets every model
variable to values seeded by a hash of its name, so both implementations start
from the same weights whatever their initializers draw.

After the train phase the harness records: the graph's variables (names,
shapes, order), trainable ones, the sizes or member names of the standard
collections, the checkpoint state (``max_to_keep``), the names, shapes and
values of the latest checkpoint, and the scalar summaries in the event files.
Everything goes to ``out`` as ``<program>/<phase>/<key>``: numpy arrays, or
JSON-able values under ``json:<program>/...``; a failure is recorded as
``json:<program>/error/<phase>`` (the traceback) and the other programs run on.
"""
import contextlib
import glob
import os
import sys
import time
import traceback
import types
import zlib

import numpy as np

#: collections recorded by member names (variables) or by size (everything else)
VARIABLE_COLLECTIONS = ("variables", "trainable_variables", "local_variables",
                        "model_variables", "moving_average_variables")
COUNTED_COLLECTIONS = ("regularization_losses", "update_ops", "losses", "summaries",
                       "train_op", "global_step", "savers")
#: summaries whose values are wall-clock measurements
TIMING_TAGS = ("global_step/sec", "steps_per_sec")


def name_seeded(name, shape):
    """Uniform(-0.5, 0.5) values seeded by a hash of the variable name
    (``moving_variance``: uniform(0.5, 1.5))."""
    rng = np.random.RandomState(zlib.crc32(name.encode()) % (2 ** 31))
    if "moving_variance" in name:
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    return rng.uniform(-0.5, 0.5, shape).astype(np.float32)


def _seed_variables(tf, target):
    """Graph: ``target`` is a Session (model variables of its graph: trainable ones
    and moving statistics). Eager: ``target`` is a list of variables."""
    if isinstance(target, (list, tuple)):
        for v in target:
            v.assign(name_seeded(v.name, v.shape.as_list()))
        return
    trainable = set(v.name for v in tf.trainable_variables())
    for v in tf.global_variables():
        if v.dtype.base_dtype.is_floating and (v.name in trainable or "moving_" in v.name):
            v.load(name_seeded(v.name, v.shape.as_list()), target)


def _is_fact(value):
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, dict):
        return all(_is_fact(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_is_fact(v) for v in value)
    return False


def _io_module(tf, data, out, prefix):
    module = types.ModuleType("program_io")
    module.data = data

    def emit(key, value):
        """Names, counts and other facts are kept as JSON (compared exactly); numbers
        (floats, arrays, lists of them) as arrays (compared to a tolerance)."""
        if _is_fact(value):
            out["json:" + prefix + key] = value
            return
        array = np.asarray(value)
        if array.dtype == object:
            raise TypeError("emit(%r): not a fact nor numbers: %r" % (key, value))
        out[prefix + key] = array

    module.emit = emit
    module.seed_variables = lambda target: _seed_variables(tf, target)
    return module


def _graph_facts(tf, graph, emit):
    with graph.as_default():
        emit("vars", [[v.name, v.shape.as_list()] for v in tf.global_variables()])
        for key in VARIABLE_COLLECTIONS:
            emit("collection/" + key, [v.name for v in graph.get_collection(key)])
        for key in COUNTED_COLLECTIONS:
            emit("collection_size/" + key, len(graph.get_collection(key)))


def _checkpoint_facts(tf, ckpt_dir, emit):
    state = tf.train.get_checkpoint_state(ckpt_dir)
    if state is None:
        return
    emit("ckpt/kept", [os.path.basename(p) for p in state.all_model_checkpoint_paths])
    latest = state.model_checkpoint_path
    emit("ckpt/latest", os.path.basename(latest))
    names = tf.train.list_variables(latest)
    emit("ckpt/names", [[n, list(s)] for n, s in names])
    reader = tf.train.load_checkpoint(latest)
    for n, _ in names:
        emit("ckpt/value/" + n, reader.get_tensor(n))


def _summary_facts(tf, log_dirs, emit):
    records = []
    for log_dir in log_dirs:
        for path in sorted(glob.glob(os.path.join(log_dir, "events.out.tfevents.*"))):
            for event in tf.train.summary_iterator(path):
                for value in event.summary.value:
                    if value.tag in TIMING_TAGS:
                        continue
                    kind = value.WhichOneof("value")
                    records.append([int(event.step), value.tag, kind])
                    if kind == "simple_value":
                        emit("summary/%s/%d" % (value.tag, event.step), value.simple_value)
    emit("summaries", sorted(records))


def _is_eager_program(src):
    return "tf.enable_eager_execution()" in src


def run_program(tf, name, src, phase, dirs, data, out, label=None):
    """Run program ``name`` (source ``src``) in ``phase`` (``train`` or ``eval``),
    recording under ``<name>/<label or phase>/``; see the module docstring."""
    prefix = name + "/" + (label or phase) + "/"
    io = _io_module(tf, data, out, prefix)
    flags = tf.app.flags.FLAGS
    before = set(flags)
    saved_argv = sys.argv
    sys.modules["program_io"] = io
    sys.argv = [name, "--mode=" + phase, "--ckpt_dir=" + dirs["ckpt"],
                "--restore_dir=" + dirs["restore"], "--summaries_dir=" + dirs["log"]]
    eager = _is_eager_program(src)
    graph = None if eager else tf.Graph()
    try:
        with (contextlib.ExitStack() if eager else graph.as_default()):
            try:
                exec(compile(src, name + ".py", "exec"), {"__name__": "__main__"})
            except SystemExit as e:
                if e.code not in (None, 0):
                    raise
        tf.summary.FileWriterCache.clear()  # flush the writers MonitoredTrainingSession keeps
        if phase == "train":
            if graph is not None:
                _graph_facts(tf, graph, io.emit)
            _checkpoint_facts(tf, dirs["ckpt"], io.emit)
            _summary_facts(tf, [dirs["log"], dirs["ckpt"]], io.emit)
    finally:
        if eager:  # the next run is a new process: no variables, Keras names afresh
            tf.reset_default_graph()
            tf.keras.backend.clear_session()
        sys.argv = saved_argv
        for flag in set(flags) - before:
            delattr(flags, flag)
        sys.modules.pop("program_io", None)


def run_programs(tf, programs, workdir, data, out, phases=("train", "eval"), restore_from=None):
    """Run every program of ``programs`` (name -> source) in ``phases``.

    ``train`` writes ``<workdir>/<name>/ckpt``; ``eval`` restores the latest
    checkpoint of ``<workdir>/<name>/ckpt``; ``eval_other`` (recorded as such)
    restores ``<restore_from>/<name>/ckpt``, another run's checkpoints. A failing
    program records its traceback under ``json:<name>/error/<phase>`` and the
    next one runs.
    """
    for name in sorted(programs):
        base = os.path.join(workdir, name)
        for sub in ("ckpt", "log"):
            if not os.path.isdir(os.path.join(base, sub)):
                os.makedirs(os.path.join(base, sub))
        for label in phases:
            source = restore_from if label == "eval_other" else workdir
            dirs = {"ckpt": os.path.join(base, "ckpt"), "log": os.path.join(base, "log"),
                    "restore": os.path.join(source, name, "ckpt")}
            start = time.time(), time.process_time()
            try:
                run_program(tf, name, programs[name], label.split("_")[0], dirs, data, out,
                            label)
            except BaseException:  # noqa: BLE001 - recorded for the test
                out["json:%s/error/%s" % (name, label)] = traceback.format_exc()[-4000:]
                break
            finally:
                out.setdefault("json:__seconds__", {})["%s/%s" % (name, label)] = [
                    round(time.time() - start[0], 2), round(time.process_time() - start[1], 2)]
