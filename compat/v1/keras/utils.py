"""``tfshare.compat.v1.keras.utils``: Keras utils plus ``track_tf1_style_variables``
and ``get_or_create_layer`` (tfshare's, for Keras 3 layers and ``tf.Module``s)."""
from __future__ import annotations

import tensorflow as _tf

from tfshare.compat.v1 import _api
from tfshare.compat.v1._forward import forwarder as _forwarder

track_tf1_style_variables = _api.track_tf1_style_variables
get_or_create_layer = _api.get_or_create_layer

__getattr__, __dir__ = _forwarder(__name__, lambda: _tf.compat.v1.keras.utils, globals())
