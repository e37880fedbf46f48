"""The fast path: a whole sequence of a cell in one fused, compiled loop.

A cell gets the fast path by declaring what its step computes:
``cell.fused_spec()`` returns a :class:`tfshare.cells.FusedLSTM` or
:class:`tfshare.cells.FusedGRU` (``BasicLSTMCell``, ``LSTMCell`` and ``GRUCell``
do, with the default tanh activation) or a :class:`tfshare.cells.FusedStack`
(a ``MultiRNNCell`` of such cells), and ``cell.step_weights(depth, dtype)``
hands over the weights by the names the spec gives. ``dynamic_rnn`` (and the
bidirectional and stacked dynamic drivers) call :func:`fast_dynamic_rnn`,
``static_rnn`` (and the static bidirectional drivers) :func:`fast_static_rnn`;
``tfshare.RNN`` calls :func:`run_fused` from its ``inner_loop``. Each returns
``None`` when the fast path does not apply (no spec, another activation, an
unbuilt Keras cell, a non-float or depth-unknown input, a state of another
layout, ...) and the caller then runs the cell step by step. Its results equal
the step-by-step ones (outputs, final states and gradients to 1e-5; only the
order of float operations differs).

What makes it fast (each measured in ``benchmarks/bench_rnn.py`` before being
kept; see ``benchmarks/README.md``):

* The kernel over ``[x, h]`` is split once into its input half ``Kx`` and its
  recurrent half ``Kh``; ``X·Kx + b`` is ONE large matmul for all steps, and a
  step adds only ``h·Kh``.
* A hand-written backward pass (``tf.custom_gradient``): its loop does only the
  sequential part; the weight and input gradients are one large matmul each.
  (TensorFlow's gradient of a ``while_loop`` does a small matmul per step for
  each, and accumulates full-size zero tensors for sliced inputs.)
* Masks (``sequence_length``, Keras masks) are one ``[T, B, 1]`` boolean tensor;
  a step selects ``new if running else old`` (exact frozen states), the outputs
  are masked after the loop in one select.
* The loop is a ``tf.function`` (``reduce_retracing=True``), optionally compiled
  with XLA (:func:`set_fast_path_options`).

The kernels are ``tfshare._fused_lstm`` and ``tfshare._fused_gru``.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable, Optional, Tuple

import tensorflow as tf

from tfshare import _fused_loop as fl
from tfshare import variables as tfvars
from tfshare._fused_gru import GRUConfig, GRUWeights, gru_sequence as _gru_kernel
from tfshare._fused_lstm import LSTMConfig, LSTMWeights, lstm_sequence as _lstm_kernel
from tfshare._shapes import static_axis, static_shape
from tfshare.cells import FusedGRU, FusedLSTM, FusedStack, LSTMStateTuple

__all__ = ["set_fast_path_options", "get_fast_path_options"]

_LOCK = threading.Lock()
_OPTIONS = {"enabled": True, "jit_compile": False}


def set_fast_path_options(enabled: Optional[bool] = None, jit_compile: Optional[bool] = None) -> dict:
    """Set the options of the fast path; return the previous ones.

    Args:
      enabled: ``False`` makes ``dynamic_rnn`` and ``tfshare.RNN`` always run the
        cell step by step (``cell(x_t, state)``), e.g. to debug a cell. Default
        ``True``.
      jit_compile: ``True`` compiles the fused loops with XLA. It fuses the
        per-step element-wise work, but compiles once per new ``(time, batch)``
        shape, which costs more than it saves when every batch has a different
        length. Default ``False`` (see ``benchmarks/README.md``).
    """
    for arg, value in (("enabled", enabled), ("jit_compile", jit_compile)):
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"Argument `{arg}` must be a bool or None. Received: {arg}={value!r}")
    with _LOCK:
        previous = dict(_OPTIONS)
        if enabled is not None:
            _OPTIONS["enabled"] = enabled
        if jit_compile is not None:
            _OPTIONS["jit_compile"] = jit_compile
    return previous


def get_fast_path_options() -> dict:
    """Return the current fast-path options, ``{"enabled": bool, "jit_compile": bool}``."""
    with _LOCK:
        return dict(_OPTIONS)


# --------------------------------------------------------------------------- compiled runs
def _lstm_run(cfg, x, weights, c0, h0, sequence_length, mask):
    if sequence_length is not None:
        mask = fl.length_mask(sequence_length, tf.shape(x)[0])
    return _lstm_kernel(cfg, x, weights, c0, h0, mask)


def _gru_run(cfg, x, weights, h0, sequence_length, mask):
    if sequence_length is not None:
        mask = fl.length_mask(sequence_length, tf.shape(x)[0])
    return _gru_kernel(cfg, x, weights, h0, mask)


_COMPILED: dict = {}


def _compiled(fn: Callable, cfg: Any, jit: Optional[bool]) -> Callable:
    """``fn(cfg, ...)`` as a ``tf.function``, one per function, config and XLA
    setting (each retraces only for new shapes)."""
    jit = get_fast_path_options()["jit_compile"] if jit is None else jit
    with _LOCK:
        key = (fn.__name__, cfg, jit)
        if key not in _COMPILED:
            _COMPILED[key] = tf.function(functools.partial(fn, cfg), jit_compile=jit,
                                         reduce_retracing=True, autograph=False)
        return _COMPILED[key]


def _restore_shape(t, shape):
    """Give a symbolic result the static shape the exact path has (a relaxed
    trace of the ``tf.function`` may have lost it)."""
    if not tf.executing_eagerly() and hasattr(t, "set_shape"):
        t.set_shape(t.shape.merge_with(shape))
    return t


def _values(tensors) -> list:
    """Variables read into tensors here: a ``tf.function`` relaxing the shapes of
    variable arguments may reuse a trace made for variables of other shapes."""
    return [tf.convert_to_tensor(t) for t in tensors]


def _static_depth(x) -> int:
    depth = static_axis(x, -1) if x.shape.rank == 3 else None
    if depth is None:
        raise ValueError("Argument `x` must be a [time, batch, depth] tensor with a static depth. "
                         f"Received: x.shape={x.shape}")
    return int(depth)


def lstm_sequence(x, kernel, bias, c0, h0, *, forget_bias: float = 1.0, sequence_length=None,
                  w_i_diag=None, w_f_diag=None, w_o_diag=None, cell_clip: Optional[float] = None,
                  proj_kernel=None, proj_clip: Optional[float] = None,
                  jit_compile: Optional[bool] = None, mask=None, carry_output: bool = False):
    """Run the TF1 LSTM over time-major ``x`` ``[T, B, I]`` with explicit weights.

    ``kernel`` is the TF1 ``[I + H, 4·U]`` kernel (columns i, j, f, o), ``bias``
    ``[4·U]``; peepholes are used when ``w_i_diag`` is given, the projection when
    ``proj_kernel`` is. Steps are skipped past ``sequence_length`` (outputs zero,
    the state frozen) or where the ``[T, B]`` boolean ``mask`` is False (outputs
    zero, or the last output with ``carry_output``). Returns
    ``(outputs [T, B, H], c_T, h_T)``.
    """
    x = tf.convert_to_tensor(x)
    peepholes = w_i_diag is not None
    zeros = tf.zeros(tf.shape(c0)[1:], x.dtype)
    if mask is not None:
        mask = tf.convert_to_tensor(mask)[:, :, None]
    cfg = LSTMConfig(depth=_static_depth(x), forget_bias=float(forget_bias), peepholes=peepholes,
                     cell_clip=None if cell_clip is None else float(cell_clip),
                     projection=proj_kernel is not None,
                     proj_clip=None if proj_kernel is None or proj_clip is None else float(proj_clip),
                     masked=sequence_length is not None or mask is not None,
                     carry_output=carry_output)
    weights = LSTMWeights(kernel, bias, w_i_diag if peepholes else zeros,
                          w_f_diag if peepholes else zeros, w_o_diag if peepholes else zeros,
                          proj_kernel if proj_kernel is not None else tf.zeros([1, 1], x.dtype))
    weights = LSTMWeights(*_values(weights))
    out, c, h = _compiled(_lstm_run, cfg, jit_compile)(x, weights, *_values([c0, h0]),
                                                       sequence_length, mask)
    return (_restore_shape(out, x.shape[:2] + h0.shape[-1:]), _restore_shape(c, c0.shape),
            _restore_shape(h, h0.shape))


def gru_sequence(x, gate_kernel, gate_bias, cand_kernel, cand_bias, h0, *, sequence_length=None,
                 jit_compile: Optional[bool] = None, mask=None, carry_output: bool = False):
    """Run the TF1 GRU over time-major ``x`` ``[T, B, I]`` with explicit weights.

    ``gate_kernel`` ``[I + U, 2·U]`` (columns r, u), ``gate_bias`` ``[2·U]``,
    ``cand_kernel`` ``[I + U, U]``, ``cand_bias`` ``[U]``; masks as in
    :func:`lstm_sequence`. Returns ``(outputs [T, B, U], h_T)``.
    """
    x = tf.convert_to_tensor(x)
    if mask is not None:
        mask = tf.convert_to_tensor(mask)[:, :, None]
    cfg = GRUConfig(depth=_static_depth(x), masked=sequence_length is not None or mask is not None,
                    carry_output=carry_output)
    weights = GRUWeights(*_values([gate_kernel, gate_bias, cand_kernel, cand_bias]))
    out, h = _compiled(_gru_run, cfg, jit_compile)(x, weights, *_values([h0]), sequence_length,
                                                   mask)
    return _restore_shape(out, x.shape[:2] + h0.shape[-1:]), _restore_shape(h, h0.shape)


# --------------------------------------------------------------------------- specs
def _blocks(t, order: str, want: str):
    """``t``'s column blocks (last axis), given in ``order``, reordered as ``want``."""
    if order == want:
        return t
    blocks = tf.split(t, len(order), axis=-1)
    return tf.concat([blocks[order.index(g)] for g in want], axis=-1)


