"""Fast paths for ``dynamic_rnn`` over the TF1 LSTM and GRU cells.

``dynamic_rnn`` calls :func:`fast_dynamic_rnn` first; it returns ``None`` when no
fast path applies (an unknown cell, a non-tanh activation, a partitioned kernel,
...) and the driver then runs the exact per-step loop. A fast path computes the
same function as the exact path (the tests compare outputs, final states and
gradients to 1e-5); only the order of floating-point operations differs.

What makes it fast (each measured in ``benchmarks/bench_rnn.py`` before being kept):

* The TF1 kernel over ``[x, h]`` is split once into its input half ``Kx`` and its
  recurrent half ``Kh``. The input half is applied to all time steps in ONE large
  matmul before the loop: ``Zx = X·Kx + b``. Each step then computes only
  ``z_t = Zx[t] + h_{t-1}·Kh`` (no per-step ``concat`` or slicing of variables).
* A hand-written backward pass (``tf.custom_gradient``). The loop of the backward
  pass does only the sequential part (``dz_t`` and ``dh_{t-1} = dz_t·Khᵀ``); the
  weight gradients are then ONE large matmul each: ``dKx = Xᵀ·dZ``,
  ``dKh = H_prevᵀ·dZ``, ``db = Σ dZ``, ``dX = dZ·Kxᵀ``. TensorFlow's automatic
  gradient of a ``while_loop`` does a small matmul per step for each of them and
  accumulates full-size zero tensors for sliced inputs.
* Each intermediate the backward pass needs is stored once per step (no duplicates
  when there is no mask or clip) and read back by indexing the stacked tensor.
* ``sequence_length`` is a ``[T, B, 1]`` boolean mask built once; a step selects
  ``new if t < length else old`` with ``tf.where`` (so frozen states and zero
  outputs are exact), and the backward pass routes the state gradient the same way.
* The loop is a ``tf.function`` (``reduce_retracing=True``). XLA compilation
  (``jit_compile``) is an option, :func:`set_fast_path_options`: it fuses the
  per-step element-wise work; see ``benchmarks/README.md`` for when it wins.

Equations (TF1, spec §3.3–3.5), with ``z = [x, h]·K + b = x·Kx + h·Kh + b``:

* LSTM (``BasicLSTMCell``, ``LSTMCell``), columns ``i, j, f, o``::

      c' = σ(f + forget_bias [+ w_f_diag⊙c])⊙c + σ(i [+ w_i_diag⊙c])⊙tanh(j)
      c' = clip(c', ±cell_clip)                        (when cell_clip)
      m  = σ(o [+ w_o_diag⊙c'])⊙tanh(c')
      h' = clip(m·P, ±proj_clip)                       (when num_proj / proj_clip)

* GRU (``GRUCell``), gate columns ``r, u``::

      r, u = σ([x, h]·Kg + bg);  c = tanh([x, r⊙h]·Kc + bc);  h' = u⊙h + (1−u)⊙c
"""
from __future__ import annotations

import threading
from typing import Any, Optional, Tuple

import tensorflow as tf

__all__ = ["set_fast_path_options", "get_fast_path_options"]

_OPTIONS_LOCK = threading.Lock()
_OPTIONS = {"enabled": True, "jit_compile": False}


def set_fast_path_options(enabled: Optional[bool] = None, jit_compile: Optional[bool] = None) -> dict:
    """Set the options of the ``dynamic_rnn`` fast path; return the previous ones.

    Args:
      enabled: ``False`` makes ``dynamic_rnn`` always run the exact per-step loop
        (``cell(x_t, state)``), e.g. to debug a cell. Default ``True``.
      jit_compile: ``True`` compiles the fast path's loops with XLA. It fuses the
        per-step element-wise work: on a 2-core CPU it cut forward+backward time
        by a further 0–25 % on most shapes (a few were slightly slower), but it
        compiles once per new ``(time, batch)`` shape (≈0.6–0.8 s for a 64×50×256
        LSTM), which costs more than it saves when every batch has a different
        length. Default ``False`` (see ``benchmarks/README.md``).
    """
    for arg, value in (("enabled", enabled), ("jit_compile", jit_compile)):
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"Argument `{arg}` must be a bool or None. Received: {arg}={value!r}")
    with _OPTIONS_LOCK:
        previous = dict(_OPTIONS)
        if enabled is not None:
            _OPTIONS["enabled"] = enabled
        if jit_compile is not None:
            _OPTIONS["jit_compile"] = jit_compile
    return previous


