"""Internals shared by the TF1 RNN drivers in :mod:`tfshare.rnn`.

One concern each:

* argument checks with TF1's exact error texts (:func:`assert_like_rnncell`,
  :func:`check_sequence_length`, ...);
* the initial state (:func:`initial_state_for`);
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

import weakref
from typing import Any, Callable, Optional, Sequence

import tensorflow as tf

from tfshare._shapes import static_axis
from tfshare.cells import base as _cell_base

nest = tf.nest

__all__: list = []


# --------------------------------------------------------------------------- checks
def assert_like_rnncell(arg_name: str, cell: Any) -> None:
    """Raise TF1's ``TypeError`` unless ``cell`` quacks like an RNNCell.

    A cell needs ``output_size``, ``state_size``, ``zero_state`` or
    ``get_initial_state``, and must be callable as ``cell(inputs, state)``.
    """
    problems = []
    if not hasattr(cell, "output_size"):
        problems.append("'output_size' property is missing")
    if not hasattr(cell, "state_size"):
        problems.append("'state_size' property is missing")
    if not (hasattr(cell, "get_initial_state") or hasattr(cell, "zero_state")):
        problems.append("either 'zero_state' or 'get_initial_state' method is required")
    if not callable(cell):
        problems.append("is not callable")
    if problems:
        raise TypeError(
            f"The argument {arg_name!r} ({cell}) is not an RNNCell: {', '.join(problems)}.")


def to_tensors(structure: Any) -> Any:
    """``convert_to_tensor`` on every leaf of a nested structure."""
    return nest.map_structure(tf.convert_to_tensor, structure)


def check_sequence_length(sequence_length: Any, static_driver: bool, batch_size: Any) -> tf.Tensor:
    """Convert ``sequence_length`` to an int32 vector, with TF1's rank errors.

    ``static_driver`` selects ``static_rnn``'s message, else ``dynamic_rnn``'s.
    A static size mismatch with the batch raises at once; an unknown one is
    checked at run time.
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
    static_len = static_axis(seq, 0) if seq.shape.rank == 1 else None
    if isinstance(batch_size, int) and static_len is not None:
        if static_len != batch_size:
            raise ValueError(
                f"Argument `sequence_length` must be a vector of length {batch_size} "
                f"(the batch size). Received sequence_length of shape {seq.shape}."
            )
    elif seq.shape.rank == 1:
        check = tf.debugging.assert_equal(
            tf.shape(seq)[0], batch_size,
            message="Argument `sequence_length` must be a vector of length batch_size",
        )
        if not tf.executing_eagerly():
            with tf.control_dependencies([check]):
                seq = tf.identity(seq)
    return tf.identity(seq, name="sequence_length")


def batch_size_of(flat_inputs: Sequence[tf.Tensor], axis: int) -> Any:
    """The batch size: static (int) if any input knows it, else a scalar tensor."""
    for x in flat_inputs:
        static = static_axis(x, axis)
        if static is not None:
            return static
    return tf.shape(flat_inputs[0])[axis]


def initial_state_for(cell: Any, initial_state: Any, batch_size: Any, dtype: Any) -> Any:
    """``initial_state``, else ``cell.get_initial_state``, else ``cell.zero_state``."""
    if initial_state is not None:
        return to_tensors(initial_state)
    if not dtype:
        raise ValueError("If no initial_state is provided, argument `dtype` must be specified")
    dtype = tf.as_dtype(dtype)
    if getattr(cell, "get_initial_state", None) is not None:
        return cell.get_initial_state(inputs=None, batch_size=batch_size, dtype=dtype)
    return cell.zero_state(batch_size, dtype)


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


def run_step(cell: Any, time: Any, inputs: Any, state: Any,
             sequence_length: Optional[tf.Tensor]) -> tuple:
    """Call ``cell(inputs, state)`` and apply :func:`masked_step`."""
    output, new_state = cell(inputs, state)
    return masked_step(time, sequence_length, output, state, new_state)


