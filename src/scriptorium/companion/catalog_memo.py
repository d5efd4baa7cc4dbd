"""Values derived from one series catalog, computed once per catalog instead of once per question.

A `Catalog` is replaced whenever a series' content version moves (`service_catalog.CatalogCache`), so anything
computed from it alone (a regex over every entity name, the tokens of every card) stays valid exactly as long as
the catalog object does. Keyed by the object's identity and checked with `is`, so a new catalog never reads a stale
value; the few most recent catalogs are kept (one per series being read).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from scriptorium.companion.service_catalog import Catalog

T = TypeVar("T")
KEEP = 16

_MEMO: OrderedDict[tuple[int, str], tuple[Catalog, Any]] = OrderedDict()


def derived(catalog: Catalog, name: str, build: Callable[[Catalog], T]) -> T:
    """`build(catalog)`, computed once per catalog object and `name`."""
    key = (id(catalog), name)
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is catalog:
        _MEMO.move_to_end(key)
        value: T = hit[1]
        return value
    value = build(catalog)
    _MEMO[key] = (catalog, value)
    while len(_MEMO) > KEEP:
        _MEMO.popitem(last=False)
    return value
