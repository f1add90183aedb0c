"""Compiling botocore shapes into closures, once per distinct shape.

The decoder, validator and XML writer each turn a shape tree into nested closures. They
share this memoising walk: a shape reached twice compiles once, and a recursive shape
reaches itself through a forwarding cell filled when its closure is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

__all__ = ["ShapeCompiler", "shape_key"]

F = TypeVar("F", bound=Callable[..., Any])


def shape_key(shape: Any) -> tuple[str, str]:
    """Identity of a resolved shape: its name plus any member-level trait overrides.

    botocore builds a new object per reference; member references may add traits
    (``locationName``, ``flattened``, constraints), so the name alone is not enough.
    """
    traits = repr(sorted(shape.serialization.items())) + repr(sorted(shape.metadata.items()))
    return shape.name, traits


class ShapeCompiler(Generic[F]):
    """Dispatches on the shape type to ``_structure``, ``_list``, ``_map`` or ``_scalar``."""

    def __init__(self, memo: dict[tuple[str, str], Any] | None = None) -> None:
        # A memo shared by every operation of one service compiles each shape once.
        self._memo: dict[tuple[str, str], F] = {} if memo is None else memo

    def build(self, shape: Any) -> F:
        key = shape_key(shape)
        found = self._memo.get(key)
        if found is not None:
            return found
        cell: list[F] = []

        def forward(*args: Any) -> Any:
            return cell[0](*args)

        self._memo[key] = cast(F, forward)
        kind = shape.type_name
        try:
            if kind == "structure":
                built = self._structure(shape)
            elif kind == "list":
                built = self._list(shape)
            elif kind == "map":
                built = self._map(shape)
            else:
                built = self._scalar(shape)
        except Exception:
            del self._memo[key]  # the memo may be shared: leave no empty forward behind
            raise
        cell.append(built)
        self._memo[key] = built
        return built

    def _structure(self, shape: Any) -> F:
        raise NotImplementedError

    def _list(self, shape: Any) -> F:
        raise NotImplementedError

    def _map(self, shape: Any) -> F:
        raise NotImplementedError

    def _scalar(self, shape: Any) -> F:
        raise NotImplementedError
