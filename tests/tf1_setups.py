"""The TF1 setups a program may choose, applied to this test process.

TF1 programs migrated to TF 2 start with one of these process-global switches
(``tf.compat.v1.<switch>()``); they cannot be undone, so each setup runs in its
own process: ``tests/test_tf1_setups.py`` runs the setup-aware test modules
(those that ``import tf1_setups``) once per setup in a subprocess with
``TFSHARE_TF1_SETUP=<setup>``; in the main test process the setup is
``eager`` (no switch). Importing this module applies the setup (once).
"""
from __future__ import annotations

import os

import tensorflow as tf

ENV = "TFSHARE_TF1_SETUP"

#: setup name -> the ``tf.compat.v1`` switches it calls, in order
SETUPS: dict[str, tuple[str, ...]] = {
    "eager": (),
    "graph": ("disable_eager_execution",),
    "v1_behavior": ("disable_v2_behavior",),
    "v1_tensorshape": ("disable_v2_tensorshape",),
    "ref_variables": ("disable_resource_variables",),
    "control_flow_v1": ("disable_control_flow_v2",),
}

NAME = os.environ.get(ENV, "eager")
if NAME not in SETUPS:
    raise ValueError(f"{ENV}={NAME!r}: expected one of {sorted(SETUPS)}")
for _switch in SETUPS[NAME]:
    getattr(tf.compat.v1, _switch)()

#: False when the setup turned eager execution off (eager-mode cases then do not exist)
EAGER = tf.executing_eagerly()


def in_force() -> dict[str, bool]:
    """What TF reports about the switches (the setup tests check it)."""
    return {
        "eager": tf.executing_eagerly(),
        "v2_tensorshape": tf.TensorShape([None])[0] is None,
        "resource_variables": tf.compat.v1.resource_variables_enabled(),
        "control_flow_v2": tf.compat.v1.control_flow_v2_enabled(),
    }


#: What each setup must report (``in_force()``).
EXPECTED: dict[str, dict[str, bool]] = {
    "eager": dict(eager=True, v2_tensorshape=True, resource_variables=True, control_flow_v2=True),
    "graph": dict(eager=False, v2_tensorshape=True, resource_variables=True,
                  control_flow_v2=True),
    "v1_behavior": dict(eager=False, v2_tensorshape=False, resource_variables=False,
                        control_flow_v2=False),
    "v1_tensorshape": dict(eager=True, v2_tensorshape=False, resource_variables=True,
                           control_flow_v2=True),
    "ref_variables": dict(eager=True, v2_tensorshape=True, resource_variables=False,
                          control_flow_v2=True),
    "control_flow_v1": dict(eager=True, v2_tensorshape=True, resource_variables=True,
                            control_flow_v2=False),
}
