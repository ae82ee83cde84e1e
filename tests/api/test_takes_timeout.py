"""takes_timeout is asked once per engine method (cached), and the cache keeps methods apart:
the same name on two classes, a builtin, a plain function, an unhashable callable."""

from __future__ import annotations

import functools

from peaje import _native
from peaje.api.engines import takes_timeout


class WithTimeout:
    def search(self, targets, timeout=None):
        return targets


class WithoutTimeout:
    def search(self, targets):
        return targets


class Unhashable:
    __hash__ = None  # type: ignore[assignment]

    def __call__(self, targets, timeout=None):
        return targets


def test_the_same_method_name_on_two_classes_is_told_apart_every_time():
    for _ in range(3):  # the second and third answers come from the cache
        assert takes_timeout(WithTimeout().search)
        assert not takes_timeout(WithoutTimeout().search)


def test_builtins_functions_partials_and_unhashables():
    array = _native.SortedArray.from_spec("range:10")
    engine = _native.Engine(lambda spec: array)
    for _ in range(2):
        assert takes_timeout(engine.search) == _native.Engine.takes_timeout
        assert not takes_timeout(len)
        assert takes_timeout(lambda targets, timeout=None: targets)
        assert not takes_timeout(lambda targets: targets)
        assert takes_timeout(functools.partial(WithTimeout().search, [1]))
        assert takes_timeout(Unhashable())


def test_callables_made_per_call_do_not_grow_the_cache_without_bound():
    from peaje.api import engines

    for i in range(1000):
        assert takes_timeout(functools.partial(WithTimeout().search, [i]))
    assert len(engines._TAKES_TIMEOUT) <= 256
