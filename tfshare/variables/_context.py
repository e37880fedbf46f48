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

from tfshare.errors import bad_argument
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


def _replica_id() -> int | None:
    """The replica id when running in a ``tf.distribute`` replica context
    (``strategy.run``), else ``None``."""
    if not tf.distribute.has_strategy() or tf.distribute.in_cross_replica_context():
        return None
    ctx = tf.distribute.get_replica_context()
    if ctx is None:
        return None
    rid = tf.get_static_value(ctx.replica_id_in_sync_group)
    return None if rid is None else int(rid)


def _replica_copy(state: ScopeState, replica_id: int) -> ScopeState:
    """TF1's MirroredStrategy re-enters the caller's scope in each replica
    thread, with ``reuse=True`` for replicas other than 0."""
    cur = state.current
    if replica_id > 0:
        from tfshare.variables.scope import VariableScope

        cur = VariableScope(
            True, name=cur.name, initializer=cur.initializer, regularizer=cur.regularizer,
            caching_device=cur.caching_device, partitioner=cur.partitioner,
            custom_getter=cur.custom_getter, name_scope=cur.original_name_scope,
            dtype=cur.dtype, use_resource=cur.use_resource, constraint=cur.constraint)
    return ScopeState(state.root, cur, state.counts)


class _StateTable:
    """The per-thread ``ScopeState``s of one context (eager world, v1 graph,
    function trace, or ``store_scope`` entry).

    A thread's state is made on its first use by ``factory()``; a replica
    thread of a ``tf.distribute`` strategy instead starts from a copy of the
    owner thread's state (see ``_replica_copy``). The owner is ``owner`` if
    given, else the first thread that uses the table.
    """

    def __init__(self, factory, owner: int | None = None, owner_main_only: bool = False):
        self._factory = factory
        self._local = threading.local()
        self._owner = owner
        self._owner_state: ScopeState | None = None
        self._owner_main_only = owner_main_only

    @property
    def state(self) -> ScopeState:
        return self.get()

    def get(self, factory=None) -> ScopeState:
        """This thread's state; made by ``factory`` (default: the table's) if new."""
        st = getattr(self._local, "state", None)
        if st is None:
            st = self._make(factory or self._factory)
            self._local.state = st
        return st

    def _make(self, factory) -> ScopeState:
        me = threading.get_ident()
        rid = _replica_id()
        if rid is not None and me != self._owner:
            source = self._owner_state if self._owner_state is not None else factory()
            return _replica_copy(source, rid)
        st = factory()
        if self._owner is None and rid is None and (
                not self._owner_main_only
                or threading.current_thread() is threading.main_thread()):
            self._owner = me
        if me == self._owner:
            self._owner_state = st
        return st


def _fresh_table(owner: int | None = None, owner_main_only: bool = False) -> _StateTable:
    return _StateTable(lambda: ScopeState(_new_root()), owner, owner_main_only)


class _StoreEntry:
    """An active ``store_scope``: its store, its scope states, entry graph."""

    def __init__(self, store: VariableStore, graph: Any):
        self.store = store
        self.table = _fresh_table(owner=threading.get_ident())
        self.graph = graph


class _Local(threading.local):
    def __init__(self):
        super().__init__()
        # replica threads of a tf.distribute strategy see the caller's store_scopes
        inherited = _main_store_stack if _replica_id() is not None else []
        self.store_stack: list[_StoreEntry] = list(inherited or [])


_lock = threading.RLock()
_main_store_stack: list | None = None
_local = _Local()
_main_store_stack = _local.store_stack
_eager_store = VariableStore(name="eager_default")
_eager_states = _fresh_table(owner_main_only=True)
_graph_data: "weakref.WeakKeyDictionary[Any, tuple[VariableStore, _StateTable]]" = (
    weakref.WeakKeyDictionary())
_trace_states: "weakref.WeakKeyDictionary[Any, _StateTable]" = weakref.WeakKeyDictionary()


def v1_graph_mode() -> bool:
    """True in TF1-style graph mode (outside any eager-launched function)."""
    return not tf.compat.v1.executing_eagerly_outside_functions()


def root_graph(graph: Any = None) -> Any:
    """The outermost graph of ``graph`` (follows ``FuncGraph.outer_graph``)."""
    g = tf.compat.v1.get_default_graph() if graph is None else graph
    while getattr(g, "outer_graph", None) is not None:
        g = g.outer_graph
    return g


def _graph_entry(graph: Any) -> tuple[VariableStore, _StateTable]:
    with _lock:
        entry = _graph_data.get(graph)
        if entry is None:
            entry = (VariableStore(name="graph", graph=graph), _fresh_table(owner_main_only=True))
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
        return top.table.state, top.graph
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
        table = _trace_states.get(graph)
        if table is None:
            table = _StateTable(None)
            _trace_states[graph] = table
    outer = getattr(graph, "outer_graph", None)

    def factory() -> ScopeState:
        parent = base if outer is None else _trace_state(outer, base, base_graph)
        return parent.copy()

    return table.get(factory)


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
        _eager_states = _fresh_table(owner_main_only=True)
        _trace_states.clear()
