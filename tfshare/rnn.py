"""TF1 RNN drivers with TF1's scopes, variable names and ``sequence_length`` rule.

``static_rnn``, ``dynamic_rnn``, ``bidirectional_dynamic_rnn``,
``static_bidirectional_rnn``, ``stack_bidirectional_rnn``,
``stack_bidirectional_dynamic_rnn`` (from ``tf.contrib.rnn``) and the
``linear`` helper. They open ``tfshare.variables.variable_scope`` scopes, so
tfshare cells (and any duck-typed TF1 cell: ``state_size``, ``output_size``,
``zero_state``/``get_initial_state``, ``__call__(inputs, state, scope=None)``)
create the variables TF1 created:

=====================================  =========================================================
driver (default scope)                 variables of an ``LSTMCell``
=====================================  =========================================================
``dynamic_rnn``, ``static_rnn``        ``rnn/lstm_cell/kernel``, ``rnn/lstm_cell/bias``
``*bidirectional*_rnn``                ``bidirectional_rnn/fw/lstm_cell/kernel``, ``.../bw/...``
``stack_bidirectional_rnn``            ``stack_bidirectional_rnn/cell_0/fw/lstm_cell/kernel``
``stack_bidirectional_dynamic_rnn``    ``stack_bidirectional_rnn/cell_0/bidirectional_rnn/fw/lstm_cell/kernel``
=====================================  =========================================================

``scope`` may be a string or a ``VariableScope``; the driver's scope object is
passed down, so the cell adds one level below it. They work in v1 graph mode
(Session), in eager mode and inside ``tf.function``.

**sequence_length** (one rule for every driver): for batch entry ``b`` with
length ``L_b``, outputs at ``t >= L_b`` are exactly zero and the state stops
changing after step ``L_b - 1`` (``L_b = 0`` returns the initial state;
``L_b > T`` acts as ``T``).

**parallel_iterations** and **swap_memory** are accepted for compatibility and
ignored: they only tuned TF1's graph executor.

How the loops run: every driver first offers the run to the fast path
(``tfshare.fastpath.fast_static_rnn`` / ``fast_dynamic_rnn``), which applies to
every cell that declares a fused spec (``BasicLSTMCell``, ``LSTMCell``,
``GRUCell``, ``MultiRNNCell`` of them, the block cells; same numbers to float
rounding; docs/cells.md). Otherwise, or with
``tfshare.fastpath.set_fast_path_options(enabled=False)``, ``static_rnn``
unrolls in Python, as TF1 did, and ``dynamic_rnn``'s exact path
runs step 0 first (creating the cell's variables there, then
setting its scope to reuse, as ``static_rnn`` does after step 0) and the
remaining steps in one ``tf.while_loop``; in eager mode that loop is a
``tf.function`` cached per cell (the rest of the call runs eagerly; wrap a
model in ``tf.function`` to compile all of it). Inside ``tf.function`` and in
graph mode the drivers just build ops.

**Cells.** TF1 cells (tfshare's, or any object with ``state_size``,
``output_size``, ``zero_state``/``get_initial_state`` and
``__call__(inputs, state)``) and Keras 3 cells (``keras.layers.SimpleRNNCell``,
``LSTMCell``, ``GRUCell``, ``StackedRNNCells``: their zero state comes from
``get_initial_state(batch_size)``, cast to ``dtype``; their weights are Keras
weights, named by Keras).

**Zero time steps** (``[batch, 0, depth]``, static or fed): as TF 1.15, the
cell's variables are created, the outputs have 0 steps and the final state
is the initial state. The static drivers need a non-empty ``inputs`` list.

**TF1 setups.** The drivers work in eager mode, in graph mode after
``tf.compat.v1.disable_eager_execution()`` or ``disable_v2_behavior()``, and
with each of ``disable_v2_tensorshape()``, ``disable_resource_variables()``
and ``disable_control_flow_v2()``; ``sequence_length`` may have an unknown
static shape (``tf.placeholder(tf.int64)``): its rank and size are then
checked when the graph runs.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import tensorflow as tf

from tfshare._shapes import static_axis, static_dim, static_shape

from tfshare import variables as _vs
from tfshare import _rnn_core as _core
from tfshare import fastpath as _fastpath
from tfshare.cells import base as _cell_base
from tfshare._rnn_linear import linear

__all__ = [
    "static_rnn",
    "dynamic_rnn",
    "bidirectional_dynamic_rnn",
    "static_bidirectional_rnn",
    "stack_bidirectional_rnn",
    "stack_bidirectional_dynamic_rnn",
    "linear",
]

nest = tf.nest


# --------------------------------------------------------------------------- static
def static_rnn(cell: Any, inputs: Sequence[Any], initial_state: Any = None, dtype: Any = None,
               sequence_length: Any = None, scope: Any = None) -> Tuple[List[Any], Any]:
    """Unroll ``cell`` over a Python list of time steps (TF1 ``tf.nn.static_rnn``).

    ``output_t, state_t = cell(inputs[t], state_{t-1})`` for ``t = 0..T-1`` in
    ``variable_scope(scope or "rnn")``; the scope is set to reuse after step 0.

    Args:
      cell: a TF1 RNN cell.
      inputs: a non-empty list of ``[batch, depth]`` tensors (or nested
        structures of them); depths must be static.
      initial_state: the initial state; default ``cell.get_initial_state`` /
        ``cell.zero_state`` (then ``dtype`` is required).
      dtype: the state dtype when no ``initial_state`` is given.
      sequence_length: optional int vector ``[batch]`` (see module docstring).
      scope: a string or ``VariableScope``; default ``"rnn"``.

    Returns:
      ``(outputs, final_state)``: a list of ``T`` outputs and the final state.

    Raises:
      TypeError: ``cell`` is not a cell, or ``inputs`` is not a list.
      ValueError: empty ``inputs``, unknown depth, no ``dtype``, bad
        ``sequence_length`` rank.
    """
    _cell_base.assert_like_rnncell("cell", cell)
    _check_static_inputs(inputs)
    inputs = [_core.to_tensors(x) for x in inputs]
    with _vs.variable_scope(scope or "rnn"):
        return _core.run_driver((cell,), _static_body,
                                (inputs, initial_state, _seq_tensor(sequence_length)),
                                {"dtype": dtype})


def _check_static_inputs(inputs: Any) -> None:
    """Check the static drivers' ``inputs``: a non-empty sequence (one entry per step)."""
    if not nest.is_nested(inputs):
        raise TypeError(f"Argument `inputs` must be a sequence. Received: {inputs}")
    if not inputs:
        raise ValueError("Argument `inputs` must not be empty.")


