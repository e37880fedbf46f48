"""The TF 0.x/1.x static sequence-to-sequence models (TF1
``tf.contrib.legacy_seq2seq``), on tfshare's cells, scopes and ``static_rnn``.

Inputs and outputs are Python lists with one ``[batch, ...]`` tensor per time
step; everything is unrolled in Python, as in TF1, so variable names are
TF1's:

================================  ===========================================================
model (default scope)             variables (LSTM cell)
================================  ===========================================================
``rnn_decoder``                   ``rnn_decoder/lstm_cell/kernel``
``basic_rnn_seq2seq``             ``basic_rnn_seq2seq/rnn/lstm_cell/...`` (encoder, a copy of
                                  the cell), ``basic_rnn_seq2seq/rnn_decoder/lstm_cell/...``
``tied_rnn_seq2seq``              ``combined_tied_rnn_seq2seq/tied_rnn_seq2seq/lstm_cell/...``
``embedding_rnn_seq2seq``         ``.../rnn/embedding_wrapper/embedding``,
                                  ``.../embedding_rnn_decoder/embedding``,
                                  ``.../embedding_rnn_decoder/rnn_decoder/output_projection_wrapper/...``
``attention_decoder``             ``attention_decoder/AttnW_0``, ``AttnV_0``, ``kernel``/``bias``
                                  (input projection), ``Attention_0/kernel``,
                                  ``AttnOutputProjection/kernel`` ...
================================  ===========================================================

``feed_previous`` may be a Python bool or a boolean tensor (both decoders are
built, sharing variables, and ``tf.cond`` picks one).
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Dict, List, Optional, Sequence

import tensorflow as tf

from tfshare import variables as _vs
from tfshare._rnn_linear import linear
from tfshare._shapes import static_axis, static_dim
from tfshare.cells.contrib import EmbeddingWrapper, OutputProjectionWrapper
from tfshare.rnn import static_rnn

__all__ = [
    "rnn_decoder",
    "basic_rnn_seq2seq",
    "tied_rnn_seq2seq",
    "embedding_rnn_decoder",
    "embedding_rnn_seq2seq",
    "embedding_tied_rnn_seq2seq",
    "attention_decoder",
    "embedding_attention_decoder",
    "embedding_attention_seq2seq",
    "one2many_rnn_seq2seq",
    "sequence_loss_by_example",
    "sequence_loss",
    "model_with_buckets",
]

nest = tf.nest


def _extract_argmax_and_embed(embedding: Any, output_projection: Any = None,
                              update_embedding: bool = True) -> Callable:
    """``loop_function(prev, i)``: embed ``argmax`` of the previous output
    (projected by ``output_projection = (W, b)`` first when given)."""

    def loop_function(prev, _):
        if output_projection is not None:
            prev = tf.nn.bias_add(tf.matmul(prev, output_projection[0]), output_projection[1])
        emb_prev = tf.nn.embedding_lookup(embedding, tf.argmax(prev, 1))
        return emb_prev if update_embedding else tf.stop_gradient(emb_prev)

    return loop_function


def rnn_decoder(decoder_inputs: Sequence[Any], initial_state: Any, cell: Any,
                loop_function: Optional[Callable] = None, scope: Any = None) -> tuple:
    """Run ``cell`` over ``decoder_inputs`` from ``initial_state`` (scope
    ``rnn_decoder``); with ``loop_function(prev_output, i)`` the input of step
    ``i > 0`` is computed from the previous output instead.

    Returns:
      ``(outputs, state)``: a list of outputs and the final state.
    """
    with _vs.variable_scope(scope or "rnn_decoder"):
        state = initial_state
        outputs: List[Any] = []
        prev = None
        for i, inp in enumerate(decoder_inputs):
            if loop_function is not None and prev is not None:
                with _vs.variable_scope("loop_function", reuse=True):
                    inp = loop_function(prev, i)
            if i > 0:
                _vs.get_variable_scope().reuse_variables()
            output, state = cell(inp, state)
            outputs.append(output)
            if loop_function is not None:
                prev = output
    return outputs, state


def basic_rnn_seq2seq(encoder_inputs: Sequence[Any], decoder_inputs: Sequence[Any], cell: Any,
                      dtype: Any = tf.float32, scope: Any = None) -> tuple:
    """Encode with a copy of ``cell`` (``static_rnn``), decode with ``cell``
    from the encoder's final state (scope ``basic_rnn_seq2seq``)."""
    with _vs.variable_scope(scope or "basic_rnn_seq2seq"):
        _, enc_state = static_rnn(copy.deepcopy(cell), encoder_inputs, dtype=dtype)
        return rnn_decoder(decoder_inputs, enc_state, cell)


