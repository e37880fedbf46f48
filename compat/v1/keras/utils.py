"""``tfshare.compat.v1.keras.utils``: Keras utils plus ``track_tf1_style_variables``."""
from __future__ import annotations

import tensorflow as _tf

from tfshare.compat.v1 import _api
from tfshare.compat.v1._forward import forwarder as _forwarder

if _api.has("track_tf1_style_variables"):
    track_tf1_style_variables = _api.get("track_tf1_style_variables")

__getattr__, __dir__ = _forwarder(__name__, lambda: _tf.compat.v1.keras.utils, globals())