def get_fast_path_options() -> dict:
    """Return the current fast-path options, ``{"enabled": bool, "jit_compile": bool}``."""
    with _OPTIONS_LOCK:
        return dict(_OPTIONS)


# ---------------------------------------------------------------------------
# Loop helpers
# ---------------------------------------------------------------------------

def _ta(dtype, size, elem_shape=None):
    return tf.TensorArray(dtype, size=size, element_shape=elem_shape, infer_shape=True)


def _flat_matmul(x3, w):
    """``[T, B, I]·[I, N]`` → ``[T, B, N]`` as one 2-D matmul."""
    shape = tf.shape(x3)
    out = tf.matmul(tf.reshape(x3, [-1, shape[2]]), w)
    return tf.reshape(out, tf.concat([shape[:2], tf.shape(w)[1:]], 0))


def _flat_tmatmul(a3, b3):
    """``Σ_t a[t]ᵀ·b[t]`` for ``[T, B, P]``, ``[T, B, N]`` → ``[P, N]`` as one matmul."""
    a2 = tf.reshape(a3, [-1, tf.shape(a3)[2]])
    b2 = tf.reshape(b3, [-1, tf.shape(b3)[2]])
    return tf.matmul(a2, b2, transpose_a=True)


def _shift_in(first, rest):
    """``[first, rest[0], ..., rest[T-2]]``: the state before each step."""
    return tf.concat([first[None], rest[:-1]], 0)


def _time_mask(sequence_length, steps):
    """``[T, B, 1]`` bool: ``t < sequence_length[b]``."""
    t = tf.range(steps, dtype=tf.int32)
    return (t[:, None] < tf.cast(sequence_length, tf.int32)[None, :])[:, :, None]


def _sig_grad(s):
    return s * (1 - s)


def _tanh_grad(t):
    return 1 - t * t


# ---------------------------------------------------------------------------
# LSTM
# ---------------------------------------------------------------------------

