"""``tf.layers`` cases, written once as TF1 code and run on TF 1.15 and on tfshare.

Each case is a function ``c_<name>(R)`` in :data:`CASES_SOURCE` that builds a
small TF1 program with ``tf`` (real TF 1.15, or ``tfshare.compat.v1``) and
records names, shapes and values in the dict ``R``. The harness runs every case
in a fresh graph (and, for tfshare, also in eager mode when the case allows
it) and stores ``R`` (or the error the case raised) as ``OUT["json:<name>"]``.

The source must stay valid Python 3.7 (TF 1.15 runs it). Conventions:

* ``ev(tensors, updates=())`` evaluates tensors (graph: a session that
  initializes every variable and runs ``updates`` first; eager: values);
* ``EAGER`` tells the mode; keys starting with ``g:`` are recorded in graph
  mode only (op names, placeholders, collections);
* inputs and kernels are deterministic (``lin``), so values compare across TF
  versions; cases that use default (random) initializers compare names and
  shapes only.

What the cases check is taken from tf-keras's ``legacy_tf_layers`` tests
(core, base, convolutional, normalization, pooling), re-expressed.
"""
from __future__ import annotations

#: Cases that need graph mode (placeholders, feeds, collections, op names only).
GRAPH_ONLY = {
    "c_dense_placeholders", "c_dropout_feeds", "c_flatten_placeholders",
    "c_name_scope_follows_variable_scope", "c_partitioned_add_weight",
}

HARNESS = r'''
import json as _json


def lin(shape, lo=-0.5, hi=0.7):
    n = int(np.prod(shape))
    return np.linspace(lo, hi, n).reshape(shape).astype(np.float32)


def cinit(value):
    return tf.constant_initializer(value)


def names(vs):
    return [v.name for v in vs]


def shape_of(x):
    s = x.get_shape() if hasattr(x, "get_shape") else x
    return None if s.ndims is None else [None if d is None else int(d)
                                         for d in s.as_list()]


def message(error):
    """An error's text without the creation traceback TF 1.x appends for ref
    variables (" Originally defined at: ...")."""
    return str(error).split(" Originally defined at:")[0]


def rounded(x):
    return np.round(np.asarray(x, dtype=np.float64), 5).tolist()


class _Session(object):
    def __init__(self):
        self.sess = None

    def __call__(self, tensors, updates=(), feed=None):
        if EAGER:
            return [np.asarray(t) for t in tensors]
        if self.sess is None:
            self.sess = tf.Session()
        self.sess.run(tf.global_variables_initializer())
        if updates:
            self.sess.run(list(updates), feed_dict=feed)
        return self.sess.run(list(tensors), feed_dict=feed)

    def close(self):
        if self.sess is not None:
            self.sess.close()
'''