def tied_rnn_seq2seq(encoder_inputs: Sequence[Any], decoder_inputs: Sequence[Any], cell: Any,
                     loop_function: Optional[Callable] = None, dtype: Any = tf.float32,
                     scope: Any = None) -> tuple:
    """Encoder and decoder share ``cell`` and its variables
    (``combined_tied_rnn_seq2seq/<scope or "tied_rnn_seq2seq">``)."""
    with _vs.variable_scope("combined_tied_rnn_seq2seq"):
        scope = scope or "tied_rnn_seq2seq"
        _, enc_state = static_rnn(cell, encoder_inputs, dtype=dtype, scope=scope)
        _vs.get_variable_scope().reuse_variables()
        return rnn_decoder(decoder_inputs, enc_state, cell, loop_function=loop_function,
                           scope=scope)


def _check_projection(output_projection: Any, num_symbols: int, dtype: Any) -> None:
    if output_projection is None:
        return
    weights = tf.convert_to_tensor(output_projection[0], dtype=dtype)
    weights.shape.assert_is_compatible_with([None, num_symbols])
    biases = tf.convert_to_tensor(output_projection[1], dtype=dtype)
    biases.shape.assert_is_compatible_with([num_symbols])


def embedding_rnn_decoder(decoder_inputs: Sequence[Any], initial_state: Any, cell: Any,
                          num_symbols: int, embedding_size: int, output_projection: Any = None,
                          feed_previous: bool = False, update_embedding_for_previous: bool = True,
                          scope: Any = None) -> tuple:
    """``rnn_decoder`` on embedded symbol ids (variable ``embedding``
    ``[num_symbols, embedding_size]`` in scope ``embedding_rnn_decoder``);
    ``feed_previous`` feeds back the embedded argmax of each output."""
    with _vs.variable_scope(scope or "embedding_rnn_decoder") as vs:
        _check_projection(output_projection, num_symbols, vs.dtype)
        embedding = _vs.get_variable("embedding", [num_symbols, embedding_size])
        loop_function = _extract_argmax_and_embed(
            embedding, output_projection, update_embedding_for_previous) if feed_previous else None
        emb_inp = (tf.nn.embedding_lookup(embedding, i) for i in decoder_inputs)
        return rnn_decoder(emb_inp, initial_state, cell, loop_function=loop_function)


def _flat_state(state: Any) -> list:
    return nest.flatten(state) if nest.is_nested(state) else [state]


def _both_decoders(feed_previous: Any, decoder: Callable, n_outputs: int,
                   state_structure: Any) -> tuple:
    """``tf.cond`` between ``decoder(True)`` and ``decoder(False)`` (a tensor
    ``feed_previous``), each ``-> (outputs, state)`` and built in the current
    variable scope, the ``True`` branch first (it creates the variables, the
    other reuses them); returns ``(outputs, state)``."""
    def branch(feed_previous_bool: bool) -> list:
        reuse = None if feed_previous_bool else True
        with _vs.variable_scope(_vs.get_variable_scope(), reuse=reuse):
            outputs, state = decoder(feed_previous_bool)
        return list(outputs) + _flat_state(state)

    outputs_and_state = tf.cond(feed_previous, lambda: branch(True), lambda: branch(False))
    state_list = outputs_and_state[n_outputs:]
    state = state_list[0]
    if nest.is_nested(state_structure):
        state = nest.pack_sequence_as(structure=state_structure, flat_sequence=state_list)
    return outputs_and_state[:n_outputs], state