def _lstm_core(x, kernel, bias, c0, h0, mask, peep, *, depth, forget_bias, use_peepholes,
               cell_clip, proj, proj_clip):
    """Forward + custom backward of the TF1 LSTM over time-major ``x``.

    ``peep`` is ``[w_i, w_f, w_o]`` (or zeros), ``proj`` the projection kernel (or
    a 1x1 dummy when ``num_proj`` is off); ``mask`` is ``[T, B, 1]`` bool or None.
    Returns ``(outputs [T, B, H], c_T, h_T)``.
    """
    has_mask = mask is not None
    has_proj = proj is not None

    @tf.custom_gradient
    def run(x, kernel, bias, c0, h0, w_i, w_f, w_o, proj_k):
        dtype = x.dtype
        steps = tf.shape(x)[0]
        kx, kh = kernel[:depth], kernel[depth:]
        fb = tf.constant(forget_bias, dtype)
        zx = _flat_matmul(x, kx) + bias
        # What the backward pass needs, without duplicates: c_out is cc and h_out is
        # y when there is no mask; cn is cc when there is no cell_clip.
        names = ["i", "f", "g", "o", "tc", "c", "y"]
        if cell_clip is not None:
            names.append("cn")
        if has_mask:
            names.append("h")
            if use_peepholes:
                names.append("cc")
        if has_proj:
            names += ["m", "r"]
        out_tas = {n: _ta(dtype, steps) for n in names}

        def step(t, c, h, tas):
            z = zx[t] + tf.matmul(h, kh)
            zi, zj, zf, zo = tf.split(z, 4, axis=1)
            if use_peepholes:
                i = tf.sigmoid(zi + w_i * c)
                f = tf.sigmoid(zf + fb + w_f * c)
            else:
                i = tf.sigmoid(zi)
                f = tf.sigmoid(zf + fb)
            g = tf.tanh(zj)
            cn = f * c + i * g
            cc = tf.clip_by_value(cn, -cell_clip, cell_clip) if cell_clip is not None else cn
            o = tf.sigmoid(zo + w_o * cc) if use_peepholes else tf.sigmoid(zo)
            tc = tf.tanh(cc)
            m = o * tc
            if has_proj:
                r = tf.matmul(m, proj_k)
                hn = tf.clip_by_value(r, -proj_clip, proj_clip) if proj_clip is not None else r
            else:
                hn = m
            if has_mask:
                mk = mask[t]
                c_out = tf.where(mk, cc, c)
                h_out = tf.where(mk, hn, h)
                y = tf.where(mk, hn, tf.zeros_like(hn))
            else:
                c_out, h_out, y = cc, hn, hn
            vals = {"i": i, "f": f, "g": g, "o": o, "cn": cn, "cc": cc, "tc": tc, "c": c_out,
                    "h": h_out, "y": y}
            if has_proj:
                vals["m"] = m
                vals["r"] = r
            tas = {n: tas[n].write(t, vals[n]) for n in names}
            return t + 1, c_out, h_out, tas

        _, c_last, h_last, tas = tf.while_loop(
            lambda t, *_: t < steps, step, (tf.constant(0), c0, h0, out_tas),
            maximum_iterations=steps)
        st = {n: tas[n].stack() for n in names}
        st.setdefault("cn", st.get("cc", st["c"]))
        st.setdefault("cc", st["c"])
        st.setdefault("h", st["y"])
        outputs = st["y"]

        def grad(dy, dc_last, dh_last):
            dy = tf.zeros_like(outputs) if dy is None else dy
            i_s, f_s, g_s, o_s = st["i"], st["f"], st["g"], st["o"]
            c_prev_s = _shift_in(c0, st["c"])
            seqs = {"i": i_s, "f": f_s, "g": g_s, "o": o_s, "cn": st["cn"], "tc": st["tc"],
                    "cp": c_prev_s, "dy": dy}
            if has_proj and proj_clip is not None:
                seqs["r"] = st["r"]
            dz_ta = _ta(dtype, steps)
            dr_ta = _ta(dtype, steps) if has_proj else None
            khT = tf.transpose(kh)
            projT = tf.transpose(proj_k) if has_proj else None
            dc_last = tf.zeros_like(c0) if dc_last is None else dc_last
            dh_last = tf.zeros_like(h0) if dh_last is None else dh_last

            def bstep(k, dc, dh, dz_ta, dr_ta):
                t = steps - 1 - k
                dh_new = dh + seqs["dy"][t]
                dc_new = dc
                if has_mask:
                    mk = mask[t]
                    zero_h = tf.zeros_like(dh)
                    zero_c = tf.zeros_like(dc)
                    dh_pass = tf.where(mk, zero_h, dh)
                    dc_pass = tf.where(mk, zero_c, dc)
                    dh_new = tf.where(mk, dh_new, zero_h)
                    dc_new = tf.where(mk, dc_new, zero_c)
                i, f, g, o = (seqs[n][t] for n in ("i", "f", "g", "o"))
                tc, cp = seqs["tc"][t], seqs["cp"][t]
                if has_proj:
                    dr = dh_new
                    if proj_clip is not None:
                        r = seqs["r"][t]
                        dr = tf.where(tf.abs(r) <= proj_clip, dr, tf.zeros_like(dr))
                    dr_ta = dr_ta.write(t, dr)
                    dm = tf.matmul(dr, projT)
                else:
                    dm = dh_new
                dzo = dm * tc * _sig_grad(o)
                dcc = dc_new + dm * o * _tanh_grad(tc)
                if use_peepholes:
                    dcc = dcc + dzo * w_o
                if cell_clip is not None:
                    cn = seqs["cn"][t]
                    dcc = tf.where(tf.abs(cn) <= cell_clip, dcc, tf.zeros_like(dcc))
                dzi = dcc * g * _sig_grad(i)
                dzj = dcc * i * _tanh_grad(g)
                dzf = dcc * cp * _sig_grad(f)
                dc_prev = dcc * f
                if use_peepholes:
                    dc_prev = dc_prev + dzi * w_i + dzf * w_f
                dz = tf.concat([dzi, dzj, dzf, dzo], axis=1)
                dh_prev = tf.matmul(dz, khT)
                if has_mask:
                    dh_prev = dh_prev + dh_pass
                    dc_prev = dc_prev + dc_pass
                dz_ta = dz_ta.write(t, dz)
                return k + 1, dc_prev, dh_prev, dz_ta, (dr_ta if has_proj else 0)

            _, dc0, dh0, dz_ta, dr_ta = tf.while_loop(
                lambda k, *_: k < steps, bstep,
                (tf.constant(0), dc_last, dh_last, dz_ta, dr_ta if has_proj else 0),
                maximum_iterations=steps)
            dz = dz_ta.stack()
            h_prev_s = _shift_in(h0, st["h"])
            dkernel = tf.concat([_flat_tmatmul(x, dz), _flat_tmatmul(h_prev_s, dz)], 0)
            dbias = tf.reduce_sum(dz, axis=[0, 1])
            dx = _flat_matmul(dz, tf.transpose(kx))
            if use_peepholes:
                dzi, _, dzf, dzo = tf.split(dz, 4, axis=2)
                dwi = tf.reduce_sum(dzi * c_prev_s, axis=[0, 1])
                dwf = tf.reduce_sum(dzf * c_prev_s, axis=[0, 1])
                dwo = tf.reduce_sum(dzo * st["cc"], axis=[0, 1])
            else:
                dwi = dwf = dwo = tf.zeros_like(w_i)
            dproj = _flat_tmatmul(st["m"], dr_ta.stack()) if has_proj else tf.zeros_like(proj_k)
            return dx, dkernel, dbias, dc0, dh0, dwi, dwf, dwo, dproj

        return (outputs, c_last, h_last), grad

    dtype = x.dtype
    if peep is None:
        w_i = w_f = w_o = tf.zeros(tf.shape(c0)[1:], dtype)
    else:
        w_i, w_f, w_o = peep
    proj_k = proj if has_proj else tf.zeros([1, 1], dtype)
    return run(x, kernel, bias, c0, h0, w_i, w_f, w_o, proj_k)


