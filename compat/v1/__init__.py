"""``tfshare.compat.v1``: a drop-in for ``tensorflow.compat.v1``.

Change ``import tensorflow.compat.v1 as tf`` to ``import tfshare.compat.v1 as tf``.
Every attribute that is not overridden here is forwarded to
``tensorflow.compat.v1`` (``tf.placeholder``, ``tf.Session``,
``tf.train.AdamOptimizer``, ops, dtypes, ...). Overridden are the parts that
Keras 3 removed or that lose TF1 semantics in eager mode:

* variable sharing: ``variable_scope``, ``get_variable``, ``get_variable_scope``,
  ``get_local_variable``, ``VariableScope``, ``AUTO_REUSE``, ``no_regularizer``,
  ``variable_op_scope``, ``global_variables``, ``trainable_variables``,
  ``local_variables``, ``get_collection`` and ``reset_default_graph``
  (tfshare's store, so sharing works in eager mode too), and ``make_template``
  (on tfshare's scopes);
* ``nn.rnn_cell.*`` and the ``nn`` RNN drivers (tfshare cells and drivers);
* ``layers.*`` (TF1 ``tf.layers`` on top of ``get_variable``);
* ``contrib``: the parts of TF1's ``tf.contrib`` that RNN programs use --
  ``contrib.rnn`` (cells, wrappers, drivers, the contrib cells),
  ``contrib.cudnn_rnn`` (the cuDNN layers and their compatible cells),
  ``contrib.seq2seq``, ``contrib.legacy_seq2seq`` and ``contrib.crf``
  (``tfshare.seq2seq``), ``contrib.layers``, ``contrib.framework``,
  ``contrib.training``, ``contrib.learn`` and ``contrib.data``
  (``compat/v1/contrib/__init__.py`` lists what each holds;
  ``docs/contrib.md``, ``docs/cells.md`` §5, ``docs/seq2seq.md``);
* ``train.init_from_checkpoint`` (also in eager mode) and the global-step helpers;
* ``losses.get_regularization_loss(es)`` (also in eager mode);
* ``keras.utils.track_tf1_style_variables`` and ``keras.utils.get_or_create_layer``.

Module metadata (``__version__``, ``__git_version__``, ...) is TF's.

The sub-namespaces are real modules, so ``from tfshare.compat.v1.contrib import
rnn`` and ``import tfshare.compat.v1.layers`` work.
"""
from __future__ import annotations

import tensorflow as _tf

from tfshare.compat.v1 import _api
from tfshare.compat.v1 import contrib, keras, layers, losses, nn, train  # noqa: F401
from tfshare.compat.v1._forward import forwarder as _forwarder
from tfshare.compat.v1._template import make_template  # noqa: F401
from tfshare.compat.v1.layers import _base as _layers_base
from tfshare.compat.v1.train import _global_step

variable_scope = _api.variable_scope
variable_op_scope = _api.variable_op_scope
get_variable = _api.get_variable
get_variable_scope = _api.get_variable_scope
get_local_variable = _api.get_local_variable
VariableScope = _api.VariableScope
AUTO_REUSE = _api.AUTO_REUSE
no_regularizer = _api.no_regularizer
global_variables = _api.global_variables
trainable_variables = _api.trainable_variables
local_variables = _api.local_variables
get_collection = _api.get_collection


def reset_default_graph() -> None:
    """Clear tfshare's eager variable store, scopes and counters (the eager
    global step and unnamed-layer counters too), then TF's default graph."""
    _global_step.EAGER_STEP.reset()
    _layers_base.LAYER_UIDS.reset_eager()
    _api.reset_default_graph()


__getattr__, __dir__ = _forwarder(__name__, lambda: _tf.compat.v1, globals())
