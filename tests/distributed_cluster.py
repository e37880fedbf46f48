"""Local TF clusters for the distributed tests: free ports, processes, shutdown.

``run_between_graph(python, program, workdir)`` starts the between-graph
replication program of ``PS_PROGRAM`` as one parameter server and two workers
(separate processes on 127.0.0.1, free ports), the second worker once the
chief has created its session; waits for both workers (bounded), then stops
the parameter server. ``run_multi_worker(program, workdir)`` starts two
``MultiWorkerMirroredStrategy`` workers with ``TF_CONFIG``. Every process is
killed on the way out, also when something fails or times out. Python
3.7-compatible (the fixture script runs the TF 1.15 side with it too).
"""
import json
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

#: between-graph replication as TF1 programs wrote it (TF's "Distributed
#: TensorFlow" how-to): a parameter server and workers started from one script
PS_PROGRAM = r'''
"""Distributed training of a small LSTM classifier: between-graph replication."""
import json

import numpy as np
import tensorflow as tf

tf.disable_v2_behavior()

flags = tf.app.flags
flags.DEFINE_string("ps_hosts", "", "Comma-separated list of hostname:port pairs")
flags.DEFINE_string("worker_hosts", "", "Comma-separated list of hostname:port pairs")
flags.DEFINE_string("job_name", "", "One of 'ps', 'worker'")
flags.DEFINE_integer("task_index", 0, "Index of task within the job")
flags.DEFINE_string("train_dir", "/tmp/train", "Checkpoints (written by the chief)")
flags.DEFINE_string("report", "", "Where this worker writes what it did (JSON)")
flags.DEFINE_string("ready_file", "", "Created by the chief once its session is up")
flags.DEFINE_integer("steps", 5, "Training steps of this worker")
FLAGS = flags.FLAGS

T, D, H, K = 4, 3, 5, 3


def model(x, y):
    cell = tf.nn.rnn_cell.LSTMCell(H)
    outputs, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32)
    logits = tf.layers.dense(state.h, K, name="logits")
    loss = tf.losses.sparse_softmax_cross_entropy(y, logits)
    return logits, loss


def data():
    rng = np.random.RandomState(0)
    return rng.uniform(-1, 1, (6, T, D)).astype(np.float32), np.array([0, 1, 2, 0, 1, 2])


def main(_):
    ps_hosts = FLAGS.ps_hosts.split(",")
    worker_hosts = FLAGS.worker_hosts.split(",")
    cluster = tf.train.ClusterSpec({"ps": ps_hosts, "worker": worker_hosts})
    server = tf.train.Server(cluster, job_name=FLAGS.job_name, task_index=FLAGS.task_index)
    if FLAGS.job_name == "ps":
        server.join()
        return
    is_chief = FLAGS.task_index == 0
    xs, ys = data()
    with tf.device(tf.train.replica_device_setter(
            worker_device="/job:worker/task:%d" % FLAGS.task_index, cluster=cluster)):
        x = tf.placeholder(tf.float32, [None, T, D])
        y = tf.placeholder(tf.int64, [None])
        logits, loss = model(x, y)
        global_step = tf.train.get_or_create_global_step()
        train_op = tf.train.AdamOptimizer(0.05).minimize(loss, global_step=global_step)
    report = {"variables": [[v.name, v.shape.as_list(), v.device]
                            for v in tf.global_variables()],
              "train_op_device": train_op.device, "losses": []}
    hooks = [tf.train.StopAtStepHook(num_steps=FLAGS.steps)]
    # talk to the parameter servers and this worker only: workers start one by one
    config = tf.ConfigProto(device_filters=["/job:ps", "/job:worker/task:%d" % FLAGS.task_index])
    with tf.train.MonitoredTrainingSession(master=server.target, is_chief=is_chief, config=config,
                                           checkpoint_dir=FLAGS.train_dir if is_chief else None,
                                           hooks=hooks, save_summaries_steps=None,
                                           save_summaries_secs=None) as sess:
        if is_chief and FLAGS.ready_file:
            open(FLAGS.ready_file, "w").close()
        while not sess.should_stop():
            _, loss_value = sess.run([train_op, loss], {x: xs, y: ys})
            report["losses"].append(float(loss_value))
    with tf.Session(server.target, config=config) as sess:  # the shared step, on the ps
        report["global_step_after"] = int(sess.run(global_step))
    if is_chief:  # evaluate the checkpoint the chief wrote, in a new graph
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, [None, T, D])
            y = tf.placeholder(tf.int64, [None])
            _, loss = model(x, y)
            global_step = tf.train.get_or_create_global_step()
            saver = tf.train.Saver()
            with tf.Session() as sess:
                path = tf.train.latest_checkpoint(FLAGS.train_dir)
                saver.restore(sess, path)
                report["restored"] = {"checkpoint": path.rsplit("/", 1)[-1],
                                      "loss": float(sess.run(loss, {x: xs, y: ys})),
                                      "global_step": int(sess.run(global_step))}
                reader = tf.train.load_checkpoint(path)
                report["restored"]["equal_to_checkpoint"] = all(
                    np.array_equal(sess.run(v), reader.get_tensor(v.op.name))
                    for v in tf.global_variables())
    with open(FLAGS.report, "w") as f:
        json.dump(report, f)


if __name__ == "__main__":
    tf.app.run(main)
'''

