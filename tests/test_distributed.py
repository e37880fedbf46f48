"""Distributed TF1 and TF2 training of tfshare models, on local processes.

* Between-graph replication, as TF1 programs wrote it: ``tf.train.ClusterSpec``,
  ``tf.train.Server`` (one parameter server and two workers, separate
  processes on 127.0.0.1, free ports), ``tf.train.replica_device_setter``
  around a ``tfshare.compat.v1`` LSTM model, ``MonitoredTrainingSession``
  (the chief writes the checkpoints). The variables' names, shapes and device
  strings equal TF 1.15's for the same program run the same way (live, or the
  golden of ``tests/fixtures/make_program_fixtures.py``); both workers train
  the shared variables; the chief's checkpoint restores.
* ``MultiWorkerMirroredStrategy`` with two worker processes (``TF_CONFIG`` on
  127.0.0.1): a Keras 3 model of tfshare cells trained with ``fit``; the
  weights are equal on both workers afterwards, and changed.

Every process is bounded in time and killed by ``distributed_cluster`` on the
way out, also on failure.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np

import distributed_cluster as cluster
from compat_programs import GOLDEN_DIR, for_tfshare, shared_root
from oracle import HAVE_TF115, shared_result, tf115_python

STEPS = 5
GOLDEN = os.path.join(GOLDEN_DIR, "tf115_between_graph.json")


def tf115_cluster_facts(tmp_path_factory) -> dict:
    """TF 1.15's facts for the between-graph program: live, else the golden."""
    if HAVE_TF115:
        workdir = str(shared_root(tmp_path_factory) / "tf115_cluster")
        return shared_result(tmp_path_factory, "tf115_cluster", lambda: cluster.cluster_facts(
            cluster.run_between_graph(tf115_python(), cluster.PS_PROGRAM, workdir, STEPS)))
    with open(GOLDEN) as f:
        return json.load(f)


def test_between_graph_replication_matches_tf115(tmp_path_factory, tmp_path):
    want = tf115_cluster_facts(tmp_path_factory)
    chief, worker = cluster.run_between_graph(sys.executable, for_tfshare(cluster.PS_PROGRAM),
                                              str(tmp_path), STEPS)
    assert cluster.cluster_facts([chief, worker]) == want
    devices = {device for _, _, device in chief["variables"]}
    assert devices == {"/job:ps/task:0"}, devices
    # both workers trained the variables on the ps: the shared step counts both
    assert len(chief["losses"]) == len(worker["losses"]) == STEPS
    assert max(chief["global_step_after"], worker["global_step_after"]) == 2 * STEPS
    # the chief's checkpoint restores in a new graph, with the trained values
    restored = chief["restored"]
    assert restored["equal_to_checkpoint"] is True
    assert restored["global_step"] >= STEPS
    assert restored["checkpoint"] == "model.ckpt-%d" % restored["global_step"]
    assert np.isfinite(restored["loss"]) and restored["loss"] < chief["losses"][0]


def test_multi_worker_mirrored_fit_keeps_workers_equal(tmp_path):
    (info0, weights0), (info1, weights1) = cluster.run_multi_worker(cluster.MWMS_PROGRAM,
                                                                    str(tmp_path))
    assert info0["replicas"] == info1["replicas"] == 2
    paths = ["forecaster/rnn/basic_lstm_cell/kernel", "forecaster/rnn/basic_lstm_cell/bias",
             "forecaster/head/kernel", "forecaster/head/bias"]
    assert info0["paths"] == info1["paths"] == paths
    assert sorted(weights0) == sorted(weights1) == sorted(paths)
    for path in paths:
        np.testing.assert_array_equal(weights0[path], weights1[path], err_msg=path)
    assert all(info0["changed"]) and all(info1["changed"])
    assert info0["mse"] == info1["mse"] and info0["mse"][-1] < info0["mse"][0]
