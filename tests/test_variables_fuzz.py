"""Differential fuzzing of variable_scope/get_variable against stock TF1 graph mode.

Random programs (nested scopes by string, by captured scope object and by
``default_name``; every reuse mode; ``reuse_variables()``; ``get_variable``
calls with varying shapes and dtypes) run on

* stock ``tf.compat.v1.variable_scope``/``get_variable`` inside
  ``tf.Graph().as_default()`` (the oracle: TF's graph-mode store is exact), and
* ``tfshare.variables`` in graph mode and in eager mode.

Programs also interleave plain ``name_scope``s, ``auxiliary_name_scope=False``
and op creation, so op names are compared too (graph mode).

Created names, the identity of the returned objects, scope names and reuse
values, and the error texts must match; op name scopes
(``original_name_scope``) must match in graph mode.
"""
from __future__ import annotations

import hypothesis.strategies as st
import tensorflow as tf
from hypothesis import HealthCheck, given, settings

import tfshare.variables as tv

v1 = tf.compat.v1

NAMES = ["a", "b", "a/b"]
DEFAULTS = ["d", "a"]
REUSES = [None, False, True, "AUTO"]


def _programs():
    leaf = st.one_of(
        st.tuples(st.just("get"), st.sampled_from(["v", "w"]),
                  st.sampled_from([None, (1,), (2,)]),
                  st.sampled_from(["float32", "int32", None])),
        st.tuples(st.just("capture")),
        st.tuples(st.just("reuse_variables")),
        st.tuples(st.just("op")),
    )

    def extend(children):
        kind = st.one_of(
            st.tuples(st.just("name"), st.sampled_from(NAMES)),
            st.tuples(st.just("default"), st.sampled_from(DEFAULTS)),
            st.tuples(st.just("object"), st.integers(0, 3)),
        )
        scope = st.tuples(st.just("scope"), kind, st.sampled_from(REUSES),
                          st.lists(children, max_size=4), st.booleans())
        name_scope = st.tuples(st.just("ns"), st.sampled_from(NAMES),
                               st.lists(children, max_size=3))
        return st.one_of(scope, scope, name_scope)

    return st.lists(st.recursive(leaf, extend, max_leaves=12), min_size=1, max_size=6)


def _kind(e: Exception) -> str:
    return "ValueError" if isinstance(e, ValueError) else "TypeError"


def run_program(program, api, graph_mode: bool):
    """Run ``program`` on ``api`` (``tf.compat.v1`` or ``tfshare.variables``)."""
    log: list = []
    seen: list = []
    captured: list = []

    def ident(obj):
        for i, o in enumerate(seen):
            if o is obj:
                return i
        seen.append(obj)
        return len(seen) - 1

    def reuse_of(r):
        return api.AUTO_REUSE if r == "AUTO" else r

    def reuse_repr(r):
        return "AUTO" if r is api.AUTO_REUSE else r

    def run(ops):
        for op in ops:
            if op[0] == "get":
                _, name, shape, dtype = op
                try:
                    var = api.get_variable(name, shape=shape, dtype=dtype)
                    log.append(("get", var.name, tuple(var.shape.as_list()),
                                var.dtype.base_dtype.name, ident(var)))
                except (ValueError, TypeError) as e:
                    log.append(("get-error", _kind(e), str(e)))
            elif op[0] == "capture":
                captured.append(api.get_variable_scope())
            elif op[0] == "reuse_variables":
                api.get_variable_scope().reuse_variables()
                log.append(("reuse_variables",))
            elif op[0] == "op":
                if graph_mode:
                    log.append(("op", tf.constant(0.0, name="c").name))
            elif op[0] == "ns":
                _, name, body = op
                if graph_mode:
                    with v1.name_scope(name):
                        run(body)
                else:
                    run(body)
            else:
                _, (kind, arg), reuse, body = op[:4]
                aux = op[4] if len(op) > 4 else True
                if kind == "name":
                    cm_args = dict(name_or_scope=arg)
                elif kind == "default":
                    cm_args = dict(name_or_scope=None, default_name=arg)
                else:
                    if not captured:
                        continue
                    cm_args = dict(name_or_scope=captured[arg % len(captured)])
                try:
                    cm = api.variable_scope(reuse=reuse_of(reuse), auxiliary_name_scope=aux,
                                            **cm_args)
                    scope = cm.__enter__()
                except (ValueError, TypeError) as e:
                    log.append(("scope-error", _kind(e), str(e)))
                    continue
                entry = ("scope", scope.name, reuse_repr(scope.reuse))
                if graph_mode:
                    entry += (scope.original_name_scope,
                              v1.get_default_graph().get_name_scope())
                log.append(entry)
                try:
                    run(body)
                finally:
                    cm.__exit__(None, None, None)
                log.append(("exit", reuse_repr(api.get_variable_scope().reuse),
                            api.get_variable_scope().name))

    run(program)
    return log


