"""``tfshare.compat.v1.contrib.seq2seq``: TF1's ``tf.contrib.seq2seq``
(decoders, helpers, attention, beam search, ``sequence_loss``), from
``tfshare.seq2seq``."""
from __future__ import annotations

from tfshare import seq2seq as _seq2seq

__all__ = list(_seq2seq.__all__)
globals().update({_n: getattr(_seq2seq, _n) for _n in __all__})


def __dir__() -> list:
    return sorted(__all__)
