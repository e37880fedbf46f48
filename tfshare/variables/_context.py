"""Where the variable store and the scope stack live (internal).

All of it is held by one :class:`VariableContext` object (``scope.CONTEXT``).
Resolution order (docs/variables.md, "Where the variables live"):

1. an active :meth:`VariableContext.store_scope` on this thread (tracked Keras
   layers, tests);
2. v1 graph mode (``not tf.compat.v1.executing_eagerly_outside_functions()``):
   the store of the current ``tf.Graph`` (function graphs use their outermost
   graph, as TF1 shares the scope store with ``FuncGraph``s);
3. eager mode: one process-wide default store, cleared by
   ``reset_default_graph()``.

The scope state (current ``VariableScope`` and the ``default_name`` counters) is
thread-local, like TF1's ``_VariableScopeStore``. While a ``tf.function`` is
traced from eager code, each trace works on its own copy of the enclosing
state, so a retrace produces the same scope names as the first trace.

This module knows scopes only through two duck-typed operations: the context
is given a ``make_root()`` factory, and a replica thread asks the caller's
scope for ``reusing_copy()``.
"""
from __future__ import annotations

import contextlib
import threading
import weakref
from typing import Any, Callable, Iterator

import tensorflow as tf

from tfshare.errors import bad_argument
from tfshare.variables import _mode
from tfshare.variables.store import VariableStore

__all__: list = []


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


def _replica_copy(state: ScopeState, replica_id: int) -> ScopeState:
    """TF1's MirroredStrategy re-enters the caller's scope in each replica
    thread, with ``reuse=True`` for replicas other than 0."""
    cur = state.current.reusing_copy() if replica_id > 0 else state.current
    return ScopeState(state.root, cur, state.counts)


class _StateTable:
    """The per-thread ``ScopeState``s of one context (eager world, v1 graph,
    function trace, or ``store_scope`` entry).

    A thread's state is made on its first use by ``factory()``; a replica
    thread of a ``tf.distribute`` strategy instead starts from a copy of the
    owner thread's state (see ``_replica_copy``). The owner is ``owner`` if
    given, else the first thread that uses the table.
    """

    def __init__(self, factory: Callable[[], ScopeState] | None, owner: int | None = None,
                 owner_main_only: bool = False):
        self._factory = factory
        self._local = threading.local()
        self._owner = owner
        self._owner_state: ScopeState | None = None
        self._owner_main_only = owner_main_only

    @property
    def state(self) -> ScopeState:
        return self.get()

    def get(self, factory: Callable[[], ScopeState] | None = None) -> ScopeState:
        """This thread's state; made by ``factory`` (default: the table's) if new."""
        st = getattr(self._local, "state", None)
        if st is None:
            st = self._make(factory or self._factory)
            self._local.state = st
        return st

    def _make(self, factory: Callable[[], ScopeState]) -> ScopeState:
        me = threading.get_ident()
        rid = _mode.replica_id()
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


class _StoreEntry:
    """An active ``store_scope``: its store, its scope states, entry graph."""

    def __init__(self, store: VariableStore, table: _StateTable, graph: Any):
        self.store = store
        self.table = table
        self.graph = graph


class _ThreadStacks(threading.local):
    """This thread's stack of active ``store_scope`` entries. Replica threads
    of a ``tf.distribute`` strategy start from the main thread's stack."""

    def __init__(self, context: "VariableContext"):
        super().__init__()
        inherited = context.main_store_stack if _mode.replica_id() is not None else None
        self.store_stack: list[_StoreEntry] = list(inherited or [])


