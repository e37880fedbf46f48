"""``tfshare.compat.v1.contrib.training``: TF1's ``tf.contrib.training.HParams``.

``HParams(learning_rate=0.1, layers=[64, 64], cell="lstm")`` holds typed
hyperparameters as attributes. Each has the type of its first value (a list's
element type for lists); ``parse("learning_rate=0.3,layers=[32,32]")``,
``parse_json``, ``override_from_dict`` and ``set_hparam`` convert new values
to that type under TF1's rules (an int may become a float, never the other
way; bools and strings only from their own kind), with TF1's error texts.
``values()``, ``to_json(indent, separators, sort_keys)``, ``get``,
``add_hparam``, ``del_hparam``, ``in``, ``str``/``repr`` behave as in TF 1.15.
``parse_values(values, type_map, ignore_unknown=False)`` is the parser.

``bucket`` and ``bucket_by_sequence_length`` are TF1's queue-based batching
by bucket (graph mode; start the queue runners).

The ``HParamDef`` protocol-buffer forms (``to_proto``, ``from_proto``,
``hparam_def=``) are not provided: TF 2 ships no ``HParamDef`` proto.
"""
from __future__ import annotations

import json
import numbers
import re
from typing import Any, Callable, Dict, Optional

from tfshare.compat.v1.contrib._bucket_ops import bucket, bucket_by_sequence_length

__all__ = ["HParams", "parse_values", "bucket", "bucket_by_sequence_length"]

_PARAM = re.compile(r"""
  (?P<name>[a-zA-Z][\w\.]*)          # name
  (\[\s*(?P<index>\d+)\s*\])?        # optional index: a[1]
  \s*=\s*
  ((?P<val>[^,\[]*)                  # a scalar
   |
   \[(?P<vals>[^\]]*)\])             # or a list [1,2,3]
  ($|,\s*)""", re.VERBOSE)


def _parse_fail(name: str, var_type: type, value: Any, values: str) -> None:
    raise ValueError("Could not parse hparam '%s' of type '%s' with value '%s' in %s"
                     % (name, var_type.__name__, value, values))


def _reuse_fail(name: str, values: str) -> None:
    raise ValueError("Multiple assignments to variable '%s' in %s" % (name, values))


def _bool_parser(name: str, values: str) -> Callable[[str], bool]:
    def parse(text: str) -> bool:
        if text in ("true", "True"):
            return True
        if text in ("false", "False"):
            return False
        try:
            return bool(int(text))
        except ValueError:
            _parse_fail(name, bool, text, values)
        raise AssertionError("unreachable")
    return parse


def parse_values(values: str, type_map: Dict[str, type],
                 ignore_unknown: bool = False) -> Dict[str, Any]:
    """Parse ``"a=1,b=[1,2],c[0]=3"`` into ``{"a": 1, "b": [1, 2], "c": {0: 3}}``.

    Each value is parsed with ``type_map[name]`` (bools: ``true``/``True``/
    ``false``/``False`` or an integer). Unknown names raise ``ValueError:
    Unknown hyperparameter type for x`` unless ``ignore_unknown``; a name
    assigned twice raises ``Multiple assignments to variable ...``.
    """
    results: Dict[str, Any] = {}
    pos = 0
    while pos < len(values):
        m = _PARAM.match(values, pos)
        if not m:
            raise ValueError("Malformed hyperparameter value: %s" % values[pos:])
        pos = m.end()
        name, index, val, vals = m.group("name", "index", "val", "vals")
        if name not in type_map:
            if ignore_unknown:
                continue
            raise ValueError("Unknown hyperparameter type for %s" % name)
        var_type = type_map[name]
        parse = _bool_parser(name, values) if var_type == bool else var_type
        if val is not None:
            try:
                parsed = parse(val)
            except ValueError:
                _parse_fail(name, var_type, val, values)
            if not index:
                if name in results:
                    _reuse_fail(name, values)
                results[name] = parsed
            else:
                if name in results and not isinstance(results[name], dict):
                    _reuse_fail(name, values)
                slot = results.setdefault(name, {})
                if int(index) in slot:
                    _reuse_fail("{}[{}]".format(name, index), values)
                slot[int(index)] = parsed
        elif vals is not None:
            if index is not None:
                raise ValueError("Assignment of a list to a list index.")
            if name in results:
                _reuse_fail(name, values)
            try:
                results[name] = [parse(e) for e in re.split("[ ,]", vals) if e]
            except ValueError:
                _parse_fail(name, var_type, vals, values)
        else:
            _parse_fail(name, var_type, "", values)
    return results


