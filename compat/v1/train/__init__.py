"""``tfshare.compat.v1.train``: ``tf.compat.v1.train`` with an eager-capable
``init_from_checkpoint`` and global-step helpers that honour tfshare's variable
scopes (``Model/global_step`` as in TF1). Everything else (``Saver``, optimizers,
``list_variables``, ``load_checkpoint``, ...) is forwarded."""
from __future__ import annotations

import tensorflow as _tf

from tfshare.compat.v1._forward import forwarder as _forwarder
from tfshare.compat.v1.train._global_step import (  # noqa: F401
    create_global_step, get_global_step, get_or_create_global_step)
from tfshare.compat.v1.train._init_from_checkpoint import init_from_checkpoint  # noqa: F401

__getattr__, __dir__ = _forwarder(__name__, lambda: _tf.compat.v1.train, globals())