# ---------------------------------------------------------------------------
# GRU
# ---------------------------------------------------------------------------

def _gru_core(x, gate_kernel, gate_bias, cand_kernel, cand_bias, h0, mask, depth):
    """Forward + custom backward of the TF1 GRU over time-major ``x``.

    Returns ``(outputs [T, B, U], h_T)``.
    """
    has_mask = mask is not None

    @tf.custom_gradient
    def run(x, gate_kernel, gate_bias, cand_kernel, cand_bias, h0):
        dtype = x.dtype
        steps = tf.shape(x)[0]
        kgx, kgh = gate_kernel[:depth], gate_kernel[depth:]
        kcx, kch = cand_kernel[:depth], cand_kernel[depth:]
        zg = _flat_matmul(x, kgx) + gate_bias
        zc = _flat_matmul(x, kcx) + cand_bias
        names = ["r", "u", "cc", "rh", "y"] + (["h"] if has_mask else [])
        out_tas = {n: _ta(dtype, steps) for n in names}

        def step(t, h, tas):
            gates = tf.sigmoid(zg[t] + tf.matmul(h, kgh))
            r, u = tf.split(gates, 2, axis=1)
            rh = r * h
            cc = tf.tanh(zc[t] + tf.matmul(rh, kch))
            hn = u * h + (1 - u) * cc
            if has_mask:
                mk = mask[t]
                h_out = tf.where(mk, hn, h)
                y = tf.where(mk, hn, tf.zeros_like(hn))
            else:
                h_out = y = hn
            vals = {"r": r, "u": u, "cc": cc, "rh": rh, "h": h_out, "y": y}
            return t + 1, h_out, {n: tas[n].write(t, vals[n]) for n in names}

        _, h_last, tas = tf.while_loop(lambda t, *_: t < steps, step,
                                       (tf.constant(0), h0, out_tas), maximum_iterations=steps)
        st = {n: tas[n].stack() for n in names}
        st.setdefault("h", st["y"])

        def grad(dy, dh_last):
            dy = tf.zeros_like(st["y"]) if dy is None else dy
            h_prev_s = _shift_in(h0, st["h"])
            seqs = {"r": st["r"], "u": st["u"], "cc": st["cc"], "hp": h_prev_s, "dy": dy}
            kghT, kchT = tf.transpose(kgh), tf.transpose(kch)
            dh_last = tf.zeros_like(h0) if dh_last is None else dh_last

            def bstep(k, dh, dg_ta, da_ta):
                t = steps - 1 - k
                dhn = dh + seqs["dy"][t]
                if has_mask:
                    mk = mask[t]
                    zero = tf.zeros_like(dh)
                    dh_pass = tf.where(mk, zero, dh)
                    dhn = tf.where(mk, dhn, zero)
                r, u, cc, hp = (seqs[n][t] for n in ("r", "u", "cc", "hp"))
                du = dhn * (hp - cc)
                da = dhn * (1 - u) * _tanh_grad(cc)
                drh = tf.matmul(da, kchT)
                dg = tf.concat([drh * hp * _sig_grad(r), du * _sig_grad(u)], axis=1)
                dh_prev = dhn * u + drh * r + tf.matmul(dg, kghT)
                if has_mask:
                    dh_prev = dh_prev + dh_pass
                return k + 1, dh_prev, dg_ta.write(t, dg), da_ta.write(t, da)

            _, dh0, dg_ta, da_ta = tf.while_loop(
                lambda k, *_: k < steps, bstep,
                (tf.constant(0), dh_last, _ta(dtype, steps), _ta(dtype, steps)),
                maximum_iterations=steps)
            dg, da = dg_ta.stack(), da_ta.stack()
            dgk = tf.concat([_flat_tmatmul(x, dg), _flat_tmatmul(h_prev_s, dg)], 0)
            dck = tf.concat([_flat_tmatmul(x, da), _flat_tmatmul(st["rh"], da)], 0)
            dx = _flat_matmul(dg, tf.transpose(kgx)) + _flat_matmul(da, tf.transpose(kcx))
            return (dx, dgk, tf.reduce_sum(dg, axis=[0, 1]), dck, tf.reduce_sum(da, axis=[0, 1]), dh0)

        return (st["y"], h_last), grad

    return run(x, gate_kernel, gate_bias, cand_kernel, cand_bias, h0)