CASES_SOURCE = r'''
# ------------------------------------------------------------------ core: Dense
def c_dense_properties_and_names(R):
    d = tf.layers.Dense(2, activation=tf.nn.relu, name="my_dense")
    R["props"] = [d.units, d.use_bias, d.kernel_regularizer is None, d.name]
    x = tf.constant(lin([5, 4]))
    y = d(x)
    R["shape"] = shape_of(y)
    R["vars"] = names(d.variables)
    R["trainable"] = names(d.trainable_variables)
    R["non_trainable"] = names(d.non_trainable_variables)
    R["kernel"] = d.kernel.name
    a = tf.layers.Dense(2)
    a(x)
    b = tf.layers.Dense(2)
    b(x)
    R["auto_names"] = [a.name, b.name, a.scope_name, b.scope_name]
    if not EAGER:
        R["g:op"] = y.op.name
        R["g:n_trainable"] = len(tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES))
        R["g:op_plain"] = tf.layers.Dense(2, name="dense2")(x).op.name


def c_dense_values_and_ranks(R):
    d = tf.layers.Dense(3, kernel_initializer=cinit(lin([4, 3])),
                        bias_initializer=cinit([0.1, -0.2, 0.3]), name="fc")
    outs = [d(tf.constant(lin([5, 4], -1, 1))), d(tf.constant(lin([5, 2, 4], -2, 1))),
            d(tf.constant(lin([1, 2, 4, 4], 0, 1)))]
    R["shapes"] = [shape_of(o) for o in outs]
    R["values"] = [rounded(v) for v in ev(outs)]
    R["vars"] = names(d.variables)


def c_dense_no_bias_non_trainable(R):
    x = tf.constant(lin([5, 2]))
    nb = tf.layers.Dense(2, use_bias=False, name="nb")
    nb(x)
    nt = tf.layers.Dense(2, trainable=False, name="nt")
    nt(x)
    R["nb"] = [names(nb.variables), names(nb.trainable_variables), nb.bias is None]
    R["nt"] = [names(nt.variables), names(nt.trainable_variables),
               names(nt.non_trainable_variables)]
    if not EAGER:
        R["g:trainable"] = names(tf.trainable_variables())
        R["g:global"] = names(tf.global_variables())


def c_dense_placeholders(R):
    errors = []
    for shape in [None, [None, None], [None, None, None]]:
        try:
            tf.layers.Dense(4)(tf.placeholder(tf.float32, shape))
            errors.append("ok")
        except ValueError:
            errors.append("ValueError")
    R["errors"] = errors
    R["shapes"] = [shape_of(tf.layers.Dense(4)(tf.placeholder(tf.float32, [None, 3]))),
                   shape_of(tf.layers.Dense(4)(tf.placeholder(tf.float32, [None, None, 3])))]


def c_dense_regularizers(R):
    reg = lambda t: tf.reduce_sum(t) * 1e-3
    x = tf.constant(lin([5, 3]))
    k = tf.layers.Dense(2, name="k", kernel_regularizer=reg, kernel_initializer=cinit(lin([3, 2])))
    k(x)
    b = tf.layers.Dense(2, name="b", bias_regularizer=reg, bias_initializer=cinit([0.5, 1.5]))
    b(x)
    a = tf.layers.Dense(2, name="a", activity_regularizer=reg,
                        kernel_initializer=cinit(lin([3, 2])))
    a(x)
    R["counts"] = [len(k.losses), len(b.losses), len(a.losses)]
    R["values"] = rounded(ev(k.losses + b.losses + a.losses))
    if not EAGER:
        coll = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
        R["g:collection"] = [t.name for t in coll]
        tf.layers.dense(x, 2, name="k2", kernel_regularizer=reg)
        tf.layers.dense(x, 2, name="k2", kernel_regularizer=reg, reuse=True)
        R["g:after_reuse"] = len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))


def c_string_regularizers(R):
    x = tf.constant(lin([2, 3]))
    layers = [tf.layers.Dense(2, name=n + "_d", kernel_regularizer=n,
                              kernel_initializer=cinit(lin([3, 2], -1, 2)))
              for n in ("l2", "l1", "l1_l2")]
    for layer in layers:
        layer(x)
    R["values"] = rounded(ev([l.losses[0] for l in layers]))
    if not EAGER:
        R["g:names"] = [t.name for t in tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)]
    try:
        tf.layers.dense(x, 2, kernel_regularizer="bogus")
    except ValueError as e:
        R["bogus"] = str(e)


def c_dense_functional_naming_and_reuse(R):
    x = tf.constant(lin([5, 3]))
    tf.layers.dense(x, 2)
    tf.layers.dense(x, 2)
    R["twice"] = names(tf.global_variables())
    tf.layers.dense(x, 2, name="my_dense")
    before = names(tf.trainable_variables())
    tf.layers.dense(x, 2, name="my_dense", reuse=True)
    R["reuse_same"] = before == names(tf.trainable_variables())
    try:
        tf.layers.dense(x, 2, name="my_dense")
        R["again"] = "ok"
    except ValueError as e:
        R["again"] = message(e)
    try:
        tf.layers.dense(x, 5, name="my_dense", reuse=True)
    except ValueError as e:
        R["reshape"] = message(e)
    try:
        tf.layers.dense(x, 2, name="nope", reuse=True)
    except ValueError as e:
        R["missing"] = message(e)
    with tf.variable_scope("scope"):
        tf.layers.dense(x, 2, name="my_dense")
    with tf.variable_scope("scope", reuse=True):
        tf.layers.dense(x, 2, name="my_dense")
    with tf.variable_scope("auto", reuse=tf.AUTO_REUSE):
        tf.layers.dense(x, 2)
        tf.layers.dense(x, 2)
    R["all"] = names(tf.trainable_variables())


def c_dense_scope_initializer_getter_and_names(R):
    x = tf.constant(lin([5, 3]))
    with tf.variable_scope("scope", initializer=tf.ones_initializer()):
        y = tf.layers.dense(x, 2)
    called = [0]

    def getter(getter, *args, **kwargs):
        called[0] += 1
        return getter(*args, **kwargs)

    with tf.variable_scope("test", custom_getter=getter):
        tf.layers.dense(x, 2)
    with tf.variable_scope("test1") as scope:
        tf.layers.dense(x, 2, name=scope)
    with tf.variable_scope("test2"):
        tf.layers.dense(x, 2, name="my_dense")
        tf.layers.dense(x, 2)
    R["called"] = called[0]
    R["names"] = names(tf.trainable_variables())
    k, b = [v for v in tf.trainable_variables() if v.name.startswith("scope/")]
    R["values"] = rounded(ev([k, b])[0]), rounded(ev([k, b])[1])


def c_dense_compute_output_shape(R):
    d = tf.layers.Dense(2, activation=tf.nn.relu, name="dense1")
    errs = []
    for s in (tf.TensorShape(None), tf.TensorShape([]), tf.TensorShape([1]),
              tf.TensorShape([None, None])):
        try:
            d.compute_output_shape(s)
            errs.append("ok")
        except ValueError as e:
            errs.append(str(e))
    R["errors"] = errs
    R["shapes"] = [shape_of(d.compute_output_shape((None, 3))),
                   shape_of(d.compute_output_shape(tf.TensorShape([None, 4, 3])))]


def c_dense_constraints(R):
    kc = lambda t: t / tf.reduce_sum(t)
    bc = lambda t: t / tf.reduce_max(t)
    d = tf.layers.Dense(2, kernel_constraint=kc, bias_constraint=bc)
    d(tf.constant(lin([5, 3])))
    R["same"] = [d.kernel_constraint is kc, d.bias_constraint is bc,
                 d.kernel.constraint is kc, d.bias.constraint is bc]


# ------------------------------------------------------------ Dropout, Flatten
def c_dropout(R):
    x = tf.ones([5, 3])
    dp = tf.layers.Dropout(0.5, name="dropout")
    R["props"] = [dp.rate, dp.noise_shape, dp.name]
    kept, plain, noise, fn_off = ev([
        dp(x, training=True), dp(x, training=False),
        tf.layers.Dropout(0.5, noise_shape=[None, 1, None], seed=1)(tf.ones([5, 3, 2]),
                                                                     training=True),
        tf.layers.dropout(x, 0.5, seed=1)])
    R["kept"] = sorted(set(np.round(kept.ravel(), 4).tolist()))
    R["plain"] = rounded(plain)
    R["noise_axis_shared"] = bool(np.allclose(noise[:, 0, :], noise[:, 1, :]))
    R["default_off"] = rounded(fn_off)


def c_dropout_feeds(R):
    flag = tf.placeholder(tf.bool)
    rate = tf.placeholder(tf.float32, name="rate")
    x = tf.ones([5, 5])
    a = tf.layers.Dropout(0.5, seed=1)(x, training=flag)
    b = tf.layers.Dropout(rate)(x, training=True)
    sess = tf.Session()
    R["flag_on_min"] = float(sess.run(a, {flag: True}).min())
    R["flag_off"] = rounded(sess.run(a, {flag: False})[0])
    R["rate0"] = rounded(sess.run(b, {rate: 0.0})[0])


def c_flatten(R):
    outs = [tf.layers.Flatten()(tf.constant(lin([3, 2, 3]))),
            tf.layers.flatten(tf.constant(lin([1, 2, 3, 2])), name="flatten"),
            tf.layers.Flatten()(tf.constant(lin([5])))]
    R["shapes"] = [shape_of(o) for o in outs]
    cl = np.arange(120, dtype=np.float32).reshape([1, 5, 4, 3, 2])
    a, b = ev([tf.layers.Flatten(data_format="channels_last")(tf.constant(cl)),
               tf.layers.Flatten(data_format="channels_first")(
                   tf.constant(np.transpose(cl, [0, 4, 1, 2, 3])))])
    R["formats_agree"] = bool(np.array_equal(a, b))
    f = tf.layers.Flatten()
    R["compute"] = [shape_of(f.compute_output_shape(s)) for s in
                    [(1, 2, 3, 2), (None, 3, 2), (None, 3, None), [2]]]


def c_flatten_placeholders(R):
    shapes = [(None, 2, 3), (1, 2, 3, 2), (None,), (5, None, None), (5, None, 2),
              (None, 21316, 21316, 80)]
    R["shapes"] = [shape_of(tf.layers.Flatten()(tf.placeholder(tf.float32, s)))
                   for s in shapes]
    x = tf.placeholder(tf.float32, (5, None, None))
    y = tf.layers.Flatten()(x)
    R["value_shape"] = list(tf.Session().run(y, {x: np.zeros((5, 2, 3))}).shape)


# ------------------------------------------------------------------ base Layer
def c_scope_naming(R):
    class PrivateLayer(tf.layers.Layer):
        def call(self, inputs):
            return inputs

    x = tf.constant(lin([5]))
    out = []
    for name in (None, None, "my_layer", "my_layer", "my_layer"):
        layer = PrivateLayer(name=name)
        layer(x)
        out.append(layer.scope_name)
    with tf.name_scope("some_name_scope"):
        for name in (None, "my_layer", "other_layer"):
            layer = PrivateLayer(name=name)
            layer(x)
            out.append(layer.scope_name)
    with tf.variable_scope("var_scope"):
        for name in (None, "my_layer", "my_layer"):
            layer = PrivateLayer(name=name)
            layer(x)
            out.append(layer.scope_name)
    R["scopes"] = out
    try:
        PrivateLayer(name="unused").scope_name
    except ValueError as e:
        R["unused"] = str(e)


def c_add_weight(R):
    layer = tf.layers.Layer(name="my_layer")
    R["empty"] = [layer.variables, layer.trainable_variables, layer.built]
    v = layer.add_weight("my_var", [2, 2], initializer=tf.zeros_initializer())
    v2 = layer.add_weight("non_trainable_var", [2, 2], initializer=tf.zeros_initializer(),
                          trainable=False)
    layer.add_weight("reg_var", [2, 2], initializer=tf.ones_initializer(),
                     regularizer=lambda t: tf.reduce_sum(t) * 1e-3)
    v3 = layer.add_weight("sync_on_read_var", [2, 2], initializer=tf.zeros_initializer(),
                          synchronization=tf.VariableSynchronization.ON_READ,
                          aggregation=tf.VariableAggregation.SUM)
    R["names"] = [v.name, v2.name, v3.name]
    R["trainable"] = names(layer.trainable_variables)
    R["non_trainable"] = names(layer.non_trainable_variables)
    R["losses"] = rounded(ev(layer.losses))
    try:
        layer.add_weight("v", [2, 2], initializer=tf.zeros_initializer(),
                         synchronization=tf.VariableSynchronization.ON_READ, trainable=True)
    except ValueError as e:
        R["on_read_trainable"] = str(e)
    typed = tf.layers.Layer(name="int_layer", dtype="int64")
    R["int64"] = [typed.add_weight("my_var", [2, 2]).dtype.base_dtype.name, typed.name]
    if not EAGER:
        R["g:collection"] = names(tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES))


def c_call_dtype_and_count_params(R):
    class Square(tf.layers.Layer):
        def call(self, inputs):
            return tf.square(inputs)

    layer = Square(name="my_layer")
    y = layer(tf.constant(lin([5])))
    R["built"] = layer.built
    if not EAGER:
        R["g:op"] = y.op.name
    dtypes = []
    for value in (tf.constant(1, tf.float64), np.array(1.0, dtype="float64"),
                  tf.constant(1, tf.int32), [tf.constant(1.0), tf.constant(1, tf.float64)]):
        ident = tf.layers.Layer()
        dtypes.append(None if ident.dtype is None else tf.as_dtype(ident.dtype).name)
        ident(value)
        dtypes.append(tf.as_dtype(ident.dtype).name)
    given = tf.layers.Layer(dtype="int32")
    given(tf.constant(1.0))
    dtypes.append(tf.as_dtype(given.dtype).name)
    passthrough = tf.layers.Layer(dtype="float32")
    dtypes.append(tf.as_dtype(passthrough(tf.constant(1, tf.float64)).dtype).name)
    R["dtypes"] = dtypes
    dense = tf.layers.Dense(16)
    dense.build((None, 4))
    R["count"] = dense.count_params()
    try:
        tf.layers.Dense(16).count_params()
    except ValueError:
        R["count_unbuilt"] = "ValueError"


def c_input_spec(R):
    def layer_with(spec):
        class Checked(tf.layers.Layer):
            def __init__(self):
                super(Checked, self).__init__()
                self.input_spec = spec

            def call(self, inputs):
                return inputs
        return Checked()

    checks = [(dict(ndim=2), [1], [[1], [2]]), (dict(min_ndim=2), [1], [[[1], [2]]]),
              (dict(max_ndim=2), [[[1], [2]]], [1]), (dict(axes={-1: 2}), [1, 2, 3], [[1, 2]]),
              (dict(shape=(None, 3)), [[1, 2]], [[1, 2, 3]])]
    out = []
    for kwargs, bad, good in checks:
        try:
            layer_with(tf.layers.InputSpec(**kwargs))(tf.constant(bad))
            out.append("ok")
        except ValueError as e:
            out.append(str(e).split(": ", 1)[-1])
        layer_with(tf.layers.InputSpec(**kwargs))(tf.constant(good))
    try:
        layer_with(tf.layers.InputSpec(dtype="float32"))(tf.constant(1, tf.int32))
    except ValueError as e:
        out.append(str(e).split(": ", 1)[-1])
    layer_with(None)(tf.constant(1))
    R["messages"] = out


def c_name_scope_follows_variable_scope(R):
    class MyLayer(tf.layers.Layer):
        def build(self, input_shape):
            self.my_var = self.add_weight("my_var", (), tf.float32)
            self.built = True

        def call(self, inputs):
            return tf.multiply(inputs, self.my_var, name="my_op")

    out = []
    for layer_names in ([None, None, None], ["name", "name_1", "name_2"],
                        ["name_1", "name_2", "name_3"]):
        with tf.Graph().as_default():
            x = tf.placeholder(tf.float32, (), "x")
            for n in layer_names:
                layer = MyLayer(name=n)
                x = layer(x)
                out.append([layer.my_var.name, x.name])
    R["names"] = out


def c_partitioned_add_weight(R):
    reg = lambda t: tf.reduce_sum(t) * 1e-3
    for reuse in (False, True):
        with tf.variable_scope(tf.get_variable_scope(),
                               partitioner=tf.fixed_size_partitioner(3), reuse=reuse):
            layer = tf.layers.Layer(name="my_layer")
            v = layer.add_weight("reg_part_var", [4, 4], initializer=tf.zeros_initializer(),
                                 regularizer=reg)
    R["losses"] = len(tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES))
    R["parts"] = names(tf.global_variables())
    R["loss_names"] = [t.name for t in tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)]


# ---------------------------------------------------------------- convolutions
def c_conv_shapes_and_names(R):
    out = {}
    x1, x2, x3 = (tf.constant(lin([2, 9, 3])), tf.constant(lin([2, 7, 6, 3])),
                  tf.constant(lin([2, 5, 6, 4, 3])))
    built = [
        ("c1", tf.layers.Conv1D(4, 3, strides=2, padding="same"), x1),
        ("c1_causal", tf.layers.Conv1D(4, 3, padding="causal", dilation_rate=2), x1),
        ("c2", tf.layers.Conv2D(4, [3, 2], strides=(2, 1)), x2),
        ("c2_dil", tf.layers.Conv2D(4, 3, dilation_rate=2, padding="same"), x2),
        ("c3", tf.layers.Conv3D(4, [2, 3, 2], padding="same"), x3),
        ("t2", tf.layers.Conv2DTranspose(4, 3, strides=2), x2),
        ("t2_same", tf.layers.Conv2DTranspose(4, [3, 2], strides=(2, 3), padding="same"), x2),
        ("t3", tf.layers.Conv3DTranspose(4, 2, strides=2), x3),
        ("s1", tf.layers.SeparableConv1D(4, 3, depth_multiplier=2), x1),
        ("s2", tf.layers.SeparableConv2D(4, [3, 2], strides=2, depth_multiplier=3), x2),
        ("s2_same", tf.layers.SeparableConv2D(5, 3, padding="same", dilation_rate=2), x2),
    ]
    for key, layer, x in built:
        y = layer(x)
        out[key] = [shape_of(y), [[v.name, shape_of(v)] for v in layer.variables]]
    R["layers"] = out


def c_conv_values(R):
    x1 = tf.constant(lin([2, 7, 3], -1, 1))
    x2 = tf.constant(lin([2, 5, 4, 3], -1, 1))
    x3 = tf.constant(lin([1, 3, 4, 3, 2], -1, 1))
    b4 = cinit([0.1, -0.2, 0.3, 0.05])
    ys = [
        tf.layers.conv1d(x1, 4, 3, kernel_initializer=cinit(lin([3, 3, 4])),
                         bias_initializer=b4, padding="causal", dilation_rate=2, name="c1"),
        tf.layers.conv2d(x2, 4, [3, 2], strides=(2, 1), padding="same",
                         kernel_initializer=cinit(lin([3, 2, 3, 4])), bias_initializer=b4,
                         activation=tf.nn.relu, name="c2"),
        tf.layers.conv3d(x3, 4, 2, kernel_initializer=cinit(lin([2, 2, 2, 2, 4])),
                         bias_initializer=b4, name="c3"),
        tf.layers.conv2d_transpose(x2, 4, 3, strides=2,
                                   kernel_initializer=cinit(lin([3, 3, 4, 3])),
                                   bias_initializer=b4, name="t2"),
        tf.layers.conv3d_transpose(x3, 4, [2, 1, 2], strides=(1, 2, 2), padding="same",
                                   kernel_initializer=cinit(lin([2, 1, 2, 4, 2])),
                                   bias_initializer=b4, name="t3"),
        tf.layers.separable_conv1d(x1, 4, 3, depth_multiplier=2,
                                   depthwise_initializer=cinit(lin([3, 3, 2])),
                                   pointwise_initializer=cinit(lin([1, 6, 4])),
                                   bias_initializer=b4, name="s1"),
        tf.layers.separable_conv2d(x2, 4, [2, 3], padding="same", depth_multiplier=2,
                                   depthwise_initializer=cinit(lin([2, 3, 3, 2])),
                                   pointwise_initializer=cinit(lin([1, 1, 6, 4])),
                                   bias_initializer=b4, name="s2"),
    ]
    R["shapes"] = [shape_of(y) for y in ys]
    R["values"] = [rounded(v) for v in ev(ys)]


def c_conv_channels_first_shapes(R):
    # TF 1.15 cannot run NCHW convolutions on a CPU: shapes and names only
    x = tf.constant(lin([2, 3, 7, 6]))
    out = []
    for layer in (tf.layers.Conv2D(4, 3, data_format="channels_first"),
                  tf.layers.Conv2DTranspose(4, 3, strides=2, data_format="channels_first"),
                  tf.layers.SeparableConv2D(4, 3, data_format="channels_first"),
                  tf.layers.MaxPooling2D(2, 2, data_format="channels_first")):
        y = layer(x)
        out.append([shape_of(y), [[v.name, shape_of(v)] for v in layer.variables]])
    R["layers"] = out


def c_conv_functional_reuse_and_errors(R):
    x = tf.constant(lin([2, 6, 6, 3]))
    tf.layers.conv2d(x, 4, 3, name="conv1")
    tf.layers.conv2d(x, 4, 3, name="conv1", reuse=True)
    tf.layers.conv2d(x, 4, 3)
    tf.layers.conv2d(x, 4, 3)
    tf.layers.separable_conv2d(x, 4, 3)
    tf.layers.conv3d(tf.constant(lin([1, 3, 3, 3, 2])), 2, 2)
    R["names"] = names(tf.trainable_variables())
    errs = []
    for make in (lambda: tf.layers.conv2d(tf.constant(lin([2, 6, 3])), 4, 3),
                 lambda: tf.layers.conv3d(x, 4, 3),
                 lambda: tf.layers.separable_conv1d(x, 4, 3)):
        try:
            make()
            errs.append("ok")
        except ValueError:
            errs.append("ValueError")
    R["rank_errors"] = errs
    reg = lambda t: tf.reduce_sum(t) * 1e-3
    layer = tf.layers.SeparableConv2D(4, 3, depthwise_regularizer=reg,
                                      pointwise_regularizer=reg, bias_regularizer=reg)
    layer(x)
    R["separable_losses"] = len(layer.losses)


def c_conv_functional_positional_arguments(R):
    # TF1's functional signatures: transposed convolutions take no dilation_rate,
    # so their 7th positional argument is the activation
    x = tf.constant(lin([1, 4, 4, 2], -1, 1))
    ys = [tf.layers.conv2d_transpose(x, 3, 2, 2, "same", "channels_last", tf.nn.relu, False,
                                     cinit(lin([2, 2, 3, 2])), name="t"),
          tf.layers.conv2d(x, 3, 2, 1, "same", "channels_last", 2, tf.nn.relu, True,
                           cinit(lin([2, 2, 2, 3])), name="c"),
          tf.layers.separable_conv2d(x, 3, 2, 1, "valid", "channels_last", 1, 2, None, False,
                                     cinit(lin([2, 2, 2, 2])), cinit(lin([1, 1, 4, 3])),
                                     name="s")]
    R["vars"] = names(tf.global_variables())
    R["values"] = [rounded(v) for v in ev(ys)]


# --------------------------------------------------------------------- pooling
def c_pooling(R):
    x1 = tf.constant(lin([2, 7, 3], -1, 1))
    x2 = tf.constant(lin([2, 5, 6, 3], -1, 1))
    x3 = tf.constant(lin([1, 4, 5, 4, 2], -1, 1))
    layers = [tf.layers.MaxPooling1D(2, 2), tf.layers.AveragePooling1D(3, 2, padding="same"),
              tf.layers.MaxPooling2D([2, 3], 2, padding="same"),
              tf.layers.AveragePooling2D(2, [1, 2]),
              tf.layers.MaxPooling3D(2, 2), tf.layers.AveragePooling3D([2, 3, 2], 1,
                                                                       padding="same")]
    ys = [layers[0](x1), layers[1](x1), layers[2](x2), layers[3](x2), layers[4](x3),
          layers[5](x3)]
    ys += [tf.layers.max_pooling3d(x3, 2, 1, name="mp3"),
           tf.layers.average_pooling3d(x3, 2, 2, name="ap3")]
    R["names"] = [l.name for l in layers]
    R["shapes"] = [shape_of(y) for y in ys]
    R["values"] = [rounded(v) for v in ev(ys)]
    if not EAGER:
        R["g:ops"] = [y.op.name for y in ys[-2:]]


# --------------------------------------------------------- batch normalization
def c_batch_norm_variables_and_updates(R):
    x = tf.constant(lin([4, 3, 5], -2, 3))
    bn = tf.layers.BatchNormalization(momentum=0.9)
    y = bn(x, training=True)
    R["vars"] = [[v.name, shape_of(v)] for v in bn.variables]
    R["trainable"] = names(bn.trainable_variables)
    multi = tf.layers.BatchNormalization(axis=[1, 2], name="multi")
    ym = multi(x, training=True)
    R["multi"] = [[v.name, shape_of(v)] for v in multi.variables]
    first = tf.layers.BatchNormalization(axis=1, center=False, fused=False, name="first")
    yf = first(tf.constant(lin([2, 3, 4, 2])), training=False)
    R["first"] = [[v.name, shape_of(v)] for v in first.variables]
    updates = bn.updates + multi.updates
    values = ev([y, ym, yf, bn.moving_mean, bn.moving_variance, multi.moving_mean],
                updates=updates)
    R["values"] = [rounded(v) for v in values]
    if not EAGER:
        R["g:update_ops"] = [op.name for op in tf.get_collection(tf.GraphKeys.UPDATE_OPS)]
        R["g:global"] = names(tf.global_variables())
        R["g:trainable"] = names(tf.trainable_variables())


def c_batch_norm_functional_reuse(R):
    x = tf.constant(lin([4, 6], -1, 2))
    a = tf.layers.batch_normalization(x, name="bn", training=False,
                                      beta_initializer=cinit(lin([6])),
                                      gamma_initializer=cinit(lin([6], 0.5, 1.5)),
                                      moving_mean_initializer=cinit(lin([6], -0.1, 0.1)),
                                      moving_variance_initializer=cinit(lin([6], 1, 2)))
    b = tf.layers.batch_normalization(x, name="bn", training=False, reuse=True)
    tf.layers.batch_normalization(x)
    tf.layers.batch_normalization(x)
    R["names"] = names(tf.global_variables())
    R["values"] = [rounded(v) for v in ev([a, b])]
    try:
        tf.layers.batch_normalization(x, name="bn")
    except ValueError as e:
        R["again"] = message(e)
    try:
        tf.layers.batch_normalization(x, axis=[2])
    except ValueError:
        R["bad_axis"] = "ValueError"
'''

RUN = r'''
def _plain(x):
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating,)):
        return float(x)
    if isinstance(x, (np.bool_,)):
        return bool(x)
    return x


def run_case(name):
    global ev
    R = {}
    ev = _Session()
    try:
        globals()[name](R)
    except Exception as e:  # recorded, compared like any result
        R = {"error": [type(e).__name__, str(e)]}
    finally:
        ev.close()
    return _plain(R)


def run_all(selected):
    for name in selected:
        if EAGER:
            tf.reset_default_graph()
            OUT["json:" + name] = run_case(name)
        else:
            with tf.Graph().as_default():
                OUT["json:" + name] = run_case(name)
'''


def case_names() -> list[str]:
    """The case functions defined in :data:`CASES_SOURCE`, in order."""
    import re

    return re.findall(r"^def (c_\w+)\(R\):", CASES_SOURCE, flags=re.M)


def program(selected: list[str] | None = None, eager: bool = False) -> str:
    """The whole program: harness, cases and a call running ``selected``."""
    names = case_names() if selected is None else selected
    return (f"EAGER = {eager!r}\n" + HARNESS + CASES_SOURCE + RUN
            + f"\nrun_all({names!r})\n")