def embedding_rnn_seq2seq(encoder_inputs: Sequence[Any], decoder_inputs: Sequence[Any],
                          cell: Any, num_encoder_symbols: int, num_decoder_symbols: int,
                          embedding_size: int, output_projection: Any = None,
                          feed_previous: Any = False, dtype: Any = None,
                          scope: Any = None) -> tuple:
    """Embedding encoder (``EmbeddingWrapper`` over a copy of ``cell``) and an
    ``embedding_rnn_decoder`` (its cell wrapped in ``OutputProjectionWrapper``
    to ``num_decoder_symbols`` unless ``output_projection`` is given);
    scope ``embedding_rnn_seq2seq``."""
    with _vs.variable_scope(scope or "embedding_rnn_seq2seq") as vs:
        if dtype is not None:
            vs.set_dtype(dtype)
        else:
            dtype = vs.dtype
        encoder_cell = EmbeddingWrapper(copy.deepcopy(cell), embedding_classes=num_encoder_symbols,
                                        embedding_size=embedding_size)
        _, encoder_state = static_rnn(encoder_cell, encoder_inputs, dtype=dtype)
        if output_projection is None:
            cell = OutputProjectionWrapper(cell, num_decoder_symbols)
        if isinstance(feed_previous, bool):
            return embedding_rnn_decoder(decoder_inputs, encoder_state, cell, num_decoder_symbols,
                                         embedding_size, output_projection=output_projection,
                                         feed_previous=feed_previous)

        def decoder(feed_previous_bool):
            return embedding_rnn_decoder(
                decoder_inputs, encoder_state, cell, num_decoder_symbols, embedding_size,
                output_projection=output_projection, feed_previous=feed_previous_bool,
                update_embedding_for_previous=False)

        return _both_decoders(feed_previous, decoder, len(decoder_inputs), encoder_state)


def embedding_tied_rnn_seq2seq(encoder_inputs: Sequence[Any], decoder_inputs: Sequence[Any],
                               cell: Any, num_symbols: int, embedding_size: int,
                               num_decoder_symbols: Optional[int] = None,
                               output_projection: Any = None, feed_previous: Any = False,
                               dtype: Any = None, scope: Any = None) -> tuple:
    """``tied_rnn_seq2seq`` on inputs embedded with one shared ``embedding``
    (scope ``embedding_tied_rnn_seq2seq``)."""
    with _vs.variable_scope(scope or "embedding_tied_rnn_seq2seq", dtype=dtype) as vs:
        dtype = vs.dtype
        _check_projection(output_projection, num_symbols, dtype)
        embedding = _vs.get_variable("embedding", [num_symbols, embedding_size], dtype=dtype)
        emb_encoder_inputs = [tf.nn.embedding_lookup(embedding, x) for x in encoder_inputs]
        emb_decoder_inputs = [tf.nn.embedding_lookup(embedding, x) for x in decoder_inputs]
        output_symbols = num_symbols if num_decoder_symbols is None else num_decoder_symbols
        if output_projection is None:
            cell = OutputProjectionWrapper(cell, output_symbols)
        if isinstance(feed_previous, bool):
            loop_function = _extract_argmax_and_embed(embedding, output_projection, True) \
                if feed_previous else None
            return tied_rnn_seq2seq(emb_encoder_inputs, emb_decoder_inputs, cell,
                                    loop_function=loop_function, dtype=dtype)

        def decoder(feed_previous_bool):
            loop_function = _extract_argmax_and_embed(embedding, output_projection, False) \
                if feed_previous_bool else None
            return tied_rnn_seq2seq(emb_encoder_inputs, emb_decoder_inputs, cell,
                                    loop_function=loop_function, dtype=dtype)

        batch_size = None
        for inp in encoder_inputs:
            batch_size = batch_size if batch_size is not None else static_axis(inp, 0)
        if batch_size is None:
            batch_size = tf.shape(encoder_inputs[0])[0]
        return _both_decoders(feed_previous, decoder, len(decoder_inputs),
                              cell.zero_state(batch_size, dtype))