def _same_dtype(dtype, tensors) -> bool:
    return all(tf.is_tensor(t) and t.dtype == dtype for t in tensors)


def _run_lstm(spec: FusedLSTM, weights: dict, x, state, sequence_length, mask, carry_output):
    if spec.activation != "tanh":
        return None
    units, h_dim = spec.num_units, spec.h_dim
    if spec.state_is_tuple:
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            return None
        c0, h0 = state
    else:
        if not tf.is_tensor(state):
            return None
        c0, h0 = state[:, :units], state[:, units:units + h_dim]
    extra = {}
    if spec.use_peepholes:
        extra.update(w_i_diag=weights[spec.w_i_diag], w_f_diag=weights[spec.w_f_diag],
                     w_o_diag=weights[spec.w_o_diag])
    if spec.num_proj:
        extra.update(proj_kernel=weights[spec.projection], proj_clip=spec.proj_clip)
    tensors = [c0, h0, weights[spec.kernel], weights[spec.bias]]
    if not _same_dtype(x.dtype, tensors + [v for v in extra.values() if tf.is_tensor(v)]):
        return None
    outputs, c, h = lstm_sequence(
        x, _blocks(weights[spec.kernel], spec.gate_order, "ijfo"),
        _blocks(weights[spec.bias], spec.gate_order, "ijfo"), c0, h0,
        forget_bias=spec.forget_bias, sequence_length=sequence_length, mask=mask,
        carry_output=carry_output, cell_clip=spec.cell_clip, **extra)
    return outputs, (LSTMStateTuple(c, h) if spec.state_is_tuple else tf.concat([c, h], 1))


