"""Internals shared by the TF1 RNN drivers in :mod:`tfshare.rnn`.

One concern each:

* argument checks with TF1's error texts (:func:`check_sequence_length`, ...);
  the cell check is ``tfshare.cells.base.assert_like_rnncell``;
* the initial state (:func:`initial_state_for`), for TF1 cells and Keras 3
  cells alike;
* **the one step rule** (:func:`masked_step`) used by every driver;
* the compiled time loop of ``dynamic_rnn`` (:func:`dynamic_loop`).

The step rule (TF1 ``_rnn_step``): for batch entry ``b`` with length ``L_b``
at time ``t``::

    output_t[b] = 0               if t >= L_b else cell_output_t[b]
    state_t[b]  = state_{t-1}[b]  if t >= L_b else cell_state_t[b]

so outputs past a sequence's length are exactly zero and its state freezes at
its last valid step (``L_b = 0`` returns the initial state).
"""
from __future__ import annotations

import inspect
import threading
import weakref
from typing import Any, Callable, Optional, Sequence

import tensorflow as tf

from tfshare._shapes import static_axis, static_shape
from tfshare.cells import base as _cell_base
from tfshare.cells.base import assert_like_rnncell  # noqa: F401 (seq2seq imports it here)

nest = tf.nest

__all__: list = []


# --------------------------------------------------------------------------- checks
def to_tensors(structure: Any) -> Any:
    """``convert_to_tensor`` on every leaf of a nested structure."""
    return nest.map_structure(tf.convert_to_tensor, structure)


def check_sequence_length(sequence_length: Any, static_driver: bool, batch_size: Any) -> tf.Tensor:
    """Convert ``sequence_length`` to an int32 vector ``[batch]``, with TF1's rank errors.

    ``static_driver`` selects ``static_rnn``'s message, else ``dynamic_rnn``'s.
    A known rank other than 1, or a static size other than the batch size,
    raises at once. An unknown rank or size (``tf.placeholder(tf.int64)``) is
    checked when the graph runs, and the result has the static shape
    ``[batch]`` so that the time loop keeps its shapes.
    """
    seq = tf.convert_to_tensor(sequence_length, name="sequence_length")
    if seq.shape.rank not in (None, 1):
        if static_driver:
            raise ValueError(
                f"Argument `sequence_length` must be a vector of length {batch_size}. "
                f"Received sequence_length={seq}."
            )
        raise ValueError(
            "Argument sequence_length must be a vector of length batch_size. "
            f"Received sequence_length={seq} of shape: {seq.shape}"
        )
    if not (seq.dtype.is_integer or seq.dtype.is_floating):
        raise TypeError(
            f"Argument `sequence_length` must hold integers. Received: sequence_length={seq!r}"
        )
    seq = tf.cast(seq, tf.int32)
    static_len = static_axis(seq, 0)
    static_batch = batch_size if isinstance(batch_size, int) else None
    if None not in (static_len, static_batch) and static_len != static_batch:
        raise ValueError(
            f"Argument `sequence_length` must be a vector of length {batch_size} "
            f"(the batch size). Received sequence_length of shape {seq.shape}."
        )
    if seq.shape.rank is None:
        # a rank error surfaces when the graph runs, as TF1's shape Assert did
        seq = tf.ensure_shape(seq, [static_batch])
    if static_len is None or static_batch is None:
        check = tf.debugging.assert_equal(
            tf.shape(seq)[0], batch_size,
            message="Argument `sequence_length` must be a vector of length batch_size",
        )
        if not tf.executing_eagerly():
            with tf.control_dependencies([check]):
                seq = tf.identity(seq)
    seq = tf.identity(seq, name="sequence_length")
    seq.set_shape([static_batch if static_batch is not None else static_len])
    return seq


def batch_size_of(flat_inputs: Sequence[tf.Tensor], axis: int) -> Any:
    """The batch size: static (int) if any input knows it, else a scalar tensor."""
    for x in flat_inputs:
        static = static_axis(x, axis)
        if static is not None:
            return static
    return tf.shape(flat_inputs[0])[axis]


