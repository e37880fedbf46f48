"""The TF 1.15 program that writes a checkpoint with a partitioned embedding.

Shared by ``tests/fixtures/make_variables_fixtures.py`` (goldens) and
``tests/test_partitioned.py`` (live when the oracle is built). Python 3.7 code:
in ``variable_scope("model")`` an embedding ``emb [7, 3]`` split in three by
``fixed_size_partitioner(3)`` (slices ``emb/part_0..2`` of 3, 2 and 2 rows) and
a dense ``w [3, 2]``; the variables are set to known values, saved with
``tf.train.Saver``, and ``OUT`` gets the checkpoint's files (as bytes), the
values, the slice names and what ``list_variables`` reports.
"""

EMB = [[0.1 * i - 0.03 * j for j in range(3)] for i in range(7)]
W = [[0.5 - 0.2 * i + 0.1 * j for j in range(2)] for i in range(3)]
IDS = [6, 0, 3, 3, 5]

CODE = f"""
import os, tempfile
EMB = np.array({EMB!r}, np.float32)
W = np.array({W!r}, np.float32)
with tf.Graph().as_default():
    with tf.variable_scope("model"):
        emb = tf.get_variable("emb", [7, 3], partitioner=tf.fixed_size_partitioner(3))
        w = tf.get_variable("w", [3, 2])
    out = tf.matmul(tf.nn.embedding_lookup(emb, {IDS!r}), w)
    saver = tf.train.Saver()
    directory = tempfile.mkdtemp()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        start = 0
        for part in emb:
            rows = int(part.get_shape()[0])
            sess.run(part.assign(EMB[start:start + rows]))
            start += rows
        sess.run(w.assign(W))
        path = saver.save(sess, os.path.join(directory, "model.ckpt"))
        OUT["out"] = sess.run(out)
    for suffix in (".index", ".data-00000-of-00001"):
        with open(path + suffix, "rb") as f:
            OUT["file" + suffix.replace(".", "_").replace("-", "_")] = np.frombuffer(
                f.read(), np.uint8)
    OUT["json:parts"] = [[v.name, v.get_shape().as_list()] for v in emb]
    OUT["json:listed"] = [[n, s] for n, s in tf.train.list_variables(path)]
"""

#: ``OUT`` keys of the checkpoint files and their names next to the prefix
FILES = {"file_index": ".index", "file_data_00000_of_00001": ".data-00000-of-00001"}