def _seq_tensor(sequence_length: Any) -> Any:
    return None if sequence_length is None else tf.convert_to_tensor(sequence_length)


def _static_body(cell: Any, inputs: List[Any], initial_state: Any, sequence_length: Any, *,
                 dtype: Any) -> Tuple[List[Any], Any]:
    """``static_rnn`` inside its (current) variable scope."""
    varscope = _vs.get_variable_scope()
    first_input = inputs
    while nest.is_nested(first_input):
        first_input = first_input[0]
    if first_input.shape.rank != 1:
        fixed_batch = static_dim(first_input.shape.with_rank_at_least(2)[0])
        for flat_input in nest.flatten(inputs):
            input_shape = static_shape(flat_input.shape.with_rank_at_least(2))
            if None not in (fixed_batch, input_shape[0]) and fixed_batch != input_shape[0]:
                raise ValueError(
                    f"Dimensions {fixed_batch} and {input_shape[0]} are not compatible: "
                    f"inputs must share the batch size. Received input={flat_input}")
            for i, size in enumerate(input_shape[1:]):
                if size is None:
                    raise ValueError(
                        f"Input size (dimension {i} of input {flat_input}) must be "
                        "accessible via shape inference, but saw value None.")
    else:
        fixed_batch = static_axis(first_input, 0)
    batch_size = fixed_batch if fixed_batch is not None else tf.shape(first_input)[0]

    state = _core.initial_state_for(cell, initial_state, batch_size, dtype)
    if sequence_length is not None:
        sequence_length = _core.check_sequence_length(sequence_length, True, batch_size)

    fast = _fastpath.fast_static_rnn(cell, inputs, state, sequence_length)
    if fast is not None:
        return fast
    outputs = []
    for time, input_ in enumerate(inputs):
        if time > 0:
            varscope.reuse_variables()
        output, state = _core.run_step(cell, time, input_, state, sequence_length)
        outputs.append(output)
    return outputs, state


