"""Fused specs: what a cell tells the fast path about its step.

A cell whose step is one of the fused kernels' equations returns a spec from
``cell.fused_spec()`` (:class:`FusedLSTM`, :class:`FusedGRU`; a stack of such
cells: :class:`FusedStack`); ``tfshare.fastpath`` (used by ``dynamic_rnn``,
``bidirectional_dynamic_rnn`` and ``tfshare.RNN``) then runs the whole sequence
in one compiled loop with a hand-written backward pass, taking the weights from
``cell.step_weights(depth, dtype)`` by the names the spec gives. A cell that
returns ``None`` (the default) runs step by step through its ``call``. The
fused result equals the step-by-step one to float rounding, so a spec must
describe the cell's ``step`` exactly.

Both kernels take their kernels over ``[x, h]`` (input rows first, then the
recurrent rows), as every TF1 cell stores them. Declaring a new cell, e.g. a
``tf.contrib.rnn.LSTMBlockCell`` (TF1's LSTM math, weights ``kernel``/``bias``
and peepholes ``w_i_diag``/``w_f_diag``/``w_o_diag`` in scope ``lstm_cell``)::

    def fused_spec(self):
        return FusedLSTM(num_units=self._num_units, forget_bias=self._forget_bias,
                         cell_clip=self._cell_clip, use_peepholes=self._use_peephole)

and a GRU with other weight names::

    def fused_spec(self):
        return FusedGRU(num_units=self._num_units, gate_kernel="w_ru", gate_bias="b_ru",
                        candidate_kernel="w_c", candidate_bias="b_c")
"""
from __future__ import annotations

import dataclasses
from typing import Optional

__all__ = ["FusedLSTM", "FusedGRU", "FusedStack"]


@dataclasses.dataclass(frozen=True)
class FusedLSTM:
    """TF1's LSTM step (``BasicLSTMCell``, ``LSTMCell``)::

        i, j, f, o = split([x, h] · kernel + bias, 4, axis=1)     (columns in gate_order)
        c' = σ(f + forget_bias [+ w_f_diag ⊙ c]) ⊙ c + σ(i [+ w_i_diag ⊙ c]) ⊙ act(j)
        c' = clip(c', ±cell_clip)                                  (cell_clip)
        m  = σ(o [+ w_o_diag ⊙ c']) ⊙ act(c')
        h' = clip(m · projection, ±proj_clip)                      (num_proj; proj_clip)
        output = h', state = (c', h')

    Attributes:
      num_units: width of ``c``.
      num_proj: width of ``h`` and of the output when there is a projection.
      forget_bias: added to the ``f`` pre-activation (not stored in ``bias``).
      cell_clip, proj_clip: clip values, or ``None``.
      use_peepholes: the ``w_*_diag`` peephole terms.
      activation: ``"tanh"`` (the only activation the kernel has; any other
        name makes the fast path decline).
      gate_order: the order of the four column blocks of ``kernel``/``bias``,
        a permutation of ``"ijfo"`` (``j`` is the candidate).
      state_is_tuple: state ``LSTMStateTuple(c, h)``; else ``concat([c, h], 1)``.
      kernel, bias, w_i_diag, w_f_diag, w_o_diag, projection: the names of the
        weights in ``cell.step_weights(...)`` (TF1 local names).
    """

    num_units: int
    num_proj: Optional[int] = None
    forget_bias: float = 1.0
    cell_clip: Optional[float] = None
    proj_clip: Optional[float] = None
    use_peepholes: bool = False
    activation: str = "tanh"
    gate_order: str = "ijfo"
    state_is_tuple: bool = True
    kernel: str = "kernel"
    bias: str = "bias"
    w_i_diag: str = "w_i_diag"
    w_f_diag: str = "w_f_diag"
    w_o_diag: str = "w_o_diag"
    projection: str = "projection/kernel"

    def __post_init__(self):
        if sorted(self.gate_order) != sorted("ijfo"):
            raise ValueError("Argument `gate_order` must be a permutation of 'ijfo'. "
                             f"Received: gate_order={self.gate_order!r}")

    @property
    def h_dim(self) -> int:
        """Width of ``h`` (and of the output)."""
        return self.num_proj or self.num_units


@dataclasses.dataclass(frozen=True)
class FusedGRU:
    """TF1's GRU step (``GRUCell``: reset gate applied before the candidate matmul)::

        r, u = split(σ([x, h] · gate_kernel + gate_bias), 2, axis=1)   (columns in gate_order)
        c    = act([x, r ⊙ h] · candidate_kernel + candidate_bias)
        h'   = u ⊙ h + (1 − u) ⊙ c                 output = state = h'

    Attributes:
      num_units: width of ``h``.
      activation: ``"tanh"`` (the only one the kernel has).
      gate_order: ``"ru"`` (TF1) or ``"ur"``.
      gate_kernel, gate_bias, candidate_kernel, candidate_bias: the names of
        the weights in ``cell.step_weights(...)``.
    """

    num_units: int
    activation: str = "tanh"
    gate_order: str = "ru"
    gate_kernel: str = "gates/kernel"
    gate_bias: str = "gates/bias"
    candidate_kernel: str = "candidate/kernel"
    candidate_bias: str = "candidate/bias"

    def __post_init__(self):
        if self.gate_order not in ("ru", "ur"):
            raise ValueError("Argument `gate_order` must be 'ru' or 'ur'. "
                             f"Received: gate_order={self.gate_order!r}")


@dataclasses.dataclass(frozen=True)
class FusedStack:
    """Cells run one after the other on each step (``MultiRNNCell`` with
    ``state_is_tuple=True``), each with a fused spec: the fast path runs the
    whole sequence through layer 0, then layer 1, ... (the same outputs and
    final states, since a skipped step of layer ``k+1`` ignores its input).

    The weights of layer ``k`` are those named ``cell_<k>/<name>`` in
    ``cell.step_weights(...)``; the state is the tuple of the layers' states.

    Attributes:
      layers: the layers' specs (``FusedLSTM``, ``FusedGRU`` or ``FusedStack``).
    """

    layers: tuple

    def __post_init__(self):
        if not self.layers or not all(isinstance(s, (FusedLSTM, FusedGRU, FusedStack))
                                      for s in self.layers):
            raise ValueError("Argument `layers` must be a non-empty tuple of fused specs. "
                             f"Received: layers={self.layers!r}")
