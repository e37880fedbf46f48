"""Test session setup shared by every test module.

Two logical CPU devices are configured before TensorFlow initialises, so that
``tf.distribute.MirroredStrategy`` tests run with two replicas on any machine.
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
sys.path.insert(0, os.path.dirname(__file__))

import tensorflow as tf  # noqa: E402

_cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _cpus[0], [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
)


import pytest  # noqa: E402

_MIRRORED = []


@pytest.fixture(scope="session")
def mirrored_strategy():
    """One two-replica ``MirroredStrategy`` per test process.

    Two strategy objects in one process collide in TF's collective ops (their
    instance keys both start at 100: "Shape mismatch in the collective instance
    100"), so tests share this one.
    """
    if not _MIRRORED:
        _MIRRORED.append(tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]))
    return _MIRRORED[0]