#: a Keras 3 model of tfshare cells trained by two MultiWorkerMirroredStrategy workers
MWMS_PROGRAM = r'''
"""A next-step forecaster of tfshare cells trained by fit on two workers.

Keras 3.15's own fit under MultiWorkerMirroredStrategy fails twice (upstream
keras-team/keras#20585): its symbolic build reduces an (x, y) first batch as
one value, and it averages every log with axis=0, which a scalar loss does not
have. So the batches are the sequences alone (the target is each sequence's
last step) and train_step reports its loss as a [1] vector.
"""
import json
import sys

import numpy as np
import tensorflow as tf
import keras
import tfshare


class Forecaster(keras.Model):
    def __init__(self):
        super().__init__(name="forecaster")
        self.rnn = keras.layers.RNN(tfshare.BasicLSTMCell(5), name="rnn")
        self.head = keras.layers.Dense(2, name="head")

    def call(self, sequences):
        return self.head(self.rnn(sequences[:, :-1]))

    def train_step(self, sequences):
        with tf.GradientTape() as tape:
            error = self(sequences, training=True) - sequences[:, -1, :2]
            loss = keras.ops.mean(keras.ops.square(error))
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply(grads, self.trainable_weights)
        return {"mse": keras.ops.reshape(loss, [1])}


report_path = sys.argv[1]
strategy = tf.distribute.MultiWorkerMirroredStrategy()
sequences = np.random.RandomState(0).uniform(-1, 1, (16, 5, 3)).astype("float32")
with strategy.scope():
    keras.utils.set_random_seed(1)
    model = Forecaster()
    model(sequences[:1])
    model.compile(optimizer=keras.optimizers.SGD(0.1))
initial = {w.path: np.asarray(w) for w in model.weights}
options = tf.data.Options()
options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
dataset = tf.data.Dataset.from_tensor_slices(sequences).batch(8).with_options(options)
history = model.fit(dataset, epochs=3, verbose=0)
np.savez(report_path + ".npz", **{w.path: np.asarray(w) for w in model.weights})
with open(report_path, "w") as f:
    json.dump({"paths": [w.path for w in model.weights],
               "mse": [float(np.ravel(v)[0]) for v in history.history["mse"]],
               "changed": [not np.allclose(initial[w.path], np.asarray(w)) for w in model.weights],
               "replicas": strategy.num_replicas_in_sync}, f)
'''