def _cast(name: str, param_type: type, value: Any) -> Any:
    """``value`` as ``param_type`` if TF1 allows it, else ``ValueError``."""
    if type(value) == param_type:  # noqa: E721 (exact type, as TF1)
        return value
    if issubclass(param_type, type(None)):
        return value
    fail = ValueError("Could not cast hparam '%s' of type '%s' from value %r"
                      % (name, param_type, value))
    texts = (str, bytes)
    if issubclass(param_type, texts) and not isinstance(value, texts):
        raise fail
    if issubclass(param_type, bool) != isinstance(value, bool):
        raise fail
    if issubclass(param_type, numbers.Integral) and not isinstance(value, numbers.Integral):
        raise fail
    if issubclass(param_type, numbers.Number) and not isinstance(value, numbers.Number):
        raise fail
    return param_type(value)


class HParams:
    """Typed hyperparameters as attributes (TF1 ``tf.contrib.training.HParams``)."""

    _HAS_DYNAMIC_ATTRIBUTES = True

    def __init__(self, hparam_def: Any = None, model_structure: Any = None, **kwargs: Any):
        self._hparam_types: Dict[str, tuple] = {}
        self._model_structure = model_structure
        if hparam_def:
            raise NotImplementedError(
                "tfshare's HParams does not read HParamDef protocol buffers "
                f"(hparam_def={hparam_def!r}); pass the values as keyword arguments.")
        for name, value in kwargs.items():
            self.add_hparam(name, value)

    def add_hparam(self, name: str, value: Any) -> None:
        """Add ``name`` with ``value`` (its type becomes the parameter's type).
        ``ValueError`` for a reserved or taken name, or an empty list."""
        if getattr(self, name, None) is not None:
            raise ValueError("Hyperparameter name is reserved: %s" % name)
        if isinstance(value, (list, tuple)):
            if not value:
                raise ValueError("Multi-valued hyperparameters cannot be empty: %s" % name)
            self._hparam_types[name] = (type(value[0]), True)
        else:
            self._hparam_types[name] = (type(value), False)
        setattr(self, name, value)

    def set_hparam(self, name: str, value: Any) -> None:
        """Set an existing parameter (``KeyError`` if unknown), converting
        ``value`` to its type (``ValueError`` if TF1 would not)."""
        param_type, is_list = self._hparam_types[name]
        if isinstance(value, list):
            if not is_list:
                raise ValueError("Must not pass a list for single-valued parameter: %s" % name)
            setattr(self, name, [_cast(name, param_type, v) for v in value])
        else:
            if is_list:
                raise ValueError("Must pass a list for multi-valued parameter: %s." % name)
            setattr(self, name, _cast(name, param_type, value))

    def del_hparam(self, name: str) -> None:
        """Remove ``name`` (nothing happens if it does not exist)."""
        if hasattr(self, name):
            delattr(self, name)
            del self._hparam_types[name]

    def parse(self, values: str) -> "HParams":
        """Override values from ``"name=value,list=[1,2]"`` (see :func:`parse_values`)."""
        type_map = {name: t for name, (t, _) in self._hparam_types.items()}
        return self.override_from_dict(parse_values(values, type_map))

    def override_from_dict(self, values_dict: Dict[str, Any]) -> "HParams":
        """:meth:`set_hparam` for each item; returns ``self``."""
        for name, value in values_dict.items():
            self.set_hparam(name, value)
        return self

    set_from_map = override_from_dict

    def set_model_structure(self, model_structure: Any) -> None:
        self._model_structure = model_structure

    def get_model_structure(self) -> Any:
        return self._model_structure

    def to_json(self, indent: Optional[int] = None, separators: Any = None,
                sort_keys: bool = False) -> str:
        """The values as JSON (``json.dumps`` options)."""
        return json.dumps(self.values(), indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def parse_json(self, values_json: str) -> "HParams":
        """Override values from a JSON object; returns ``self``."""
        return self.override_from_dict(json.loads(values_json))

    def values(self) -> Dict[str, Any]:
        """``{name: value}`` in the order the parameters were added."""
        return {n: getattr(self, n) for n in self._hparam_types}

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, else ``default`` (which must fit the parameter's type)."""
        if key not in self._hparam_types:
            return default
        if default is not None:
            param_type, is_list = self._hparam_types[key]
            type_str = "list<%s>" % param_type if is_list else str(param_type)
            fail = ("Hparam '%s' of type '%s' is incompatible with default=%s"
                    % (key, type_str, default))
            if is_list != isinstance(default, list):
                raise ValueError(fail)
            try:
                for value in (default if is_list else [default]):
                    _cast(key, param_type, value)
            except ValueError as e:
                raise ValueError("%s. %s" % (fail, e)) from None
        return getattr(self, key)

    def __contains__(self, key: str) -> bool:
        return key in self._hparam_types

    def __str__(self) -> str:
        return ",".join("{}={}".format(k, v) for k, v in self.values().items())

    def __repr__(self) -> str:
        return "%s(%s)" % (type(self).__name__, str(sorted(self.values().items())))