def attention_decoder(decoder_inputs: Sequence[Any], initial_state: Any, attention_states: Any,
                      cell: Any, output_size: Optional[int] = None, num_heads: int = 1,
                      loop_function: Optional[Callable] = None, dtype: Any = None,
                      scope: Any = None, initial_state_attention: bool = False) -> tuple:
    """RNN decoder with ``num_heads`` Bahdanau-style attention reads over
    ``attention_states`` ``[batch, attn_length, attn_size]`` (Vinyals et al. 2015).

    Per step: ``x = linear([input] + attns)``, ``out, state = cell(x,
    state)``, ``attns = attention(state)``, ``output = linear([out] + attns)``
    (scope ``AttnOutputProjection``). Head ``a``: ``s_j = v_a · tanh(W_a h_j +
    U_a q)`` (``AttnW_a`` a 1x1 convolution, ``U_a`` the linear layer in
    ``Attention_a``), ``attn = Σ_j softmax(s)_j h_j``.

    Raises:
      ValueError: no inputs, ``num_heads < 1``, unknown attention depth or
        input depth (TF1's texts).
    """
    if not decoder_inputs:
        raise ValueError("Must provide at least 1 input to attention decoder.")
    if num_heads < 1:
        raise ValueError("With less than 1 heads, use a non-attention decoder.")
    attention_states = tf.convert_to_tensor(attention_states)
    if static_axis(attention_states, 2) is None:
        raise ValueError(f"Shape[2] of attention_states must be known: {attention_states.shape}")
    if output_size is None:
        output_size = cell.output_size

    with _vs.variable_scope(scope or "attention_decoder", dtype=dtype) as vs:
        dtype = vs.dtype
        batch_size = tf.shape(decoder_inputs[0])[0]
        attn_length = static_axis(attention_states, 1)
        if attn_length is None:
            attn_length = tf.shape(attention_states)[1]
        attn_size = static_axis(attention_states, 2)
        hidden = tf.reshape(attention_states, [-1, attn_length, 1, attn_size])
        hidden_features, v = [], []
        attention_vec_size = attn_size
        for a in range(num_heads):
            k = _vs.get_variable("AttnW_%d" % a, [1, 1, attn_size, attention_vec_size],
                                 dtype=dtype)
            hidden_features.append(tf.nn.conv2d(hidden, k, [1, 1, 1, 1], "SAME"))
            v.append(_vs.get_variable("AttnV_%d" % a, [attention_vec_size], dtype=dtype))

        def attention(query):
            if nest.is_nested(query):
                query = tf.concat(nest.flatten(query), 1)
            ds = []
            for a in range(num_heads):
                with _vs.variable_scope("Attention_%d" % a):
                    y = linear(query, attention_vec_size, True)
                    y = tf.cast(tf.reshape(y, [-1, 1, 1, attention_vec_size]), dtype)
                    s = tf.reduce_sum(v[a] * tf.tanh(hidden_features[a] + y), [2, 3])
                    weights = tf.cast(tf.nn.softmax(tf.cast(s, dtype=tf.float32)), dtype)
                    d = tf.reduce_sum(tf.reshape(weights, [-1, attn_length, 1, 1]) * hidden,
                                      [1, 2])
                    ds.append(tf.reshape(d, [-1, attn_size]))
            return ds

        outputs, prev = [], None
        attns = [tf.zeros(tf.stack([batch_size, attn_size]), dtype=dtype)
                 for _ in range(num_heads)]
        for a in attns:
            a.set_shape([None, attn_size])
        state = initial_state
        if initial_state_attention:
            attns = attention(initial_state)
        for i, inp in enumerate(decoder_inputs):
            if i > 0:
                _vs.get_variable_scope().reuse_variables()
            if loop_function is not None and prev is not None:
                with _vs.variable_scope("loop_function", reuse=True):
                    inp = loop_function(prev, i)
            input_size = static_dim(inp.shape.with_rank(2)[1])
            if input_size is None:
                raise ValueError(f"Could not infer input size from input: {inp.name}")
            x = linear([tf.cast(e, dtype) for e in [inp] + attns], input_size, True)
            cell_output, state = cell(x, state)
            if i == 0 and initial_state_attention:
                with _vs.variable_scope(_vs.get_variable_scope(), reuse=True):
                    attns = attention(state)
            else:
                attns = attention(state)
            with _vs.variable_scope("AttnOutputProjection"):
                output = linear([tf.cast(cell_output, dtype)] + attns, output_size, True)
            if loop_function is not None:
                prev = output
            outputs.append(output)
    return outputs, state


