"""Variable sharing tutorial: one image filter, two inputs, one set of weights.

The TF1 "Sharing variables" guide: ``my_image_filter`` creates its weights with
``get_variable`` inside ``variable_scope``s; calling it on two images under the
same scope with ``reuse_variables()`` (or ``reuse=AUTO_REUSE``) makes the second
call use the first call's variables instead of creating new ones. Shown

1. in TF1 graph mode with ``tf.Session`` (including the error TF1 raises when
   you forget to reuse),
2. in eager mode (where stock TF2 would silently create new variables on every
   call; tfshare's store keeps TF1's rules), and
3. inside a Keras 3 layer (``track_tf1_style_variables``) applied to two inputs,
   where the shared variables are the layer's Keras weights.

The two images are scikit-learn digits. Each part prints its variable list
(one set of 4 weights for two inputs) and the three parts give the same
numbers from the same initial values.

    python examples/variable_sharing.py
"""
import _common  # noqa: F401  (quiet TF logs, offline data)

import keras
import numpy as np

import tfshare
import tfshare.compat.v1 as tf


def fixed_normal(shape):
    """Reproducible N(0, 0.3) values, so the three modes start from the same weights."""
    return np.random.default_rng(int(np.prod(shape))).normal(0.0, 0.3, shape).astype(np.float32)


def conv_relu(input, kernel_shape, bias_shape):
    # Create variable named "weights".
    weights = tf.get_variable("weights", kernel_shape,
                              initializer=tf.constant_initializer(fixed_normal(kernel_shape)))
    # Create variable named "biases".
    biases = tf.get_variable("biases", bias_shape, initializer=tf.constant_initializer(0.1))
    conv = tf.nn.conv2d(input, weights, strides=[1, 1, 1, 1], padding="SAME")
    return tf.nn.relu(conv + biases)


def my_image_filter(input_images):
    with tf.variable_scope("conv1"):
        # Variables created here will be named "conv1/weights", "conv1/biases".
        relu1 = conv_relu(input_images, [3, 3, 1, 4], [4])
    with tf.variable_scope("conv2"):
        # Variables created here will be named "conv2/weights", "conv2/biases".
        return conv_relu(relu1, [3, 3, 4, 4], [4])


def show(title, variables):
    print(f"{title}: {len(variables)} variables")
    for v in variables:
        name = v.path if isinstance(getattr(v, "path", None), str) else v.name
        print(f"  {name:40s} {tuple(v.shape)}")


def part_graph(image1, image2):
    print("== 1. TF1 graph mode: variable_scope + reuse_variables() ==")
    with tf.Graph().as_default():
        x1 = tf.constant(image1)
        x2 = tf.constant(image2)
        with tf.variable_scope("image_filters") as scope:
            result1 = my_image_filter(x1)
            scope.reuse_variables()
            result2 = my_image_filter(x2)
        show("after two calls", tf.global_variables())
        try:  # forgetting reuse: TF1's error
            with tf.variable_scope("image_filters"):
                my_image_filter(x2)
        except ValueError as e:
            print("without reuse, TF1 says:", str(e).splitlines()[0])
        with tf.variable_scope("image_filters", reuse=tf.AUTO_REUSE):
            result3 = my_image_filter(x2)   # AUTO_REUSE: create once, then share
        n_vars = len(tf.global_variables())
        print(f"with AUTO_REUSE still {n_vars} variables")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            r1, r2, r3 = sess.run([result1, result2, result3])
    assert np.array_equal(r2, r3)
    return r1, r2, n_vars


def part_eager(image1, image2):
    print("\n== 2. Eager mode: the same functions, no graph, no session ==")
    tf.reset_default_graph()  # also clears tfshare's eager variable store
    with tf.variable_scope("image_filters") as scope:
        r1 = my_image_filter(image1)
        scope.reuse_variables()
        r2 = my_image_filter(image2)
    with tf.variable_scope("image_filters", reuse=tf.AUTO_REUSE):
        my_image_filter(image2)
    variables = tf.global_variables()
    show("after three calls", variables)
    return r1.numpy(), r2.numpy(), len(variables)


def part_keras(image1, image2):
    print("\n== 3. A Keras 3 layer (track_tf1_style_variables) applied to two inputs ==")
    class ImageFilter(keras.layers.Layer):
        """A Keras 3 layer whose weights come from TF1-style ``get_variable`` code."""

        @tf.keras.utils.track_tf1_style_variables
        def call(self, images):
            with tf.variable_scope("image_filters", reuse=tf.AUTO_REUSE):
                return my_image_filter(images)

    tf.reset_default_graph()
    a = keras.Input(image1.shape[1:], name="image1")
    b = keras.Input(image2.shape[1:], name="image2")
    shared = ImageFilter(name="filter")
    model = keras.Model([a, b], [shared(a), shared(b)])
    show("model weights", model.weights)
    print(tfshare.param_report(model))
    r1, r2 = model.predict([image1, image2], verbose=0)
    return r1, r2, len(model.weights)


def main(argv=None):
    args = _common.parser(__doc__).parse_args(argv)
    (x, _), _ = _common.digits_rows(args.seed)
    image1, image2 = x[:1, :, :, None], x[1:2, :, :, None]   # [1, 8, 8, 1] each

    g1, g2, n_graph = part_graph(image1, image2)
    e1, e2, n_eager = part_eager(image1, image2)
    k1, k2, n_keras = part_keras(image1, image2)

    print("\n== summary ==")
    print(f"variables: graph {n_graph}, eager {n_eager}, keras {n_keras} "
          "(one set of weights for two inputs)")
    diff = max(float(np.abs(g1 - e1).max()), float(np.abs(g2 - e2).max()),
               float(np.abs(g1 - k1).max()), float(np.abs(g2 - k2).max()))
    print(f"max |difference| between the three modes' outputs: {diff:.2e}")
    return n_graph, n_eager, n_keras, diff


if __name__ == "__main__":
    main()
