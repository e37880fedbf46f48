"""``tfshare.compat.v1.keras``: ``tf.compat.v1.keras`` (Keras 3) with TF1 helpers.

``keras.utils.track_tf1_style_variables`` is tfshare's decorator: a Keras layer
whose ``call`` builds TF1-style variables (``get_variable``, ``tf.layers``,
TF1 cells) owns and tracks them. Everything else is forwarded.
"""
from __future__ import annotations

import tensorflow as _tf

from tfshare.compat.v1._forward import forwarder as _forwarder
from tfshare.compat.v1.keras import utils  # noqa: F401

__getattr__, __dir__ = _forwarder(__name__, lambda: _tf.compat.v1.keras, globals())