class VariableContext:
    """Every piece of variable state of the process, in one object.

    Args:
      make_root: returns a fresh root ``VariableScope``.
    """

    def __init__(self, make_root: Callable[[], Any]):
        self._make_root = make_root
        self._lock = threading.RLock()
        self.main_store_stack: list[_StoreEntry] | None = None
        self._threads = _ThreadStacks(self)
        self.main_store_stack = self._threads.store_stack
        self.eager_store = VariableStore(name="eager_default")
        self._eager_states = self._fresh_table(owner_main_only=True)
        self._graph_data: "weakref.WeakKeyDictionary[Any, tuple[VariableStore, _StateTable]]" = (
            weakref.WeakKeyDictionary())
        self._trace_states: "weakref.WeakKeyDictionary[Any, _StateTable]" = (
            weakref.WeakKeyDictionary())

    def _fresh_table(self, owner: int | None = None, owner_main_only: bool = False) -> _StateTable:
        return _StateTable(lambda: ScopeState(self._make_root()), owner, owner_main_only)

    def _graph_entry(self, graph: Any) -> tuple[VariableStore, _StateTable]:
        with self._lock:
            entry = self._graph_data.get(graph)
            if entry is None:
                entry = (VariableStore(name="graph", graph=graph),
                         self._fresh_table(owner_main_only=True))
                self._graph_data[graph] = entry
            return entry

    # ---------------------------------------------------------------- stores
    def active_store_scope(self) -> bool:
        return bool(self._threads.store_stack)

    def current_store(self) -> VariableStore:
        """The ``VariableStore`` in force (see the module docstring)."""
        stack = self._threads.store_stack
        if stack:
            return stack[-1].store
        if _mode.v1_graph_mode():
            return self._graph_entry(_mode.root_graph())[0]
        return self.eager_store

    @contextlib.contextmanager
    def store_scope(self, store: VariableStore) -> Iterator[VariableStore]:
        """Make ``store`` current (with a fresh root scope) in this block."""
        if not isinstance(store, VariableStore):
            raise TypeError(bad_argument("store", store, "a tfshare.VariableStore"))
        table = self._fresh_table(owner=threading.get_ident())
        stack = self._threads.store_stack
        stack.append(_StoreEntry(store, table, tf.compat.v1.get_default_graph()))
        try:
            yield store
        finally:
            stack.pop()

    def get_collection(self, key: str, scope: str | None = None) -> list[Any]:
        """``tf.compat.v1.get_collection(key, scope)`` in v1 graph mode; else the
        current store's emulation of it (variables by collection, the
        regularization losses), followed in eager mode by what TF's own
        collection holds (``tf.compat.v1.add_to_collection`` still works there)."""
        if _mode.v1_graph_mode() and not self.active_store_scope():
            return tf.compat.v1.get_collection(key, scope)
        items = self.current_store().get_collection(key, scope)
        if tf.executing_eagerly() and not self.active_store_scope():
            items += [x for x in tf.compat.v1.get_collection(key, scope)
                      if not any(x is y for y in items)]
        return items

    # ---------------------------------------------------------------- scopes
    def _base_state(self) -> tuple[ScopeState, Any]:
        """The state of the innermost store_scope / graph / eager world, and the
        graph it belongs to (``None`` for the eager world)."""
        stack = self._threads.store_stack
        if stack:
            return stack[-1].table.state, stack[-1].graph
        if _mode.v1_graph_mode():
            g = _mode.root_graph()
            return self._graph_entry(g)[1].state, g
        return self._eager_states.state, None

    def scope_state(self) -> ScopeState:
        """The scope state in force on this thread."""
        base, base_graph = self._base_state()
        if tf.executing_eagerly() or not tf.inside_function():
            return base
        if _mode.v1_graph_mode() and not self.active_store_scope():
            return base  # TF1 shares the scope store with function graphs
        return self._trace_state(tf.compat.v1.get_default_graph(), base, base_graph)

    def _trace_state(self, graph: Any, base: ScopeState, base_graph: Any) -> ScopeState:
        if graph is base_graph or not getattr(graph, "building_function", False):
            return base
        with self._lock:
            table = self._trace_states.get(graph)
            if table is None:
                table = _StateTable(None)
                self._trace_states[graph] = table
        outer = getattr(graph, "outer_graph", None)

        def factory() -> ScopeState:
            parent = base if outer is None else self._trace_state(outer, base, base_graph)
            return parent.copy()

        return table.get(factory)

    def is_root_scope(self) -> bool:
        state = self.scope_state()
        return state.current is state.root

    def reset_eager_state(self) -> None:
        """Forget the eager default store's variables and all eager scope state."""
        with self._lock:
            self.eager_store.clear()
            self._eager_states = self._fresh_table(owner_main_only=True)
            self._trace_states.clear()