def _reverse_seq(input_seq: List[Any], lengths: Optional[tf.Tensor]) -> List[Any]:
    """Reverse a list of time steps, each sequence within its own length."""
    if lengths is None:
        return list(reversed(input_seq))
    flat_steps = [nest.flatten(x) for x in input_seq]
    flat_reversed = []
    for component in zip(*flat_steps):
        joined = tf.stack(component)
        rev = _core.reverse_time(joined, lengths, 0, 1)
        steps = tf.unstack(rev, num=len(component))
        for s, c in zip(steps, component):
            s.set_shape(c.shape)
        flat_reversed.append(steps)
    return [nest.pack_sequence_as(input_seq[0], list(step)) for step in zip(*flat_reversed)]


def static_bidirectional_rnn(cell_fw: Any, cell_bw: Any, inputs: Sequence[Any],
                             initial_state_fw: Any = None, initial_state_bw: Any = None,
                             dtype: Any = None, sequence_length: Any = None,
                             scope: Any = None) -> Tuple[List[Any], Any, Any]:
    """Forward and backward ``static_rnn`` (TF1 ``tf.nn.static_bidirectional_rnn``).

    Scopes ``<scope or "bidirectional_rnn">/fw`` and ``.../bw``
    (``bidirectional_rnn/fw/gru_cell/gates/kernel``). The backward cell reads
    each sequence reversed within its length; its outputs are reversed back.
    Lengths above ``T`` act as ``T`` (TF1's ``reverse_sequence`` raised).

    Returns:
      ``(outputs, state_fw, state_bw)``; ``outputs[t] = concat([fw_t, bw_t], 1)``.
    """
    _cell_base.assert_like_rnncell("cell_fw", cell_fw)
    _cell_base.assert_like_rnncell("cell_bw", cell_bw)
    _check_static_inputs(inputs)
    inputs = [_core.to_tensors(x) for x in inputs]
    with _vs.variable_scope(scope or "bidirectional_rnn"):
        return _core.run_driver((cell_fw, cell_bw),
                                _static_bidirectional_body,
                                (inputs, initial_state_fw, initial_state_bw,
                                 _seq_tensor(sequence_length)), {"dtype": dtype})


def _static_bidirectional_body(cell_fw: Any, cell_bw: Any, inputs: List[Any],
                               initial_state_fw: Any, initial_state_bw: Any,
                               sequence_length: Any, *, dtype: Any) -> tuple:
    """``static_bidirectional_rnn`` inside its (current) variable scope."""
    lengths = None if sequence_length is None else tf.cast(sequence_length, tf.int32)
    with _vs.variable_scope("fw") as fw_scope:
        output_fw, state_fw = static_rnn(cell_fw, inputs, initial_state_fw, dtype, lengths,
                                         scope=fw_scope)
    with _vs.variable_scope("bw") as bw_scope:
        reversed_inputs = _reverse_seq(inputs, lengths)
        tmp, state_bw = static_rnn(cell_bw, reversed_inputs, initial_state_bw, dtype, lengths,
                                   scope=bw_scope)
    output_bw = _reverse_seq(tmp, lengths)
    flat = [tf.concat([fw, bw], 1)
            for fw, bw in zip(nest.flatten(output_fw), nest.flatten(output_bw))]
    return nest.pack_sequence_as(output_fw, flat), state_fw, state_bw


