"""``LSTMStateTuple``: the ``(c, h)`` state of the LSTM cells (TF1's)."""
from __future__ import annotations

import collections

__all__ = ["LSTMStateTuple"]

_LSTMStateTupleBase = collections.namedtuple("LSTMStateTuple", ("c", "h"))


class LSTMStateTuple(_LSTMStateTupleBase):
    """State of an LSTM cell: ``c`` (memory) then ``h`` (output), as in TF1.

    ``c`` has shape ``[batch, num_units]`` and ``h`` ``[batch, num_proj or
    num_units]``. When used as a ``state_size`` the fields are ints. ``dtype``
    is the common dtype of both tensors.
    """

    __slots__ = ()

    @property
    def dtype(self):
        c, h = self
        if c.dtype != h.dtype:
            raise TypeError(f"Inconsistent dtypes for internal state: {c.dtype} vs {h.dtype}")
        return c.dtype