def embedding_attention_decoder(decoder_inputs: Sequence[Any], initial_state: Any,
                                attention_states: Any, cell: Any, num_symbols: int,
                                embedding_size: int, num_heads: int = 1,
                                output_size: Optional[int] = None, output_projection: Any = None,
                                feed_previous: bool = False,
                                update_embedding_for_previous: bool = True, dtype: Any = None,
                                scope: Any = None, initial_state_attention: bool = False) -> tuple:
    """``attention_decoder`` on embedded symbol ids (variable ``embedding`` in
    scope ``embedding_attention_decoder``)."""
    if output_size is None:
        output_size = cell.output_size
    if output_projection is not None:
        biases = tf.convert_to_tensor(output_projection[1], dtype=dtype)
        biases.shape.assert_is_compatible_with([num_symbols])
    with _vs.variable_scope(scope or "embedding_attention_decoder", dtype=dtype):
        embedding = _vs.get_variable("embedding", [num_symbols, embedding_size])
        loop_function = _extract_argmax_and_embed(
            embedding, output_projection, update_embedding_for_previous) if feed_previous else None
        emb_inp = [tf.nn.embedding_lookup(embedding, i) for i in decoder_inputs]
        return attention_decoder(emb_inp, initial_state, attention_states, cell,
                                 output_size=output_size, num_heads=num_heads,
                                 loop_function=loop_function,
                                 initial_state_attention=initial_state_attention)


def embedding_attention_seq2seq(encoder_inputs: Sequence[Any], decoder_inputs: Sequence[Any],
                                cell: Any, num_encoder_symbols: int, num_decoder_symbols: int,
                                embedding_size: int, num_heads: int = 1,
                                output_projection: Any = None, feed_previous: Any = False,
                                dtype: Any = None, scope: Any = None,
                                initial_state_attention: bool = False) -> tuple:
    """Embedding encoder plus ``embedding_attention_decoder`` over the encoder
    outputs (scope ``embedding_attention_seq2seq``); the classic TF 1.x
    translation model."""
    with _vs.variable_scope(scope or "embedding_attention_seq2seq", dtype=dtype) as vs:
        dtype = vs.dtype
        encoder_cell = EmbeddingWrapper(copy.deepcopy(cell), embedding_classes=num_encoder_symbols,
                                        embedding_size=embedding_size)
        encoder_outputs, encoder_state = static_rnn(encoder_cell, encoder_inputs, dtype=dtype)
        attention_states = tf.concat([tf.reshape(e, [-1, 1, cell.output_size])
                                      for e in encoder_outputs], 1)
        output_size = None
        if output_projection is None:
            cell = OutputProjectionWrapper(cell, num_decoder_symbols)
            output_size = num_decoder_symbols
        if isinstance(feed_previous, bool):
            return embedding_attention_decoder(
                decoder_inputs, encoder_state, attention_states, cell, num_decoder_symbols,
                embedding_size, num_heads=num_heads, output_size=output_size,
                output_projection=output_projection, feed_previous=feed_previous,
                initial_state_attention=initial_state_attention)

        def decoder(feed_previous_bool):
            return embedding_attention_decoder(
                decoder_inputs, encoder_state, attention_states, cell, num_decoder_symbols,
                embedding_size, num_heads=num_heads, output_size=output_size,
                output_projection=output_projection, feed_previous=feed_previous_bool,
                update_embedding_for_previous=False,
                initial_state_attention=initial_state_attention)

        return _both_decoders(feed_previous, decoder, len(decoder_inputs), encoder_state)


