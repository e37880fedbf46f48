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
  ``new if t < length else old`` with ``tf.where`` (so frozen states are exact),
  the outputs past each length are zeroed by ONE ``tf.where`` over all steps after
  the loop, and the backward pass routes the state gradient the same way.
* Per-step work is kept small: ``forget_bias`` is folded into the bias once, the
  backward pass computes its per-step gate coefficients (``g·σ'(i)``, ``tanh(c)``,
  ...) for all steps at once before its loop. One-sigmoid-for-all-gates
  (``tanh(j) = 2σ(2j) − 1``) and ``parallel_iterations`` 1 or 32 were measured and
  not kept (slower or no change).
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

from tfshare._shapes import static_axis
from tfshare.cells import BasicLSTMCell, GRUCell, LSTMCell, LSTMStateTuple

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

    Per step the forward loop stores the four activated gates, the new cell state
    and the output (plus ``cn`` with ``cell_clip`` and ``m``, ``r`` with a
    projection); ``forget_bias`` is added to the ``f`` columns of the bias once.
    The backward pass recomputes ``tanh(c)`` and the per-step gate coefficients
    (``g·σ'(i)``, ``i·tanh'(g)``, ``c_prev·σ'(f)``, ``tanh(c)·σ'(o)``,
    ``o·tanh'(c)``) for all steps at once, outside its loop.
    """
    has_mask = mask is not None
    has_proj = proj is not None

    @tf.custom_gradient
    def run(x, kernel, bias, c0, h0, w_i, w_f, w_o, proj_k):
        dtype = x.dtype
        steps = tf.shape(x)[0]
        kx, kh = kernel[:depth], kernel[depth:]
        units = tf.shape(c0)[1]
        # forget_bias is added to the f columns of the bias once, outside the loop
        b4 = tf.reshape(bias, [4, units]) + tf.constant([[0.0], [0.0], [forget_bias], [0.0]], dtype)
        zx = _flat_matmul(x, kx) + tf.reshape(b4, [-1])
        names = ["i", "g", "f", "o", "c", "h"]
        if cell_clip is not None:
            names.append("cn")
        if has_proj:
            names += ["m", "r"]
        out_tas = tuple(_ta(dtype, steps) for _ in names)
        zero = tf.zeros((), dtype)

        def step(t, c, h, tas):
            zi, zj, zf, zo = tf.split(zx[t] + tf.matmul(h, kh), 4, axis=1)
            if use_peepholes:
                i = tf.sigmoid(zi + w_i * c)
                f = tf.sigmoid(zf + w_f * c)
            else:
                i = tf.sigmoid(zi)
                f = tf.sigmoid(zf)
            g = tf.tanh(zj)
            cn = f * c + i * g
            cc = tf.clip_by_value(cn, -cell_clip, cell_clip) if cell_clip is not None else cn
            o = tf.sigmoid(zo + w_o * cc) if use_peepholes else tf.sigmoid(zo)
            m = o * tf.tanh(cc)
            if has_proj:
                r = tf.matmul(m, proj_k)
                hn = tf.clip_by_value(r, -proj_clip, proj_clip) if proj_clip is not None else r
            else:
                hn = m
            if has_mask:
                mk = mask[t]
                c_out = tf.where(mk, cc, c)
                h_out = tf.where(mk, hn, h)
            else:
                c_out, h_out = cc, hn
            vals = {"i": i, "g": g, "f": f, "o": o, "c": c_out, "h": h_out, "cn": cn}
            if has_proj:
                vals["m"] = m
                vals["r"] = r
            tas = tuple(ta.write(t, vals[n]) for ta, n in zip(tas, names))
            return t + 1, c_out, h_out, tas

        _, c_last, h_last, tas = tf.while_loop(
            lambda t, *_: t < steps, step, (tf.constant(0), c0, h0, out_tas),
            maximum_iterations=steps)
        st = {n: ta.stack() for n, ta in zip(names, tas)}
        # outputs past a sequence's length are zero: one select over all steps
        outputs = tf.where(mask, st["h"], zero) if has_mask else st["h"]

        def grad(dy, dc_last, dh_last):
            # Steps past a sequence's length get exactly zero gradients, so there the
            # stored values only need to be finite: tanh(c_out) stands for tanh(cc).
            dy = tf.zeros_like(outputs) if dy is None else dy
            i_s, g_s, f_s, o_s = st["i"], st["g"], st["f"], st["o"]
            c_prev_s = _shift_in(c0, st["c"])
            tc_s = tf.tanh(st["c"])
            q_i = g_s * _sig_grad(i_s)
            q_j = i_s * _tanh_grad(g_s)
            q_f = c_prev_s * _sig_grad(f_s)
            q_o = tc_s * _sig_grad(o_s)
            b_o = o_s * _tanh_grad(tc_s)
            seqs = [dy, q_i, q_j, q_f, q_o, b_o, f_s]
            if cell_clip is not None:
                seqs.append(tf.abs(st["cn"]) <= cell_clip)
            if has_proj and proj_clip is not None:
                seqs.append(tf.abs(st["r"]) <= proj_clip)
            dz_ta = _ta(dtype, steps)
            dr_ta = _ta(dtype, steps) if has_proj else None
            khT = tf.transpose(kh)
            projT = tf.transpose(proj_k) if has_proj else None
            dc_last = tf.zeros_like(c0) if dc_last is None else dc_last
            dh_last = tf.zeros_like(h0) if dh_last is None else dh_last

            def bstep(k, dc, dh, dz_ta, dr_ta):
                t = steps - 1 - k
                vals = [s[t] for s in seqs]
                dy_t, qi, qj, qf, qo, bo, f = vals[:7]
                rest = vals[7:]
                dh_new = dh + dy_t
                dc_new = dc
                if has_mask:
                    mk = mask[t]
                    dh_pass = tf.where(mk, zero, dh)
                    dc_pass = tf.where(mk, zero, dc)
                    dh_new = tf.where(mk, dh_new, zero)
                    dc_new = tf.where(mk, dc_new, zero)
                clip_ok = rest.pop(0) if cell_clip is not None else None
                if has_proj:
                    dr = dh_new
                    if proj_clip is not None:
                        dr = tf.where(rest.pop(0), dr, zero)
                    dr_ta = dr_ta.write(t, dr)
                    dm = tf.matmul(dr, projT)
                else:
                    dm = dh_new
                dzo = dm * qo
                dcc = dc_new + dm * bo
                if use_peepholes:
                    dcc = dcc + dzo * w_o
                if cell_clip is not None:
                    dcc = tf.where(clip_ok, dcc, zero)
                dzi = dcc * qi
                dzf = dcc * qf
                dc_prev = dcc * f
                if use_peepholes:
                    dc_prev = dc_prev + dzi * w_i + dzf * w_f
                dz = tf.concat([dzi, dcc * qj, dzf, dzo], axis=1)
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
                dwo = tf.reduce_sum(dzo * st["c"], axis=[0, 1])
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

    Returns ``(outputs [T, B, U], h_T)``. Per step the forward loop stores the
    gates ``[r, u]`` as one tensor, the candidate and the output; the backward pass
    recomputes ``r⊙h_prev`` for all steps at once.
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
        zero = tf.zeros((), dtype)

        def step(t, h, g_ta, c_ta, y_ta):
            gates = tf.sigmoid(zg[t] + tf.matmul(h, kgh))
            r, u = tf.split(gates, 2, axis=1)
            cc = tf.tanh(zc[t] + tf.matmul(r * h, kch))
            hn = cc + u * (h - cc)
            h_out = tf.where(mask[t], hn, h) if has_mask else hn
            return t + 1, h_out, g_ta.write(t, gates), c_ta.write(t, cc), y_ta.write(t, h_out)

        _, h_last, g_ta, c_ta, y_ta = tf.while_loop(
            lambda t, *_: t < steps, step,
            (tf.constant(0), h0, _ta(dtype, steps), _ta(dtype, steps), _ta(dtype, steps)),
            maximum_iterations=steps)
        gates_s, cc_s, h_s = g_ta.stack(), c_ta.stack(), y_ta.stack()
        # outputs past a sequence's length are zero: one select over all steps
        outputs = tf.where(mask, h_s, zero) if has_mask else h_s

        def grad(dy, dh_last):
            dy = tf.zeros_like(outputs) if dy is None else dy
            h_prev_s = _shift_in(h0, h_s)
            r_s, u_s = tf.split(gates_s, 2, axis=2)
            rh_s = r_s * h_prev_s
            q_u = (h_prev_s - cc_s) * _sig_grad(u_s)
            q_a = (1 - u_s) * _tanh_grad(cc_s)
            q_r = h_prev_s * _sig_grad(r_s)
            seqs = (dy, q_u, q_a, q_r, r_s, u_s)
            kghT, kchT = tf.transpose(kgh), tf.transpose(kch)
            dh_last = tf.zeros_like(h0) if dh_last is None else dh_last

            def bstep(k, dh, dg_ta, da_ta):
                t = steps - 1 - k
                dy_t, qu, qa, qr, r, u = (s[t] for s in seqs)
                dhn = dh + dy_t
                if has_mask:
                    mk = mask[t]
                    dh_pass = tf.where(mk, zero, dh)
                    dhn = tf.where(mk, dhn, zero)
                da = dhn * qa
                drh = tf.matmul(da, kchT)
                dg = tf.concat([drh * qr, dhn * qu], axis=1)
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
            dck = tf.concat([_flat_tmatmul(x, da), _flat_tmatmul(rh_s, da)], 0)
            dx = _flat_matmul(dg, tf.transpose(kgx)) + _flat_matmul(da, tf.transpose(kcx))
            return (dx, dgk, tf.reduce_sum(dg, axis=[0, 1]), dck, tf.reduce_sum(da, axis=[0, 1]), dh0)

        return (outputs, h_last), grad

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
    depth = static_axis(x, -1) if x.shape.rank == 3 else None
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
    kind = type(cell)
    if kind not in (BasicLSTMCell, LSTMCell, GRUCell):
        return None
    if not tf.is_tensor(inputs_time_major) or inputs_time_major.shape.rank != 3:
        return None
    x = inputs_time_major
    depth = static_axis(x, 2)
    if depth is None or static_axis(x, 0) == 0 or not x.dtype.is_floating:
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