# --------------------------------------------------------------------------- dynamic
def _prepare_dynamic(cell: Any, inputs: Any, sequence_length: Any, initial_state: Any,
                     dtype: Any, time_major: bool) -> tuple:
    """Checks and time-major inputs of ``dynamic_rnn``: ``(inputs_tm, seq, state)``."""
    inputs = _core.to_tensors(inputs)
    flat = nest.flatten(inputs)
    if not time_major:
        flat = [_core.transpose_batch_time(x) for x in flat]
    for x in flat:
        x.shape.with_rank_at_least(3)
        _core.depth_known_check(x)
    const_time, const_batch = static_shape(flat[0])[:2]
    for x in flat:
        time, batch = static_shape(x)[:2]
        if time != const_time:
            raise ValueError(
                "Time steps is not the same for all the elements in the input in a batch. "
                f"Received time steps={time} for input={x}.")
        if batch != const_batch:
            raise ValueError(
                "Batch_size is not the same for all the elements in the input. "
                f"Received batch size={batch} for input={x}.")
    batch_size = _core.batch_size_of(flat, 1)
    if sequence_length is not None:
        sequence_length = _core.check_sequence_length(sequence_length, False, batch_size)
    state = _core.initial_state_for(cell, initial_state, batch_size, dtype)
    return nest.pack_sequence_as(inputs, flat), sequence_length, state


def _run_dynamic(cell: Any, inputs_tm: Any, state: Any, sequence_length: Optional[tf.Tensor],
                 varscope: Any) -> tuple:
    """The fast path (``tfshare.fastpath``) when it applies, else the exact loop.

    Called inside the driver's variable scope on time-major inputs; returns
    time-major ``(outputs, final_state)``. ``tfshare.fastpath.set_fast_path_options
    (enabled=False)`` forces the exact loop (``cell(x_t, state)`` per step).
    """
    fast = _fastpath.fast_dynamic_rnn(cell, inputs_tm, state, sequence_length)
    if fast is not None:
        return fast
    return _core.dynamic_loop(cell, inputs_tm, state, sequence_length, varscope)


def _to_batch_major(outputs_tm: Any) -> Any:
    return nest.map_structure(_core.transpose_batch_time, outputs_tm)


def dynamic_rnn(cell: Any, inputs: Any, sequence_length: Any = None, initial_state: Any = None,
                dtype: Any = None, parallel_iterations: Optional[int] = None,
                swap_memory: bool = False, time_major: bool = False,
                scope: Any = None) -> Tuple[Any, Any]:
    """Run ``cell`` over a ``[batch, time, depth]`` tensor (TF1 ``tf.nn.dynamic_rnn``).

    ``output_t, state_t = cell(x_t, state_{t-1})`` in a compiled loop, in
    ``variable_scope(scope or "rnn")``: variables ``rnn/lstm_cell/kernel``, ...

    Args:
      cell: a TF1 RNN cell.
      inputs: ``[batch, time, ...]`` (``[time, batch, ...]`` with
        ``time_major``), or a nested structure of such tensors; depths static.
      sequence_length: optional int vector ``[batch]`` (module docstring).
      initial_state: the initial state; default the cell's zero state (then
        ``dtype`` is required).
      dtype: the state dtype when no ``initial_state`` is given.
      parallel_iterations: accepted and ignored.
      swap_memory: accepted and ignored.
      time_major: layout of ``inputs`` and of the returned outputs.
      scope: a string or ``VariableScope``; default ``"rnn"``.

    Returns:
      ``(outputs, final_state)``: outputs shaped like the inputs with depth
      ``cell.output_size``; the final state has the structure of the state.

    Raises:
      TypeError: ``cell`` is not a cell.
      ValueError: rank < 3, unknown depth, mismatched time/batch, no ``dtype``,
        ``sequence_length`` not a vector.
    """
    del parallel_iterations, swap_memory
    _cell_base.assert_like_rnncell("cell", cell)
    with _vs.variable_scope(scope or "rnn"):
        return _core.run_driver((cell,), _dynamic_body,
                                (inputs, _seq_tensor(sequence_length), initial_state),
                                {"dtype": dtype, "time_major": bool(time_major)})