def _like_cell(cell: Any) -> bool:
    return all(hasattr(cell, a) for a in ("state_size", "output_size")) and callable(cell)


def one2many_rnn_seq2seq(encoder_inputs: Sequence[Any], decoder_inputs_dict: Dict[Any, Any],
                         enc_cell: Any, dec_cells_dict: Dict[Any, Any], num_encoder_symbols: int,
                         num_decoder_symbols_dict: Dict[Any, int], embedding_size: int,
                         feed_previous: Any = False, dtype: Any = None,
                         scope: Any = None) -> tuple:
    """One embedding encoder, one ``embedding_rnn_decoder`` per key of
    ``decoder_inputs_dict`` (scope ``one2many_decoder_<key>``).

    Returns:
      ``(outputs_dict, state_dict)``.

    Raises:
      TypeError: a non-cell; ValueError: the two dicts' keys differ.
    """
    if not _like_cell(enc_cell):
        raise TypeError(f"enc_cell is not an RNNCell: {type(enc_cell)}")
    if set(dec_cells_dict) != set(decoder_inputs_dict):
        raise ValueError("keys of dec_cells_dict != keys of decodre_inputs_dict")
    for dec_cell in dec_cells_dict.values():
        if not _like_cell(dec_cell):
            raise TypeError(f"dec_cell is not an RNNCell: {type(dec_cell)}")
    outputs_dict, state_dict = {}, {}
    with _vs.variable_scope(scope or "one2many_rnn_seq2seq", dtype=dtype) as vs:
        dtype = vs.dtype
        enc_cell = EmbeddingWrapper(enc_cell, embedding_classes=num_encoder_symbols,
                                    embedding_size=embedding_size)
        _, encoder_state = static_rnn(enc_cell, encoder_inputs, dtype=dtype)
        for name, decoder_inputs in decoder_inputs_dict.items():
            num_decoder_symbols = num_decoder_symbols_dict[name]
            with _vs.variable_scope("one2many_decoder_" + str(name)):
                dec_cell = OutputProjectionWrapper(dec_cells_dict[name], num_decoder_symbols)
                if isinstance(feed_previous, bool):
                    outputs, state = embedding_rnn_decoder(
                        decoder_inputs, encoder_state, dec_cell, num_decoder_symbols,
                        embedding_size, feed_previous=feed_previous)
                else:
                    def decoder(feed_previous_bool, decoder_inputs=decoder_inputs,
                                dec_cell=dec_cell, num_decoder_symbols=num_decoder_symbols):
                        return embedding_rnn_decoder(
                            decoder_inputs, encoder_state, dec_cell, num_decoder_symbols,
                            embedding_size, feed_previous=feed_previous_bool)

                    outputs, state = _both_decoders(feed_previous, decoder, len(decoder_inputs),
                                                    encoder_state)
            outputs_dict[name] = outputs
            state_dict[name] = state
    return outputs_dict, state_dict