def free_ports(n):
    """``n`` distinct free TCP ports on 127.0.0.1 (held open until all are chosen)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _env(python, extra=None):
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF2_BEHAVIOR", "TF_USE_LEGACY_KERAS", "PYTHONPATH", "TF_CONFIG")}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="", PYTHONDONTWRITEBYTECODE="1")
    env.update(extra or {})
    return env


def _start(python, script, args, workdir, name, env):
    log = open(os.path.join(workdir, name + ".log"), "w")
    return subprocess.Popen([python, script] + args, stdout=log, stderr=subprocess.STDOUT,
                            env=env, cwd=workdir), log


def _wait(procs, deadline):
    for proc, _ in procs:
        proc.wait(timeout=max(1.0, deadline - time.time()))


def _stop(procs):
    for proc, log in procs:
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        log.close()


def _failure(workdir, names, why):
    logs = []
    for name in names:
        path = os.path.join(workdir, name + ".log")
        if os.path.exists(path):
            with open(path) as f:
                logs.append("--- %s ---\n%s" % (name, f.read()[-3000:]))
    return RuntimeError(why + "\n" + "\n".join(logs))


def run_between_graph(python, program, workdir, steps=5, timeout=240):
    """One ps and two workers running ``program``; returns the workers' reports
    ``[chief, worker 1]``. Raises with the processes' logs on failure."""
    if not os.path.isdir(workdir):
        os.makedirs(workdir)
    script = os.path.join(workdir, "trainer.py")
    with open(script, "w") as f:
        f.write(program)
    ps, w0, w1 = ["127.0.0.1:%d" % p for p in free_ports(3)]
    common = ["--ps_hosts=" + ps, "--worker_hosts=%s,%s" % (w0, w1),
              "--train_dir=" + os.path.join(workdir, "train"), "--steps=%d" % steps]
    ready = os.path.join(workdir, "chief_ready")
    env = _env(python)
    deadline = time.time() + timeout
    procs = []
    try:
        procs.append(_start(python, script, common + ["--job_name=ps", "--task_index=0"],
                            workdir, "ps", env))
        workers = []
        for i in range(2):
            args = common + ["--job_name=worker", "--task_index=%d" % i,
                             "--report=" + os.path.join(workdir, "worker%d.json" % i)]
            if i == 0:
                args.append("--ready_file=" + ready)
            workers.append(_start(python, script, args, workdir, "worker%d" % i, env))
            procs.append(workers[-1])
            while i == 0 and not os.path.exists(ready):  # the chief initialises first
                if workers[0][0].poll() is not None or time.time() > deadline:
                    raise _failure(workdir, ["ps", "worker0"], "the chief did not start")
                time.sleep(0.2)
        try:
            _wait(workers, deadline)
        except subprocess.TimeoutExpired:
            raise _failure(workdir, ["ps", "worker0", "worker1"], "workers timed out")
        if any(p.returncode != 0 for p, _ in workers):
            raise _failure(workdir, ["ps", "worker0", "worker1"], "a worker failed")
    finally:
        _stop(procs)
    reports = []
    for i in range(2):
        with open(os.path.join(workdir, "worker%d.json" % i)) as f:
            reports.append(json.load(f))
    return reports


def run_multi_worker(program, workdir, timeout=300):
    """Two ``MultiWorkerMirroredStrategy`` workers (``TF_CONFIG`` on 127.0.0.1)
    running ``program`` with ``sys.executable``; returns their reports
    ``[(json, {weight path: array})]``."""
    import numpy as np

    if not os.path.isdir(workdir):
        os.makedirs(workdir)
    script = os.path.join(workdir, "mwms.py")
    with open(script, "w") as f:
        f.write(program)
    hosts = ["127.0.0.1:%d" % p for p in free_ports(2)]
    deadline = time.time() + timeout
    procs = []
    try:
        for i in range(2):
            config = {"cluster": {"worker": hosts}, "task": {"type": "worker", "index": i}}
            env = _env(sys.executable, {"TF_CONFIG": json.dumps(config)})
            procs.append(_start(sys.executable, script,
                                [os.path.join(workdir, "report%d.json" % i)], workdir,
                                "mwms%d" % i, env))
        try:
            _wait(procs, deadline)
        except subprocess.TimeoutExpired:
            raise _failure(workdir, ["mwms0", "mwms1"], "workers timed out")
        if any(p.returncode != 0 for p, _ in procs):
            raise _failure(workdir, ["mwms0", "mwms1"], "a worker failed")
    finally:
        _stop(procs)
    reports = []
    for i in range(2):
        path = os.path.join(workdir, "report%d.json" % i)
        with open(path) as f:
            info = json.load(f)
        with np.load(path + ".npz") as weights:
            reports.append((info, {k: weights[k] for k in weights.files}))
    return reports


def cluster_facts(reports):
    """What must equal TF 1.15's: every worker's variables (names, shapes, device
    strings, in order) and the device of its train op."""
    return {"variables": [r["variables"] for r in reports],
            "train_op_device": [r["train_op_device"] for r in reports]}