def _dynamic_body(cell: Any, inputs: Any, sequence_length: Any, initial_state: Any, *,
                  dtype: Any, time_major: bool) -> Tuple[Any, Any]:
    """``dynamic_rnn`` inside its (current) variable scope."""
    inputs_tm, seq, state = _prepare_dynamic(cell, inputs, sequence_length, initial_state,
                                             dtype, time_major)
    outputs, final_state = _run_dynamic(cell, inputs_tm, state, seq, _vs.get_variable_scope())
    if not time_major:
        outputs = _to_batch_major(outputs)
    return outputs, final_state


def _bidirectional_tm(cell_fw: Any, cell_bw: Any, inputs_tm: Any, seq: Optional[tf.Tensor],
                      initial_state_fw: Any, initial_state_bw: Any, dtype: Any) -> tuple:
    """``bidirectional_dynamic_rnn`` on time-major inputs, inside its scope; outputs time-major.

    Each direction runs in sub-scope ``fw`` / ``bw`` with that scope object
    passed down (no extra ``rnn`` level).
    """
    with _vs.variable_scope("fw") as fw_scope:
        _, seq_fw, state_fw = _prepare_dynamic(cell_fw, inputs_tm, seq, initial_state_fw,
                                               dtype, True)
        with _vs.variable_scope(fw_scope) as varscope:
            out_fw, final_fw = _run_dynamic(cell_fw, inputs_tm, state_fw, seq_fw, varscope)
    with _vs.variable_scope("bw") as bw_scope:
        rev_inputs = nest.map_structure(lambda x: _core.reverse_time(x, seq_fw, 0, 1), inputs_tm)
        _, _, state_bw = _prepare_dynamic(cell_bw, rev_inputs, None, initial_state_bw, dtype,
                                          True)
        with _vs.variable_scope(bw_scope) as varscope:
            tmp, final_bw = _run_dynamic(cell_bw, rev_inputs, state_bw, seq_fw, varscope)
    out_bw = nest.map_structure(lambda x: _core.reverse_time(x, seq_fw, 0, 1), tmp)
    return (out_fw, out_bw), (final_fw, final_bw)


def _time_major_inputs(inputs: Any, time_major: bool) -> Any:
    inputs = _core.to_tensors(inputs)
    if not time_major:
        inputs = nest.map_structure(_core.transpose_batch_time, inputs)
    for x in nest.flatten(inputs):
        x.shape.with_rank_at_least(3)
    return inputs


def bidirectional_dynamic_rnn(cell_fw: Any, cell_bw: Any, inputs: Any, sequence_length: Any = None,
                              initial_state_fw: Any = None, initial_state_bw: Any = None,
                              dtype: Any = None, parallel_iterations: Optional[int] = None,
                              swap_memory: bool = False, time_major: bool = False,
                              scope: Any = None) -> Tuple[Tuple[Any, Any], Tuple[Any, Any]]:
    """Forward and backward ``dynamic_rnn`` (TF1 ``tf.nn.bidirectional_dynamic_rnn``).

    Scopes ``<scope or "bidirectional_rnn">/fw`` and ``.../bw`` (no ``rnn``
    level: ``bidirectional_rnn/fw/lstm_cell/kernel``). The backward cell reads
    each sequence reversed within its length (``reverse_sequence``; the whole
    time axis without ``sequence_length``); its outputs are reversed back.
    Lengths above ``T`` act as ``T`` (TF1's ``reverse_sequence`` raised).
    ``parallel_iterations`` and ``swap_memory`` are ignored.

    Returns:
      ``((output_fw, output_bw), (state_fw, state_bw))`` — outputs not
      concatenated, in the layout of ``inputs``.
    """
    del parallel_iterations, swap_memory
    _cell_base.assert_like_rnncell("cell_fw", cell_fw)
    _cell_base.assert_like_rnncell("cell_bw", cell_bw)
    with _vs.variable_scope(scope or "bidirectional_rnn"):
        return _core.run_driver((cell_fw, cell_bw),
                                _bidirectional_body,
                                (inputs, _seq_tensor(sequence_length), initial_state_fw,
                                 initial_state_bw),
                                {"dtype": dtype, "time_major": bool(time_major)})


