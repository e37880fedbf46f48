"""``tfshare.compat.v1.losses``: ``tf.compat.v1.losses`` with regularization
losses that also work in eager mode.

In v1 graph mode ``get_regularization_losses``/``get_regularization_loss`` read
the graph's ``REGULARIZATION_LOSSES`` collection, as TF1. Elsewhere (eager, a
``track_tf1_style_variables`` layer) there are no collections; they return the
losses of the regularizers recorded by tfshare's current variable store, one per
regularized variable creation (``get_variable(regularizer=...)``, ``tf.layers``
``kernel_regularizer``...), evaluated on the current variable values.
"""
from __future__ import annotations

from typing import Any, List, Optional

import tensorflow as _tf

from tfshare.compat.v1 import _api
from tfshare.compat.v1._forward import forwarder as _forwarder

_v1 = _tf.compat.v1


def get_regularization_losses(scope: Optional[str] = None) -> List[Any]:
    """The regularization losses (graph mode: the collection, filtered by ``scope``
    as a regex prefix of the op names; eager: tfshare's store, ``scope`` must be None)."""
    if _api.v1_graph_mode():
        return _v1.losses.get_regularization_losses(scope)
    if scope is not None:
        raise ValueError("Argument `scope` must be None in eager mode (the losses are not "
                         f"named there). Received: scope={scope!r}")
    return list(_api.current_store().regularization_losses())


def get_regularization_loss(scope: Optional[str] = None,
                            name: str = "total_regularization_loss") -> Any:
    """The sum of :func:`get_regularization_losses` (0.0 when there are none)."""
    losses = get_regularization_losses(scope)
    if losses:
        return _tf.add_n(losses, name=name)
    return _tf.constant(0.0)


__getattr__, __dir__ = _forwarder(__name__, lambda: _tf.compat.v1.losses, globals())