def run_stock(program):
    with tf.Graph().as_default():
        return run_program(program, v1, graph_mode=True)


def run_tfshare_graph(program):
    with tf.Graph().as_default():
        return run_program(program, tv, graph_mode=True)


def run_tfshare_eager(program):
    tv.reset_default_graph()
    try:
        return run_program(program, tv, graph_mode=False)
    finally:
        tv.reset_default_graph()


def _strip_op_scopes(log):
    return [e[:3] if e[0] == "scope" else e for e in log if e[0] != "op"]


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(_programs())
def test_fuzz_matches_stock_graph_mode(program):
    expected = run_stock(program)
    assert run_tfshare_graph(program) == expected
    assert run_tfshare_eager(program) == _strip_op_scopes(expected)


def test_fuzz_harness_sees_differences():
    """The harness can fail: reuse=True on a missing variable must error in both,
    and a program whose outcome depends on reuse gives different logs."""
    prog_create = [("scope", ("name", "a"), None, [("get", "v", (1,), None)])]
    prog_reuse = [("scope", ("name", "a"), True, [("get", "v", (1,), None)])]
    assert run_stock(prog_create) != run_stock(prog_reuse)
    assert run_tfshare_eager(prog_reuse) == _strip_op_scopes(run_stock(prog_reuse))
    assert run_tfshare_eager(prog_reuse)[1][0] == "get-error"


def test_fuzz_known_tricky_programs():
    """Hand-picked programs covering counter resets, object jumps and inheritance."""
    programs = [
        # default_name counters and reset on exiting a string scope
        [("scope", ("name", "a"), None, [("scope", ("default", "d"), None, []),
                                         ("scope", ("default", "d"), None, [])]),
         ("scope", ("name", "a"), None, [("scope", ("default", "d"), None, [])])],
        # object scopes restore counters; reuse not inherited by object scopes
        [("scope", ("default", "d"), None, [("capture",), ("get", "v", (2,), None)]),
         ("scope", ("name", "b"), True, [("scope", ("object", 0), None,
                                          [("get", "v", (2,), None),
                                           ("scope", ("default", "d"), None, [])])]),
         ("scope", ("default", "d"), None, [])],
        # reuse=False inherits True; AUTO_REUSE; dtype/shape mismatch
        [("scope", ("name", "a"), "AUTO", [("get", "w", (1,), None),
                                           ("scope", ("name", "b"), False,
                                            [("get", "w", (1,), None)]),
                                           ("get", "w", (2,), None),
                                           ("get", "w", None, "int32")]),
         ("scope", ("name", "a/b"), True, [("get", "w", None, None)])],
        # reuse_variables on the root scope object inside a captured scope
        [("capture",), ("scope", ("object", 0), None, [("reuse_variables",),
                                                       ("get", "v", (1,), None)]),
         ("get", "v", (1,), None), ("scope", ("name", "a"), None, [("get", "v", (1,), None)])],
    ]
    for prog in programs:
        expected = run_stock(prog)
        assert run_tfshare_graph(prog) == expected, prog
        assert run_tfshare_eager(prog) == _strip_op_scopes(expected), prog