def _bidirectional_body(cell_fw: Any, cell_bw: Any, inputs: Any, sequence_length: Any,
                        initial_state_fw: Any, initial_state_bw: Any, *, dtype: Any,
                        time_major: bool) -> tuple:
    inputs_tm = _time_major_inputs(inputs, time_major)
    outputs, states = _bidirectional_tm(cell_fw, cell_bw, inputs_tm, sequence_length,
                                        initial_state_fw, initial_state_bw, dtype)
    if not time_major:
        outputs = tuple(_to_batch_major(o) for o in outputs)
    return outputs, states


# --------------------------------------------------------------------------- stacks
def _check_stack(cells_fw: Any, cells_bw: Any, initial_states_fw: Any,
                 initial_states_bw: Any) -> None:
    """``tf.contrib.rnn`` stack validation, with its exact messages."""
    if not cells_fw:
        raise ValueError("Must specify at least one fw cell for BidirectionalRNN.")
    if not cells_bw:
        raise ValueError("Must specify at least one bw cell for BidirectionalRNN.")
    if not isinstance(cells_fw, (list, tuple)):
        raise ValueError("cells_fw must be a list of RNNCells (one per layer).")
    if not isinstance(cells_bw, (list, tuple)):
        raise ValueError("cells_bw must be a list of RNNCells (one per layer).")
    if len(cells_fw) != len(cells_bw):
        raise ValueError("Forward and Backward cells must have the same depth.")
    if initial_states_fw is not None and (
            not isinstance(initial_states_fw, (list, tuple))
            or len(initial_states_fw) != len(cells_fw)):
        raise ValueError("initial_states_fw must be a list of state tensors (one per layer).")
    if initial_states_bw is not None and (
            not isinstance(initial_states_bw, (list, tuple))
            or len(initial_states_bw) != len(cells_bw)):
        raise ValueError("initial_states_bw must be a list of state tensors (one per layer).")
    for c in cells_fw:
        _cell_base.assert_like_rnncell("cell_fw", c)
    for c in cells_bw:
        _cell_base.assert_like_rnncell("cell_bw", c)


def stack_bidirectional_rnn(cells_fw: Sequence[Any], cells_bw: Sequence[Any], inputs: Sequence[Any],
                            initial_states_fw: Optional[Sequence[Any]] = None,
                            initial_states_bw: Optional[Sequence[Any]] = None, dtype: Any = None,
                            sequence_length: Any = None,
                            scope: Any = None) -> Tuple[List[Any], tuple, tuple]:
    """Layers of ``static_bidirectional_rnn`` (TF1 ``tf.contrib.rnn.stack_bidirectional_rnn``).

    Layer ``i`` runs in ``<scope or "stack_bidirectional_rnn">/cell_<i>`` and
    passes that scope object down, so variables are
    ``stack_bidirectional_rnn/cell_0/fw/lstm_cell/kernel``. Each layer reads
    the previous layer's per-step ``concat([fw, bw], 1)``.

    Returns:
      ``(outputs, states_fw, states_bw)``: the last layer's output list and one
      final state per layer (tuples).

    Raises:
      ValueError: the contrib validation texts (docs/tf1-behaviour.md §2), e.g.
        ``Forward and Backward cells must have the same depth.``
    """
    _check_stack(cells_fw, cells_bw, initial_states_fw, initial_states_bw)
    _check_static_inputs(inputs)
    cells = tuple(cells_fw) + tuple(cells_bw)
    with _vs.variable_scope(scope or "stack_bidirectional_rnn"):
        return _core.run_driver(cells, _stack_static_body,
                                ([_core.to_tensors(x) for x in inputs], initial_states_fw,
                                 initial_states_bw, _seq_tensor(sequence_length)),
                                {"dtype": dtype})


