"""``tf.contrib.framework.nest``: TF1's nested-structure utilities.

``flatten``, ``pack_sequence_as``, ``map_structure``, ``assert_same_structure``
and ``is_nested`` are ``tf.nest``'s (the same functions TF1 had). Written here,
with TF1's semantics and messages, are the rest TF1 exported: ``is_sequence``,
``is_sequence_or_composite``, ``flatten_dict_items``, the ``*_up_to`` family
(``assert_shallow_structure``, ``flatten_up_to``, ``map_structure_up_to``, ...),
the path functions (``yield_flat_paths``, ``flatten_with_tuple_paths``,
``flatten_with_joined_string_paths``, ``map_structure_with_paths``, ...) and
``get_traverse_shallow_structure``.

Structures: lists, tuples, namedtuples, dicts/mappings (children in sorted key
order), ``attrs`` classes. Strings, tensors and numpy arrays are leaves.
``expand_composites=True`` is supported only by the functions taken from
``tf.nest``.
"""
from __future__ import annotations

import collections
import collections.abc
from typing import Any, Callable, Iterator, List, Tuple

import tensorflow as _tf

__all__ = [
    "assert_same_structure", "is_nested", "is_sequence", "is_sequence_or_composite", "flatten",
    "flatten_dict_items", "pack_sequence_as", "map_structure", "map_structure_with_paths",
    "map_structure_with_tuple_paths", "assert_shallow_structure", "flatten_up_to",
    "flatten_with_tuple_paths_up_to", "map_structure_up_to",
    "map_structure_with_tuple_paths_up_to", "get_traverse_shallow_structure",
    "yield_flat_paths", "flatten_with_joined_string_paths", "flatten_with_tuple_paths",
]

flatten = _tf.nest.flatten
pack_sequence_as = _tf.nest.pack_sequence_as
map_structure = _tf.nest.map_structure
assert_same_structure = _tf.nest.assert_same_structure
is_nested = _tf.nest.is_nested

_MISMATCHING_TYPES = ("The two structures don't have the same sequence type. Input structure has "
                      "type {input_type}, while shallow structure has type {shallow_type}.")
_MISMATCHING_LENGTHS = ("The two structures don't have the same sequence length. Input structure "
                        "has length {input_length}, while shallow structure has length "
                        "{shallow_length}.")
_INPUT_SMALLER = ("The input_tree has fewer elements than the shallow_tree. Input structure has "
                  "length {input_size}, while shallow structure has length {shallow_size}.")
_INVALID_KEYS = ("The shallow_tree's keys are not a subset of the input_tree's keys. The "
                 "shallow_tree has the following keys that are not in the input_tree: {}.")


def is_sequence(seq: Any) -> bool:
    """True for a list, tuple, namedtuple, mapping or attrs object (not a string)."""
    return _tf.nest.is_nested(seq)


def is_sequence_or_composite(seq: Any) -> bool:
    """:func:`is_sequence`, or a composite tensor (``SparseTensor``, ``RaggedTensor``...)."""
    if is_sequence(seq):
        return True
    flat = _tf.nest.flatten(seq, expand_composites=True)
    return not (len(flat) == 1 and flat[0] is seq)


def _no_composites(kwargs: dict) -> None:
    if kwargs.get("expand_composites"):
        raise NotImplementedError("tfshare's contrib.framework.nest supports "
                                  "expand_composites=True only in flatten, pack_sequence_as, "
                                  "map_structure and assert_same_structure (tf.nest's).")


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _is_attrs(x: Any) -> bool:
    return hasattr(type(x), "__attrs_attrs__")


def _sorted_keys(mapping: Any) -> list:
    try:
        return sorted(mapping)
    except TypeError:
        raise TypeError("nest only supports dicts with sortable keys.") from None


def _items(structure: Any) -> List[Tuple[Any, Any]]:
    """``(key, child)`` pairs in flatten order."""
    if isinstance(structure, collections.abc.Mapping):
        return [(k, structure[k]) for k in _sorted_keys(structure)]
    if _is_namedtuple(structure):
        return list(zip(type(structure)._fields, structure))
    if _is_attrs(structure):
        return [(a.name, getattr(structure, a.name)) for a in type(structure).__attrs_attrs__]
    if isinstance(structure, collections.abc.MappingView):
        return list(enumerate(list(structure)))
    return list(enumerate(structure))


def _sequence_like(instance: Any, values: list) -> Any:
    """``values`` (in flatten order) as a structure of ``instance``'s type."""
    if isinstance(instance, collections.abc.Mapping):
        by_key = dict(zip(_sorted_keys(instance), values))
        if type(instance) is collections.defaultdict:
            out = collections.defaultdict(instance.default_factory)
            for k in instance:
                out[k] = by_key[k]
            return out
        return type(instance)((k, by_key[k]) for k in instance)
    if _is_namedtuple(instance) or _is_attrs(instance):
        return type(instance)(*values)
    if isinstance(instance, (collections.abc.MappingView, range)):
        return list(values)
    return type(instance)(values)