# ---------------------------------------------------------------------------
# Compiled entry points (one tf.function per jit setting)
# ---------------------------------------------------------------------------

def _lstm_impl(x, kernel, bias, c0, h0, sequence_length, peep, proj, depth, forget_bias,
               use_peepholes, cell_clip, proj_clip):
    # ``depth`` is a Python int: with reduce_retracing the traced x.shape may be unknown
    mask = None if sequence_length is None else _time_mask(sequence_length, tf.shape(x)[0])
    return _lstm_core(x, kernel, bias, c0, h0, mask, peep, depth=depth, forget_bias=forget_bias,
                      use_peepholes=use_peepholes, cell_clip=cell_clip, proj=proj,
                      proj_clip=proj_clip)


def _gru_impl(x, gate_kernel, gate_bias, cand_kernel, cand_bias, h0, sequence_length, depth):
    mask = None if sequence_length is None else _time_mask(sequence_length, tf.shape(x)[0])
    return _gru_core(x, gate_kernel, gate_bias, cand_kernel, cand_bias, h0, mask, depth)


_COMPILED: dict = {}


def _restore_shape(t, shape):
    """Give a symbolic result the static shape the exact path has (a relaxed
    trace of the ``tf.function`` may have lost it)."""
    if not tf.executing_eagerly() and hasattr(t, "set_shape"):
        t.set_shape(t.shape.merge_with(shape))
    return t