def _run_gru(spec: FusedGRU, weights: dict, x, state, sequence_length, mask, carry_output):
    if spec.activation != "tanh":
        return None
    if isinstance(state, (tuple, list)) and len(state) == 1:
        state = state[0]
    gk, gb = weights[spec.gate_kernel], weights[spec.gate_bias]
    ck, cb = weights[spec.candidate_kernel], weights[spec.candidate_bias]
    if not _same_dtype(x.dtype, [state, gk, gb, ck, cb]):
        return None
    return gru_sequence(x, _blocks(gk, spec.gate_order, "ru"), _blocks(gb, spec.gate_order, "ru"),
                        ck, cb, state, sequence_length=sequence_length, mask=mask,
                        carry_output=carry_output)


def _run_stack(spec: FusedStack, weights: dict, x, state, sequence_length, mask, carry_output):
    """Layer by layer: a skipped step of layer k+1 ignores its input, so layer k
    may output zeros there (TF1's rule); the last layer outputs by the caller's."""
    if not isinstance(state, (tuple, list)) or len(state) != len(spec.layers):
        return None
    finals = []
    for k, layer in enumerate(spec.layers):
        prefix = f"cell_{k}/"
        own = {name[len(prefix):]: w for name, w in weights.items() if name.startswith(prefix)}
        last = k == len(spec.layers) - 1
        result = _KERNELS[type(layer)](layer, own, x, state[k], sequence_length, mask,
                                       carry_output and last)
        if result is None:
            return None
        x, layer_state = result
        finals.append(layer_state)
    return x, tuple(finals)