def flatten_dict_items(dictionary: Any) -> dict:
    """``{(4, 5, (6, 8)): ("a", "b", ("c", "d"))}`` -> ``{4: "a", 5: "b", 6: "c", 8: "d"}``."""
    if not isinstance(dictionary, collections.abc.Mapping):
        raise TypeError("input must be a dictionary")
    flat: dict = {}
    for key, value in dictionary.items():
        if not is_sequence(key):
            pairs = [(key, value)]
        else:
            keys, values = flatten(key), flatten(value)
            if len(keys) != len(values):
                raise ValueError(
                    "Could not flatten dictionary. Key had %d elements, but value had %d "
                    "elements. Key: %s, value: %s." % (len(keys), len(values), keys, values))
            pairs = list(zip(keys, values))
        for k, v in pairs:
            if k in flat:
                raise ValueError("Could not flatten dictionary: key %s is not unique." % (k,))
            flat[k] = v
    return flat


def assert_shallow_structure(shallow_tree: Any, input_tree: Any, check_types: bool = True,
                             expand_composites: bool = False,
                             check_subtrees_length: bool = True) -> None:
    """Raise unless ``input_tree`` is ``shallow_tree`` with leaves replaced by subtrees.

    ``TypeError`` when a sequence in ``shallow_tree`` faces a leaf or (with
    ``check_types``) another sequence type; ``ValueError`` on different lengths
    (or fewer elements with ``check_subtrees_length=False``) or missing keys.
    """
    _no_composites({"expand_composites": expand_composites})
    if not is_sequence(shallow_tree):
        return
    if not is_sequence(input_tree):
        raise TypeError("If shallow structure is a sequence, input must also be a sequence. "
                        "Input has type: %s." % type(input_tree))
    if check_types and not isinstance(input_tree, type(shallow_tree)):
        both_namedtuples = _is_namedtuple(shallow_tree) and _is_namedtuple(input_tree)
        same_namedtuple = both_namedtuples and (
            type(shallow_tree).__name__ == type(input_tree).__name__
            and type(shallow_tree)._fields == type(input_tree)._fields)
        both_mappings = (isinstance(shallow_tree, collections.abc.Mapping)
                         and isinstance(input_tree, collections.abc.Mapping))
        if not (same_namedtuple or (not both_namedtuples and both_mappings)):
            raise TypeError(_MISMATCHING_TYPES.format(input_type=type(input_tree),
                                                      shallow_type=type(shallow_tree)))
    if check_subtrees_length and len(input_tree) != len(shallow_tree):
        raise ValueError(_MISMATCHING_LENGTHS.format(input_length=len(input_tree),
                                                     shallow_length=len(shallow_tree)))
    if len(input_tree) < len(shallow_tree):
        raise ValueError(_INPUT_SMALLER.format(input_size=len(input_tree),
                                               shallow_size=len(shallow_tree)))
    if isinstance(shallow_tree, collections.abc.Mapping):
        absent = set(shallow_tree) - set(input_tree)
        if absent:
            raise ValueError(_INVALID_KEYS.format(sorted(absent)))
    for (_, s), (_, i) in zip(_items(shallow_tree), _items(input_tree)):
        assert_shallow_structure(s, i, check_types=check_types,
                                 check_subtrees_length=check_subtrees_length)


def _flat_up_to(shallow_tree: Any, input_tree: Any,
                path: Tuple = ()) -> Iterator[Tuple[Tuple, Any]]:
    if not is_sequence(shallow_tree):
        yield path, input_tree
        return
    children = dict(_items(input_tree))
    for key, sub in _items(shallow_tree):
        yield from _flat_up_to(sub, children[key], path + (key,))


def flatten_with_tuple_paths_up_to(shallow_tree: Any, input_tree: Any, check_types: bool = True,
                                   expand_composites: bool = False,
                                   check_subtrees_length: bool = True) -> List[Tuple[Tuple, Any]]:
    """``[(tuple_path, subtree), ...]`` of ``input_tree`` cut at ``shallow_tree``'s leaves."""
    assert_shallow_structure(shallow_tree, input_tree, check_types, expand_composites,
                             check_subtrees_length)
    return list(_flat_up_to(shallow_tree, input_tree))


def flatten_up_to(shallow_tree: Any, input_tree: Any, check_types: bool = True,
                  expand_composites: bool = False, check_subtrees_length: bool = True) -> list:
    """``input_tree`` flattened down to the depth of ``shallow_tree`` only:
    ``flatten_up_to([0, 0], [[1, 2], 3]) == [[1, 2], 3]``."""
    return [v for _, v in flatten_with_tuple_paths_up_to(
        shallow_tree, input_tree, check_types, expand_composites, check_subtrees_length)]