def _static_depth(x) -> int:
    depth = x.shape[-1] if x.shape.rank == 3 else None
    if depth is None:
        raise ValueError("Argument `x` must be a [time, batch, depth] tensor with a static depth. "
                         f"Received: x.shape={x.shape}")
    return int(depth)


def _compiled(fn, jit: bool):
    key = (fn.__name__, jit)
    if key not in _COMPILED:
        _COMPILED[key] = tf.function(fn, jit_compile=jit, reduce_retracing=True, autograph=False)
    return _COMPILED[key]


def lstm_sequence(x, kernel, bias, c0, h0, *, forget_bias: float = 1.0, sequence_length=None,
                  w_i_diag=None, w_f_diag=None, w_o_diag=None, cell_clip: Optional[float] = None,
                  proj_kernel=None, proj_clip: Optional[float] = None,
                  jit_compile: Optional[bool] = None):
    """Run the TF1 LSTM over time-major ``x`` ``[T, B, I]`` with explicit weights.

    ``kernel`` is the TF1 ``[I + H, 4·U]`` kernel (columns i, j, f, o), ``bias``
    ``[4·U]``; peepholes are used when ``w_i_diag`` is given. Returns
    ``(outputs [T, B, H], c_T, h_T)``; outputs past ``sequence_length`` are zero
    and the state freezes at each sequence's last valid step.
    """
    jit = get_fast_path_options()["jit_compile"] if jit_compile is None else jit_compile
    use_peepholes = w_i_diag is not None
    peep = (w_i_diag, w_f_diag, w_o_diag) if use_peepholes else None
    fn = _compiled(_lstm_impl, jit)
    x = tf.convert_to_tensor(x)
    depth = _static_depth(x)
    out, c, h = fn(x, kernel, bias, c0, h0, sequence_length, peep, proj_kernel, depth,
                   float(forget_bias), use_peepholes, None if cell_clip is None else float(cell_clip),
                   None if proj_clip is None else float(proj_clip))
    return _restore_shape(out, x.shape[:2] + h0.shape[-1:]), _restore_shape(c, c0.shape), \
        _restore_shape(h, h0.shape)


def gru_sequence(x, gate_kernel, gate_bias, cand_kernel, cand_bias, h0, *, sequence_length=None,
                 jit_compile: Optional[bool] = None):
    """Run the TF1 GRU over time-major ``x`` ``[T, B, I]`` with explicit weights.

    ``gate_kernel`` ``[I + U, 2·U]`` (columns r, u), ``gate_bias`` ``[2·U]``,
    ``cand_kernel`` ``[I + U, U]``, ``cand_bias`` ``[U]``. Returns
    ``(outputs [T, B, U], h_T)``.
    """
    jit = get_fast_path_options()["jit_compile"] if jit_compile is None else jit_compile
    fn = _compiled(_gru_impl, jit)
    x = tf.convert_to_tensor(x)
    out, h = fn(x, gate_kernel, gate_bias, cand_kernel, cand_bias, h0, sequence_length,
                _static_depth(x))
    return _restore_shape(out, x.shape[:2] + h0.shape[-1:]), _restore_shape(h, h0.shape)