_KERNELS = {FusedLSTM: _run_lstm, FusedGRU: _run_gru, FusedStack: _run_stack}


def run_fused(cell: Any, inputs_time_major: Any, initial_state: Any, *, sequence_length: Any = None,
              mask: Any = None, carry_output: bool = False) -> Optional[Tuple[Any, Any]]:
    """Run ``cell`` over ``inputs_time_major`` ``[T, B, depth]`` in its fused
    kernel; ``None`` when the fast path does not apply.

    Args:
      cell: a cell with ``fused_spec()`` and ``step_weights(depth, dtype)``.
      inputs_time_major: one float tensor with a static depth.
      initial_state: the state in the cell's structure.
      sequence_length: optional int32 ``[B]``: steps ``t >= length`` are skipped
        and output zeros (TF1).
      mask: optional bool ``[T, B]``: steps where it is False are skipped.
      carry_output: a skipped step outputs the last output (zeros before the
        first step that ran; Keras) instead of zeros (TF1).

    Returns:
      ``(outputs_time_major, final_state)`` shaped as the step-by-step run's.
      The cell's variables are created (or reused) as its first call would.
    """
    if not get_fast_path_options()["enabled"]:
        return None
    spec_fn = getattr(cell, "fused_spec", None)
    spec = spec_fn() if callable(spec_fn) else None
    kernel = _KERNELS.get(type(spec))
    x = inputs_time_major
    if kernel is None or not tf.is_tensor(x) or x.shape.rank != 3:
        return None
    depth = static_axis(x, 2)
    if depth is None or static_axis(x, 0) == 0 or not x.dtype.is_floating:
        return None
    weights = cell.step_weights(depth, x.dtype)
    if weights is None:
        return None
    return kernel(spec, weights, x, initial_state, sequence_length, mask, carry_output)


def fast_dynamic_rnn(cell: Any, inputs_time_major: Any, initial_state: Any,
                     sequence_length: Any = None) -> Optional[Tuple[Any, Any]]:
    """The fast path of ``dynamic_rnn``, or ``None`` when it does not apply.

    Called by ``dynamic_rnn`` inside its variable scope with time-major
    ``inputs_time_major`` ``[T, B, depth]``, the initial state and the checked
    int32 ``sequence_length`` (or None). Applies to every cell that declares a
    fused spec (:func:`run_fused`). Returns ``(outputs_time_major,
    final_state)`` shaped as the exact path's.
    """
    return run_fused(cell, inputs_time_major, initial_state, sequence_length=sequence_length)


def fast_static_rnn(cell: Any, inputs: Any, initial_state: Any,
                    sequence_length: Any = None) -> Optional[Tuple[list, Any]]:
    """The fast path of ``static_rnn``, or ``None`` when it does not apply.

    Called by ``static_rnn`` inside its variable scope with the list of step
    inputs (each ``[B, depth]``), the initial state and the checked int32
    ``sequence_length`` (or None). Applies when every step is one tensor of the
    same static shape and dtype and the cell declares a fused spec. Returns
    ``(outputs, final_state)`` as the unrolled loop does: a list of ``T``
    outputs; like the loop, it leaves the current variable scope set to reuse
    when there is more than one step.
    """
    if not inputs or not all(tf.is_tensor(x) for x in inputs):
        return None
    first = inputs[0]
    shape = static_shape(first)
    if len(shape or ()) != 2 or any(x.dtype != first.dtype or static_shape(x) != shape
                                    for x in inputs):
        return None
    fused = run_fused(cell, tf.stack(inputs), initial_state, sequence_length=sequence_length)
    if fused is None:
        return None
    if len(inputs) > 1:
        tfvars.get_variable_scope().reuse_variables()
    outputs, state = fused
    return tf.unstack(outputs, num=len(inputs)), state