# --------------------------------------------------------------------------- dynamic loop
def _loop_rest(cell: Any, inputs_tm: Any, out0: Any, state1: Any,
               sequence_length: Optional[tf.Tensor], n_steps: Any) -> tuple:
    """Steps ``1 .. n_steps-1`` of a time-major run as one ``tf.while_loop``.

    ``out0``/``state1`` are step 0's (masked) output and state. Returns the
    stacked outputs ``[n_steps, batch, ...]`` (flat list) and the final state.
    All tensors are arguments, so this function can be a cached
    ``tf.function`` in eager mode.
    """
    flat_out0 = nest.flatten(out0)
    flat_inputs = nest.flatten(inputs_tm)
    tas = tuple(
        tf.TensorArray(o.dtype, size=n_steps, element_shape=o.shape).write(0, o)
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


def _with_sequence_start(body: Callable, n_cells: int) -> Callable:
    """``body`` preceded by ``begin_sequence`` of its first ``n_cells`` arguments
    (the driver's cells): once per driver call, inside the driver's trace, so
    variational dropout draws new noise per call (a no-op in graph mode)."""

    def run(*args, **static):
        for cell in args[:n_cells]:
            _cell_base.begin_sequence(cell)
        return body(*args, **static)

    return run


def _compiled_loop(cell: Any) -> Callable:
    """A ``tf.function`` of :func:`_loop_rest` for ``cell``, cached per cell."""
    try:
        fn = _COMPILED.get(cell)
    except TypeError:  # not weak-referenceable
        fn = None
    if fn is None:
        try:
            cell_ref = weakref.ref(cell)  # the cache must not keep its key alive
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


def dynamic_loop(cell: Any, inputs_tm: Any, state: Any, sequence_length: Optional[tf.Tensor],
                 varscope: Any) -> tuple:
    """Run ``cell`` over time-major ``inputs_tm``; return ``(outputs_tm, final_state)``.

    Step 0 runs first, outside the loop: it creates the cell's variables (so no
    variable is ever created inside a loop or a compiled function), then the
    driver scope is set to reuse, exactly as ``static_rnn`` does after step 0.
    The remaining steps run in one ``tf.while_loop`` (compiled with
    ``tf.function`` in eager mode). With ``sequence_length`` the loop stops
    after ``min(T, max(1, max(sequence_length)))`` steps and the remaining
    outputs are zero, as in TF1.
    """
    flat_inputs = nest.flatten(inputs_tm)
    time_static = static_axis(flat_inputs[0], 0)
    time_steps = time_static if time_static is not None else tf.shape(flat_inputs[0])[0]
    if time_static == 0:
        raise ValueError(
            "dynamic_rnn needs at least one time step. Received inputs with 0 time steps: "
            f"inputs={flat_inputs[0]!r}")

    x0 = nest.pack_sequence_as(inputs_tm, [x[0] for x in flat_inputs])
    out0, state1 = run_step(cell, 0, x0, state, sequence_length)
    varscope.reuse_variables()

    if time_static == 1:
        flat_out = [tf.expand_dims(o, 0) for o in nest.flatten(out0)]
        final_state = state1
    else:
        if sequence_length is None:
            n_steps = time_steps
        else:
            n_steps = tf.minimum(time_steps, tf.maximum(1, tf.reduce_max(sequence_length)))
        if tf.executing_eagerly():
            flat_out, final_state = _compiled_loop(cell)(
                inputs_tm, out0, state1, sequence_length, n_steps,
                getattr(varscope, "name", ""), _cell_base.sequence_state(cell))
        else:
            flat_out, final_state = _loop_rest(
                cell, inputs_tm, out0, state1, sequence_length, n_steps)
        if sequence_length is not None:
            flat_out = [_pad_time(o, time_steps - n_steps) for o in flat_out]

    flat_out0 = nest.flatten(out0)
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
    if not x.shape[2:].is_fully_defined():
        raise ValueError(
            "Input size (depth of inputs) must be accessible via shape inference,"
            f" but saw value None for input={x}.")


# --------------------------------------------------------------------------- eager calls
_WARM: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()


def _warm_entry(cells: tuple, key: tuple) -> Optional[Callable]:
    try:
        table = _WARM.get(cells[0])
    except TypeError:
        return None
    entry = (table or {}).get(key)
    if entry is None:
        return None
    fn, refs = entry
    if all(r() is c for r, c in zip(refs, cells)):
        return fn
    return None


def _remember(cells: tuple, key: tuple, body: Callable) -> None:
    try:
        refs = [weakref.ref(c) for c in cells]
        table = _WARM.setdefault(cells[0], {})
    except TypeError:  # a cell that is not weak-referenceable: always run eagerly
        return

    def traced(*args, **static):
        return body(*[r() for r in refs], *args, **static)

    table[key] = (tf.function(traced, reduce_retracing=True, autograph=False), refs)


def run_driver(cells: tuple, tag: str, varscope: Any, body: Callable, args: tuple,
               static: dict, key_extra: Any = None) -> Any:
    """Run a driver's ``body(*cells, *args, **static)`` inside its scope ``varscope``.

    In graph mode and inside ``tf.function`` it just calls ``body``. In eager
    mode the first call for these cells in this scope runs ``body`` eagerly
    (creating the variables, outside any compiled function); later calls run
    it as one cached ``tf.function`` (steps, transposes and masks compiled
    together; retraced only on new shapes / Python arguments). ``body`` must
    find its scope with ``get_variable_scope()``. Only the driver's own
    sub-scopes are entered inside the function; their default-name counters are
    reset when the driver's scope exits, as in TF1, so nothing observable
    changes. ``key_extra`` (hashable) selects another cached function, e.g.
    for global options read while tracing. Each call first calls
    ``begin_sequence`` on every cell (inside the trace; no-op in graph mode).
    """
    body = _with_sequence_start(body, len(cells))
    if not tf.executing_eagerly():
        return body(*cells, *args, **static)
    key = (tag, getattr(varscope, "name", ""), tuple(id(c) for c in cells), key_extra)
    fn = _warm_entry(cells, key)
    if fn is not None:
        return fn(*args, **static)
    result = body(*cells, *args, **static)
    _remember(cells, key, body)
    return result