# ---------------------------------------------------------------------------
# The entry point for dynamic_rnn
# ---------------------------------------------------------------------------

def _is_tanh(activation: Any) -> bool:
    import keras

    return activation in (tf.math.tanh, tf.tanh, tf.nn.tanh, keras.activations.tanh)


def fast_dynamic_rnn(cell: Any, inputs_time_major: Any, initial_state: Any,
                     sequence_length: Any = None) -> Optional[Tuple[Any, Any]]:
    """The fast path of ``dynamic_rnn``, or ``None`` when it does not apply.

    Called by ``dynamic_rnn`` inside its variable scope with time-major
    ``inputs_time_major`` ``[T, B, depth]``, the initial state and the checked
    int32 ``sequence_length`` (or None). Applies to exactly ``tfshare.BasicLSTMCell``,
    ``tfshare.LSTMCell`` (peepholes, ``cell_clip``, ``num_proj``, ``proj_clip``;
    tuple or concatenated state) and ``tfshare.GRUCell``, with the default tanh
    activation, one float input tensor of the weights' dtype and a static depth.
    Subclasses, wrappers, ``MultiRNNCell`` and other cells return None (the exact
    path runs them). Returns ``(outputs_time_major, final_state)`` shaped as the
    exact path's; the cell's variables are created (or reused) exactly as its
    first call would.
    """
    if not get_fast_path_options()["enabled"]:
        return None
    from tfshare.cells import BasicLSTMCell, GRUCell, LSTMCell, LSTMStateTuple

    kind = type(cell)
    if kind not in (BasicLSTMCell, LSTMCell, GRUCell):
        return None
    if not tf.is_tensor(inputs_time_major) or inputs_time_major.shape.rank != 3:
        return None
    x = inputs_time_major
    depth = x.shape[2]
    if depth is None or x.shape[0] == 0 or not x.dtype.is_floating:
        return None
    if not _is_tanh(cell._activation):
        return None
    if kind is GRUCell:
        if not tf.is_tensor(initial_state) or initial_state.dtype != x.dtype:
            return None
        weights = cell._fast_path_weights(depth, x.dtype)
        if weights is None or any(w.dtype != x.dtype for w in weights.values()):
            return None
        outputs, h = gru_sequence(x, weights["gates/kernel"], weights["gates/bias"],
                                  weights["candidate/kernel"], weights["candidate/bias"],
                                  initial_state, sequence_length=sequence_length)
        return outputs, h
    units = cell._num_units
    h_dim = getattr(cell, "_num_proj", None) or units
    if cell._state_is_tuple:
        if not isinstance(initial_state, tuple) or len(initial_state) != 2:
            return None
        c0, h0 = initial_state
    else:
        if not tf.is_tensor(initial_state):
            return None
        c0, h0 = initial_state[:, :units], initial_state[:, units:units + h_dim]
    if not (tf.is_tensor(c0) and tf.is_tensor(h0)) or c0.dtype != x.dtype or h0.dtype != x.dtype:
        return None
    weights = cell._fast_path_weights(depth, x.dtype)
    if weights is None or any(w.dtype != x.dtype for w in weights.values()):
        return None
    peep = {}
    if getattr(cell, "_use_peepholes", False):
        peep = dict(w_i_diag=weights["w_i_diag"], w_f_diag=weights["w_f_diag"],
                    w_o_diag=weights["w_o_diag"])
    outputs, c, h = lstm_sequence(
        x, weights["kernel"], weights["bias"], c0, h0, forget_bias=cell._forget_bias,
        sequence_length=sequence_length, cell_clip=getattr(cell, "_cell_clip", None),
        proj_kernel=weights.get("projection/kernel"), proj_clip=getattr(cell, "_proj_clip", None),
        **peep)
    state = LSTMStateTuple(c, h) if cell._state_is_tuple else tf.concat([c, h], 1)
    return outputs, state