def map_structure_with_tuple_paths_up_to(shallow_tree: Any, func: Callable, *inputs: Any,
                                         **kwargs: Any) -> Any:
    """``func(tuple_path, *subtrees)`` at each leaf of ``shallow_tree``; the
    result has ``shallow_tree``'s structure. ``check_types`` and
    ``check_subtrees_length`` are options, other ``kwargs`` go to ``func``."""
    if not inputs:
        raise ValueError("Cannot map over no sequences")
    check_types = kwargs.pop("check_types", True)
    _no_composites(kwargs)
    kwargs.pop("expand_composites", None)
    check_lengths = kwargs.pop("check_subtrees_length", True)
    flats = [flatten_with_tuple_paths_up_to(shallow_tree, x, check_types,
                                            check_subtrees_length=check_lengths) for x in inputs]
    results = [func(flats[0][i][0], *(f[i][1] for f in flats), **kwargs)
               for i in range(len(flats[0]))]
    return pack_sequence_as(shallow_tree, results)


def map_structure_up_to(shallow_tree: Any, func: Callable, *inputs: Any, **kwargs: Any) -> Any:
    """``func(*subtrees)`` at each leaf of ``shallow_tree`` (see
    :func:`map_structure_with_tuple_paths_up_to`)."""
    return map_structure_with_tuple_paths_up_to(
        shallow_tree, lambda _path, *values, **kw: func(*values, **kw), *inputs, **kwargs)


def map_structure_with_tuple_paths(func: Callable, *structure: Any, **kwargs: Any) -> Any:
    """``map_structure`` whose ``func`` also gets the leaf's tuple path first."""
    return map_structure_with_tuple_paths_up_to(structure[0], func, *structure, **kwargs)


def map_structure_with_paths(func: Callable, *structure: Any, **kwargs: Any) -> Any:
    """``map_structure`` whose ``func`` also gets the leaf's path ``"a/0/b"`` first."""
    def with_string_path(path: Tuple, *values: Any, **kw: Any) -> Any:
        return func("/".join(str(p) for p in path), *values, **kw)

    return map_structure_with_tuple_paths_up_to(structure[0], with_string_path, *structure,
                                                **kwargs)


def yield_flat_paths(nest: Any, expand_composites: bool = False) -> Iterator[Tuple]:
    """The tuple path of each leaf, in flatten order: ``{'a': [3]}`` -> ``('a', 0)``."""
    _no_composites({"expand_composites": expand_composites})
    for path, _ in _flat_up_to(nest, nest):
        yield path


def flatten_with_tuple_paths(structure: Any, expand_composites: bool = False) -> list:
    """``[(tuple_path, leaf), ...]`` in flatten order."""
    return list(zip(yield_flat_paths(structure, expand_composites), flatten(structure)))


def flatten_with_joined_string_paths(structure: Any, separator: str = "/",
                                     expand_composites: bool = False) -> list:
    """``[("a/0", leaf), ...]`` in flatten order."""
    return [(separator.join(str(p) for p in path), leaf)
            for path, leaf in flatten_with_tuple_paths(structure, expand_composites)]


def get_traverse_shallow_structure(traverse_fn: Callable, structure: Any,
                                   expand_composites: bool = False) -> Any:
    """A shallow structure of bools from ``traverse_fn`` (a bool, or a depth-1
    structure of bools, per subtree), for :func:`map_structure_up_to`."""
    _no_composites({"expand_composites": expand_composites})
    to_traverse = traverse_fn(structure)
    if not is_sequence(structure):
        if not isinstance(to_traverse, bool):
            raise TypeError("traverse_fn returned structure: %s for non-structure: %s"
                            % (to_traverse, structure))
        return to_traverse
    children = [v for _, v in _items(structure)]
    if isinstance(to_traverse, bool):
        if not to_traverse:
            return False
        level = [get_traverse_shallow_structure(traverse_fn, c) for c in children]
    elif not is_sequence(to_traverse):
        raise TypeError("traverse_fn returned a non-bool scalar: %s for input: %s"
                        % (to_traverse, structure))
    else:
        assert_shallow_structure(to_traverse, structure)
        level = []
        for flag, child in zip([v for _, v in _items(to_traverse)], children):
            if not isinstance(flag, bool):
                raise TypeError("traverse_fn didn't return a depth=1 structure of bools.  saw: "
                                "%s  for structure: %s" % (to_traverse, structure))
            level.append(get_traverse_shallow_structure(traverse_fn, child) if flag else False)
    return _sequence_like(structure, level)