def _accepts(fn: Callable, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # builtins, C callables: assume TF1's signature
        return True
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def initial_state_for(cell: Any, initial_state: Any, batch_size: Any, dtype: Any) -> Any:
    """``initial_state``, else the cell's zero state of ``dtype``.

    The zero state comes from ``cell.get_initial_state(inputs=None,
    batch_size=..., dtype=...)`` (TF1 and TF 2.x cells), from Keras 3's
    ``cell.get_initial_state(batch_size)`` (no ``inputs``/``dtype`` keywords:
    the state is cast to ``dtype`` when it differs), else from
    ``cell.zero_state(batch_size, dtype)``.
    """
    if initial_state is not None:
        return to_tensors(initial_state)
    if not dtype:
        raise ValueError("If no initial_state is provided, argument `dtype` must be specified")
    dtype = tf.as_dtype(dtype)
    get_initial_state = getattr(cell, "get_initial_state", None)
    if get_initial_state is None:
        return cell.zero_state(batch_size, dtype)
    if _accepts(get_initial_state, "inputs"):
        return get_initial_state(inputs=None, batch_size=batch_size, dtype=dtype)
    state = get_initial_state(batch_size=batch_size)  # Keras 3
    return nest.map_structure(
        lambda s: s if s.dtype == dtype else tf.cast(s, dtype), to_tensors(state))


# --------------------------------------------------------------------------- step rule
def _where_rows(done: tf.Tensor, keep: tf.Tensor, new: tf.Tensor) -> tf.Tensor:
    """Row ``b`` of ``keep`` where ``done[b]``, else row ``b`` of ``new``."""
    rank = new.shape.rank
    if rank is None:
        cond = tf.reshape(done, tf.concat([[-1], tf.ones([tf.rank(new) - 1], tf.int32)], 0))
    else:
        cond = tf.reshape(done, [-1] + [1] * (rank - 1))
    out = tf.where(cond, keep, new)
    out.set_shape(new.shape)
    return out


def masked_step(time: Any, sequence_length: Optional[tf.Tensor], cell_output: Any,
                old_state: Any, new_state: Any) -> tuple:
    """The one step rule of every driver (TF1 ``_rnn_step``).

    Without ``sequence_length`` it returns ``(cell_output, new_state)``. With
    it, entries whose length is ``<= time`` get a zero output and keep
    ``old_state`` (scalar or TensorArray state entries pass through, as in TF1).
    """
    if sequence_length is None:
        return cell_output, new_state
    nest.assert_same_structure(old_state, new_state, check_types=False)
    done = time >= sequence_length
    output = nest.map_structure(
        lambda o: _where_rows(done, tf.zeros([], o.dtype), o), cell_output)
    flat_old = nest.flatten(old_state)
    flat_new = nest.flatten(new_state)
    flat = []
    for old, new in zip(flat_old, flat_new):
        if isinstance(new, tf.TensorArray) or new.shape.rank == 0:
            flat.append(new)
        else:
            flat.append(_where_rows(done, old, new))
    return output, nest.pack_sequence_as(new_state, flat)


def _same_nesting(a: Any, b: Any) -> bool:
    try:
        nest.assert_same_structure(a, b, check_types=False)
    except (ValueError, TypeError):
        return False
    return True


def run_step(cell: Any, time: Any, inputs: Any, state: Any,
             sequence_length: Optional[tf.Tensor]) -> tuple:
    """Call ``cell(inputs, state)`` and apply :func:`masked_step`.

    A new state with the same leaves but another nesting than ``state`` (Keras
    3's ``StackedRNNCells`` of one cell returns ``[h]`` for ``[[h]]``) is
    repacked like ``state``, so the time loop keeps one structure.
    """
    output, new_state = cell(inputs, state)
    if not _same_nesting(state, new_state) and (
            len(nest.flatten(state)) == len(nest.flatten(new_state))):
        new_state = nest.pack_sequence_as(state, nest.flatten(new_state))
    return masked_step(time, sequence_length, output, state, new_state)


# --------------------------------------------------------------------------- dynamic loop
def _loop_rest(cell: Any, inputs_tm: Any, out0: Any, state1: Any,
               sequence_length: Optional[tf.Tensor], n_steps: Any) -> tuple:
    """Steps ``1 .. n_steps-1`` of a time-major run as one ``tf.while_loop``.

    ``out0``/``state1`` are step 0's (masked) output and state. Returns the
    stacked outputs ``[max(n_steps, 1), batch, ...]`` (flat list) and the
    final state. All tensors are arguments, so this function can be a cached
    ``tf.function`` in eager mode.
    """
    flat_out0 = nest.flatten(out0)
    flat_inputs = nest.flatten(inputs_tm)
    tas = tuple(
        tf.TensorArray(o.dtype, size=tf.maximum(n_steps, 1), element_shape=o.shape).write(0, o)
        for o in flat_out0
    )

    def body(t, tas, state):
        x_t = nest.pack_sequence_as(inputs_tm, [x[t] for x in flat_inputs])
        output, new_state = run_step(cell, t, x_t, state, sequence_length)
        tas = tuple(ta.write(t, o) for ta, o in zip(tas, nest.flatten(output)))
        return t + 1, tas, new_state

    _, tas, final_state = tf.while_loop(
        lambda t, *_: t < n_steps, body, (tf.constant(1, tf.int32), tas, state1))
    return [ta.stack() for ta in tas], final_state


_COMPILED: "weakref.WeakKeyDictionary[Any, Callable]" = weakref.WeakKeyDictionary()
_COMPILED_LOCK = threading.Lock()


def _compiled_loop(cell: Any) -> Callable:
    """A ``tf.function`` of :func:`_loop_rest` for ``cell``, cached per cell
    (weakly: the cache never keeps a cell alive; one lock guards it)."""
    with _COMPILED_LOCK:
        try:
            fn = _COMPILED.get(cell)
        except TypeError:  # not weak-referenceable
            fn = None
        if fn is not None:
            return fn
        try:
            cell_ref = weakref.ref(cell)
        except TypeError:
            cell_ref = lambda: cell  # noqa: E731

        def loop(inputs_tm, out0, state1, sequence_length, n_steps, scope_key, seq_state):
            del scope_key  # only part of the trace key: the cell may read another scope
            c = cell_ref()
            # the sequence's tensors (variational dropout noise) come in as
            # arguments, so a cached trace never keeps those of an earlier call
            with _cell_base.sequence_state_scope(c, seq_state):
                return _loop_rest(c, inputs_tm, out0, state1, sequence_length, n_steps)

        fn = tf.function(loop, reduce_retracing=True, autograph=False)
        try:
            _COMPILED[cell] = fn
        except TypeError:
            pass
        return fn


def _has_tensor_array(structure: Any) -> bool:
    return any(isinstance(s, tf.TensorArray) for s in nest.flatten(structure))


def dynamic_loop(cell: Any, inputs_tm: Any, state: Any, sequence_length: Optional[tf.Tensor],
                 varscope: Any) -> tuple:
    """Run ``cell`` over time-major ``inputs_tm``; return ``(outputs_tm, final_state)``.

    Step 0 runs first, outside the loop: it creates the cell's variables (so no
    variable is ever created inside a loop or a compiled function), then the
    driver scope is set to reuse, exactly as ``static_rnn`` does after step 0.
    The remaining steps run in one ``tf.while_loop`` (compiled with
    ``tf.function`` in eager mode, unless the state holds a ``TensorArray``,
    which cannot enter a function: then the loop runs eagerly). With
    ``sequence_length`` the loop stops after ``min(T, max(1,
    max(sequence_length)))`` steps and the remaining outputs are zero, as in TF1.

    Zero time steps (static or known only when the graph runs): TF 1.15's
    result: the cell's variables are created, the outputs have ``T = 0`` and
    the final state is the initial state.
    """
    flat_inputs = nest.flatten(inputs_tm)
    time_static = static_axis(flat_inputs[0], 0)
    time_steps = time_static if time_static is not None else tf.shape(flat_inputs[0])[0]

    # step 0 reads x[0]; with zero (or unknown) steps it reads zeros instead
    # (the sum over an axis of length 1 is x[0] exactly, over length 0 zeros)
    x0 = nest.pack_sequence_as(inputs_tm, [
        x[0] if time_static else tf.reduce_sum(x[:1], 0) for x in flat_inputs])
    out0, state1 = run_step(cell, 0, x0, state, sequence_length)
    varscope.reuse_variables()
    flat_out0 = nest.flatten(out0)

    if time_static == 0:
        return nest.pack_sequence_as(out0, [tf.expand_dims(o, 0)[:0] for o in flat_out0]), state
    if time_static == 1:
        flat_out = [tf.expand_dims(o, 0) for o in flat_out0]
        final_state = state1
    else:
        if sequence_length is None:
            n_steps = time_steps
        else:
            n_steps = tf.minimum(time_steps, tf.maximum(1, tf.reduce_max(sequence_length)))
        if tf.executing_eagerly() and not _has_tensor_array(state1):
            flat_out, final_state = _compiled_loop(cell)(
                inputs_tm, out0, state1, sequence_length, n_steps,
                getattr(varscope, "name", ""), _cell_base.sequence_state(cell))
        else:
            flat_out, final_state = _loop_rest(
                cell, inputs_tm, out0, state1, sequence_length, n_steps)
        if time_static is None:  # maybe zero steps: keep n_steps rows, initial state
            flat_out = [o[:n_steps] for o in flat_out]
            final_state = nest.map_structure(
                lambda f, s: f if isinstance(f, tf.TensorArray) else tf.where(
                    time_steps > 0, f, s), final_state, state)
        if sequence_length is not None or time_static is None:
            flat_out = [_pad_time(o, time_steps - n_steps) for o in flat_out]

    for o, o0 in zip(flat_out, flat_out0):
        o.set_shape(tf.TensorShape([time_static]).concatenate(o0.shape))
    final_state = nest.map_structure(_keep_shape, final_state, state1)
    return nest.pack_sequence_as(out0, flat_out), final_state


def _keep_shape(final: Any, first: Any) -> Any:
    if isinstance(final, tf.Tensor):
        final.set_shape(first.shape)
    return final


def _pad_time(x: tf.Tensor, missing: Any) -> tf.Tensor:
    """Append ``missing`` all-zero time steps to a time-major tensor."""
    rank = x.shape.rank
    paddings = tf.concat([[[0, missing]], tf.zeros([rank - 1, 2], tf.int32)], 0)
    return tf.pad(x, paddings)


# --------------------------------------------------------------------------- layouts
def transpose_batch_time(x: tf.Tensor) -> tf.Tensor:
    """Swap axes 0 and 1 of a rank >= 2 tensor (``[B, T, ...] <-> [T, B, ...]``)."""
    rank = x.shape.rank
    if rank is not None and rank < 2:
        return x
    if rank is None:
        return tf.transpose(x, tf.concat([[1, 0], tf.range(2, tf.rank(x))], 0))
    return tf.transpose(x, [1, 0] + list(range(2, rank)))


def reverse_time(x: tf.Tensor, sequence_length: Optional[tf.Tensor], time_axis: int,
                 batch_axis: int) -> tf.Tensor:
    """Reverse each sequence within its own length (whole time axis without lengths).

    Lengths above the number of time steps act as that number (TF1 raised).
    """
    if sequence_length is None:
        return tf.reverse(x, axis=[time_axis])
    lengths = tf.minimum(sequence_length, tf.shape(x, out_type=sequence_length.dtype)[time_axis])
    out = tf.reverse_sequence(x, lengths, seq_axis=time_axis, batch_axis=batch_axis)
    out.set_shape(x.shape)
    return out


def depth_known_check(x: tf.Tensor) -> None:
    """``dynamic_rnn``'s check that dims >= 2 of a time-major input are static."""
    shape = static_shape(x)
    if shape is None or None in shape[2:]:
        raise ValueError(
            "Input size (depth of inputs) must be accessible via shape inference,"
            f" but saw value None for input={x}.")


# --------------------------------------------------------------------------- driver calls
def run_driver(cells: tuple, body: Callable, args: tuple, static: dict) -> Any:
    """Run a driver's ``body(*cells, *args, **static)`` (inside its variable scope).

    Each call first marks the start of a sequence on every cell
    (``begin_sequence``: a variational ``DropoutWrapper`` draws new noise; a
    no-op in graph mode). The call runs as written, in every mode: ops in
    graph mode and inside ``tf.function``; in eager mode the per-step work of
    ``dynamic_rnn`` runs in its compiled loop (:func:`dynamic_loop`), the rest
    eagerly. To compile a whole eager model, wrap it in ``tf.function``.
    """
    for cell in cells:
        _cell_base.begin_sequence(cell)
    return body(*cells, *args, **static)