def _stack_static_body(*args: Any, dtype: Any) -> tuple:
    *cells, inputs, initial_states_fw, initial_states_bw, sequence_length = args
    n = len(cells) // 2
    states_fw, states_bw = [], []
    prev_layer = inputs
    for i, (cell_fw, cell_bw) in enumerate(zip(cells[:n], cells[n:])):
        init_fw = initial_states_fw[i] if initial_states_fw else None
        init_bw = initial_states_bw[i] if initial_states_bw else None
        with _vs.variable_scope("cell_%d" % i) as cell_scope:
            prev_layer, state_fw, state_bw = static_bidirectional_rnn(
                cell_fw, cell_bw, prev_layer, initial_state_fw=init_fw,
                initial_state_bw=init_bw, sequence_length=sequence_length, dtype=dtype,
                scope=cell_scope)
        states_fw.append(state_fw)
        states_bw.append(state_bw)
    return prev_layer, tuple(states_fw), tuple(states_bw)


def stack_bidirectional_dynamic_rnn(cells_fw: Sequence[Any], cells_bw: Sequence[Any], inputs: Any,
                                    initial_states_fw: Optional[Sequence[Any]] = None,
                                    initial_states_bw: Optional[Sequence[Any]] = None,
                                    dtype: Any = None, sequence_length: Any = None,
                                    parallel_iterations: Optional[int] = None,
                                    time_major: bool = False, scope: Any = None,
                                    swap_memory: bool = False) -> Tuple[Any, tuple, tuple]:
    """Layers of ``bidirectional_dynamic_rnn`` (TF1 contrib's ``stack_bidirectional_dynamic_rnn``).

    Layer ``i`` runs ``bidirectional_dynamic_rnn`` *without* a scope inside
    ``<scope or "stack_bidirectional_rnn">/cell_<i>``, so variables are
    ``stack_bidirectional_rnn/cell_0/bidirectional_rnn/fw/lstm_cell/kernel``.
    Each layer reads the previous layer's ``concat([fw, bw], 2)``.
    ``parallel_iterations`` and ``swap_memory`` are ignored.

    Returns:
      ``(outputs, states_fw, states_bw)``: the last layer's concatenated
      outputs (layout of ``inputs``) and one final state per layer (tuples).

    Raises:
      ValueError: the contrib validation texts (docs/tf1-behaviour.md §2).
    """
    del parallel_iterations, swap_memory
    _check_stack(cells_fw, cells_bw, initial_states_fw, initial_states_bw)
    cells = tuple(cells_fw) + tuple(cells_bw)
    with _vs.variable_scope(scope or "stack_bidirectional_rnn"):
        return _core.run_driver(cells, _stack_dynamic_body,
                                (inputs, initial_states_fw, initial_states_bw,
                                 _seq_tensor(sequence_length)),
                                {"dtype": dtype, "time_major": bool(time_major)})


def _stack_dynamic_body(*args: Any, dtype: Any, time_major: bool) -> tuple:
    *cells, inputs, initial_states_fw, initial_states_bw, sequence_length = args
    n = len(cells) // 2
    states_fw, states_bw = [], []
    prev_layer = _time_major_inputs(inputs, time_major)
    for i, (cell_fw, cell_bw) in enumerate(zip(cells[:n], cells[n:])):
        init_fw = initial_states_fw[i] if initial_states_fw else None
        init_bw = initial_states_bw[i] if initial_states_bw else None
        with _vs.variable_scope("cell_%d" % i):
            with _vs.variable_scope("bidirectional_rnn"):
                outputs, (state_fw, state_bw) = _bidirectional_tm(
                    cell_fw, cell_bw, prev_layer, sequence_length, init_fw, init_bw, dtype)
            prev_layer = tf.concat(outputs, 2)
        states_fw.append(state_fw)
        states_bw.append(state_bw)
    if not time_major:
        prev_layer = _core.transpose_batch_time(prev_layer)
    return prev_layer, tuple(states_fw), tuple(states_bw)
