"""Where the variable store and the scope stack live (internal).

Resolution order (DESIGN "Where variables live"):

1. an active :func:`store_scope` on this thread (tracked Keras layers, tests);
2. v1 graph mode (``not tf.compat.v1.executing_eagerly_outside_functions()``):
   the store of the current ``tf.Graph`` (function graphs use their outermost
   graph, as TF1 shares the scope store with ``FuncGraph``s);
3. eager mode: one process-wide default store, cleared by
   ``reset_default_graph()``.

The scope state (current ``VariableScope`` and the ``default_name`` counters) is
thread-local, like TF1's ``_VariableScopeStore``. While a ``tf.function`` is
traced from eager code, each trace works on its own copy of the enclosing
state, so a retrace produces the same scope names as the first trace.
"""
from __future__ import annotations

import contextlib
import threading
import weakref
from typing import Any, Iterator

import tensorflow as tf

from tfshare.variables.store import VariableStore


class ScopeState:
    """The current variable scope and the ``default_name`` counters."""

    def __init__(self, root: Any, current: Any = None, counts: dict | None = None):
        self.root = root
        self.current = root if current is None else current
        self.counts: dict[str, int] = dict(counts or {})

    def open(self, full_name: str) -> None:
        self.counts[full_name] = self.counts.get(full_name, 0) + 1

    def close_subscopes(self, full_name: str) -> None:
        prefix = full_name + "/"
        for key in self.counts:
            if key.startswith(prefix):
                self.counts[key] = 0

    def count(self, full_name: str) -> int:
        return self.counts.get(full_name, 0)

    def copy(self) -> "ScopeState":
        return ScopeState(self.root, self.current, self.counts)


def _new_root():
    from tfshare.variables.scope import VariableScope

    return VariableScope(False)


class _ThreadStates(threading.local):
    """One ``ScopeState`` per thread (created lazily with a fresh root)."""

    def __init__(self):
        super().__init__()
        self._state: ScopeState | None = None

    @property
    def state(self) -> ScopeState:
        if self._state is None:
            self._state = ScopeState(_new_root())
        return self._state


class _StoreEntry:
    """An active ``store_scope``: its store, a fresh scope state, entry graph."""

    def __init__(self, store: VariableStore, graph: Any):
        self.store = store
        self.state = ScopeState(_new_root())
        self.graph = graph


class _Local(threading.local):
    def __init__(self):
        super().__init__()
        self.store_stack: list[_StoreEntry] = []


_lock = threading.RLock()
_local = _Local()
_eager_store = VariableStore(name="eager_default")
_eager_states = _ThreadStates()
_graph_data: "weakref.WeakKeyDictionary[Any, tuple[VariableStore, _ThreadStates]]" = (
    weakref.WeakKeyDictionary())
_trace_states: "weakref.WeakKeyDictionary[Any, ScopeState]" = weakref.WeakKeyDictionary()


def v1_graph_mode() -> bool:
    """True in TF1-style graph mode (outside any eager-launched function)."""
    return not tf.compat.v1.executing_eagerly_outside_functions()


def root_graph(graph: Any = None) -> Any:
    """The outermost graph of ``graph`` (follows ``FuncGraph.outer_graph``)."""
    g = tf.compat.v1.get_default_graph() if graph is None else graph
    while getattr(g, "outer_graph", None) is not None:
        g = g.outer_graph
    return g


def _graph_entry(graph: Any) -> tuple[VariableStore, _ThreadStates]:
    with _lock:
        entry = _graph_data.get(graph)
        if entry is None:
            entry = (VariableStore(name="graph", graph=graph), _ThreadStates())
            _graph_data[graph] = entry
        return entry


def active_store_scope() -> bool:
    return bool(_local.store_stack)


def current_store() -> VariableStore:
    """The ``VariableStore`` in force (see the module docstring)."""
    if _local.store_stack:
        return _local.store_stack[-1].store
    if v1_graph_mode():
        return _graph_entry(root_graph())[0]
    return _eager_store


def _base_state() -> tuple[ScopeState, Any]:
    """The state of the innermost store_scope / graph / eager world, and the
    graph it belongs to (``None`` for the eager world)."""
    if _local.store_stack:
        top = _local.store_stack[-1]
        return top.state, top.graph
    if v1_graph_mode():
        g = root_graph()
        return _graph_entry(g)[1].state, g
    return _eager_states.state, None


def scope_state() -> ScopeState:
    """The scope state in force on this thread."""
    base, base_graph = _base_state()
    if tf.executing_eagerly() or not tf.inside_function():
        return base
    if v1_graph_mode() and not _local.store_stack:
        return base  # TF1 shares the scope store with function graphs
    graph = tf.compat.v1.get_default_graph()
    return _trace_state(graph, base, base_graph)


def _trace_state(graph: Any, base: ScopeState, base_graph: Any) -> ScopeState:
    if graph is base_graph or not getattr(graph, "building_function", False):
        return base
    with _lock:
        state = _trace_states.get(graph)
        if state is None:
            outer = getattr(graph, "outer_graph", None)
            parent = base if outer is None else _trace_state(outer, base, base_graph)
            state = parent.copy()
            _trace_states[graph] = state
        return state


def current_trace_graph() -> Any:
    """The ``FuncGraph`` being traced from eager code, else ``None``."""
    if tf.executing_eagerly() or not tf.inside_function() or v1_graph_mode():
        return None
    return tf.compat.v1.get_default_graph()


@contextlib.contextmanager
def store_scope(store: VariableStore) -> Iterator[VariableStore]:
    """Make ``store`` the current store (with a fresh root scope) in this block.

    ``get_variable`` calls inside the block look up and create variables in
    ``store``; scope names start at the root, with fresh ``default_name``
    counters each time the block is entered.
    """
    if not isinstance(store, VariableStore):
        from tfshare.errors import bad_argument

        raise TypeError(bad_argument("store", store, "a tfshare.VariableStore"))
    _local.store_stack.append(_StoreEntry(store, tf.compat.v1.get_default_graph()))
    try:
        yield store
    finally:
        _local.store_stack.pop()


def reset_eager_state() -> None:
    """Forget the eager default store's variables and all eager scope state."""
    global _eager_states
    with _lock:
        _eager_store.clear()
        _eager_states = _ThreadStates()
        _trace_states.clear()