def sequence_loss_by_example(logits: Sequence[Any], targets: Sequence[Any],
                             weights: Sequence[Any], average_across_timesteps: bool = True,
                             softmax_loss_function: Optional[Callable] = None,
                             name: Optional[str] = None) -> tf.Tensor:
    """``Σ_t w_t · xent(logits_t, targets_t)`` per example, divided by
    ``Σ_t w_t + 1e-12`` when ``average_across_timesteps``; ``[batch]``.

    Raises:
      ValueError: the three lists differ in length (TF1's text).
    """
    if len(targets) != len(logits) or len(weights) != len(logits):
        raise ValueError("Lengths of logits, weights, and targets must be the same "
                         "%d, %d, %d." % (len(logits), len(weights), len(targets)))
    with tf.name_scope(name or "sequence_loss_by_example"):
        log_perp_list = []
        for logit, target, weight in zip(logits, targets, weights):
            if softmax_loss_function is None:
                crossent = tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=tf.reshape(target, [-1]), logits=logit)
            else:
                crossent = softmax_loss_function(labels=target, logits=logit)
            log_perp_list.append(crossent * weight)
        log_perps = tf.add_n(log_perp_list)
        if average_across_timesteps:
            log_perps /= tf.add_n(weights) + 1e-12
    return log_perps


def sequence_loss(logits: Sequence[Any], targets: Sequence[Any], weights: Sequence[Any],
                  average_across_timesteps: bool = True, average_across_batch: bool = True,
                  softmax_loss_function: Optional[Callable] = None,
                  name: Optional[str] = None) -> tf.Tensor:
    """``Σ_b sequence_loss_by_example``, divided by the batch size when
    ``average_across_batch``; a scalar."""
    with tf.name_scope(name or "sequence_loss"):
        cost = tf.reduce_sum(sequence_loss_by_example(
            logits, targets, weights, average_across_timesteps=average_across_timesteps,
            softmax_loss_function=softmax_loss_function))
        if average_across_batch:
            return cost / tf.cast(tf.shape(targets[0])[0], cost.dtype)
        return cost


def model_with_buckets(encoder_inputs: Sequence[Any], decoder_inputs: Sequence[Any],
                       targets: Sequence[Any], weights: Sequence[Any], buckets: Sequence[tuple],
                       seq2seq: Callable, softmax_loss_function: Optional[Callable] = None,
                       per_example_loss: bool = False, name: Optional[str] = None) -> tuple:
    """Build ``seq2seq(encoder_inputs[:e], decoder_inputs[:d])`` for every
    bucket ``(e, d)``, sharing variables (``reuse=True`` after the first), and
    its loss. Returns ``(outputs per bucket, losses per bucket)``.

    Raises:
      ValueError: fewer inputs than the last bucket needs (TF1's texts).
    """
    if len(encoder_inputs) < buckets[-1][0]:
        raise ValueError("Length of encoder_inputs (%d) must be at least that of last bucket (%d)."
                         % (len(encoder_inputs), buckets[-1][0]))
    if len(targets) < buckets[-1][1]:
        raise ValueError("Length of targets (%d) must be at least that of last bucket (%d)."
                         % (len(targets), buckets[-1][1]))
    if len(weights) < buckets[-1][1]:
        raise ValueError("Length of weights (%d) must be at least that of last bucket (%d)."
                         % (len(weights), buckets[-1][1]))
    losses, outputs = [], []
    loss_fn = sequence_loss_by_example if per_example_loss else sequence_loss
    with tf.name_scope(name or "model_with_buckets"):
        for j, bucket in enumerate(buckets):
            with _vs.variable_scope(_vs.get_variable_scope(), reuse=True if j > 0 else None):
                bucket_outputs, _ = seq2seq(encoder_inputs[:bucket[0]], decoder_inputs[:bucket[1]])
                outputs.append(bucket_outputs)
                losses.append(loss_fn(outputs[-1], targets[:bucket[1]], weights[:bucket[1]],
                                      softmax_loss_function=softmax_loss_function))
    return outputs, losses
