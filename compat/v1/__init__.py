"""``tfshare.compat.v1``: a drop-in for ``tensorflow.compat.v1``.

Change ``import tensorflow.compat.v1 as tf`` to ``import tfshare.compat.v1 as tf``.
Every attribute that is not overridden here is forwarded to
``tensorflow.compat.v1`` (``tf.placeholder``, ``tf.Session``,
``tf.train.AdamOptimizer``, ops, dtypes, ...). Overridden are the parts that
Keras 3 removed or that lose TF1 semantics in eager mode:

* variable sharing: ``variable_scope``, ``get_variable``, ``get_variable_scope``,
  ``get_local_variable``, ``VariableScope``, ``AUTO_REUSE``, ``no_regularizer``,
  ``global_variables``, ``trainable_variables``, ``local_variables`` and
  ``reset_default_graph`` (tfshare's store, so sharing works in eager mode too),
  and ``make_template`` (on tfshare's scopes);
* ``nn.rnn_cell.*`` and the ``nn`` RNN drivers (tfshare cells and drivers);
* ``layers.*`` (TF1 ``tf.layers`` on top of ``get_variable``);
* ``contrib.rnn`` and ``contrib.layers`` (the commonly used TF1 contrib names);
* ``train.init_from_checkpoint`` (also in eager mode) and the global-step helpers;
* ``losses.get_regularization_loss(es)`` (also in eager mode);
* ``keras.utils.track_tf1_style_variables``.

The sub-namespaces are real modules, so ``from tfshare.compat.v1.contrib import
rnn`` and ``import tfshare.compat.v1.layers`` work.
"""
from __future__ import annotations

import tensorflow as _tf

from tfshare.compat.v1 import _api
from tfshare.compat.v1._forward import forwarder as _forwarder

variable_scope = _api.variable_scope
get_variable = _api.get_variable
get_variable_scope = _api.get_variable_scope
get_local_variable = _api.get_local_variable
VariableScope = _api.VariableScope
AUTO_REUSE = _api.AUTO_REUSE
global_variables = _api.global_variables
trainable_variables = _api.trainable_variables
local_variables = _api.local_variables


def reset_default_graph() -> None:
    """Clear tfshare's eager variable store, scopes and counters (the eager
    global step and unnamed-layer counters too), then TF's default graph."""
    from tfshare.compat.v1.layers import _base
    from tfshare.compat.v1.train import _global_step

    _global_step._reset_eager_step()
    _base._EAGER_UIDS.clear()
    _api.reset_default_graph()

if _api.has("no_regularizer"):
    no_regularizer = _api.get("no_regularizer")
from tfshare.compat.v1._template import make_template  # noqa: E402

if _api.has("variable_op_scope"):
    variable_op_scope = _api.get("variable_op_scope")

from tfshare.compat.v1 import nn  # noqa: E402
from tfshare.compat.v1 import layers  # noqa: E402
from tfshare.compat.v1 import train  # noqa: E402
from tfshare.compat.v1 import contrib  # noqa: E402
from tfshare.compat.v1 import keras  # noqa: E402
from tfshare.compat.v1 import losses  # noqa: E402

__getattr__, __dir__ = _forwarder(__name__, lambda: _tf.compat.v1, globals())
