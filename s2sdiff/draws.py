"""Calls whose value differs from one call to the next: random draws, clocks, reads that
advance a state (``next``).  ``purity.py`` refuses them where generated code would evaluate
them again; this module only tells them apart, and imports nothing of s2sdiff.

>>> import random, math, numpy as np
>>> [draws_anew(f) for f in (random.gauss, np.random.normal, np.random.default_rng(0).normal,
...                           next, math.sin, np.sum, len)]
[True, True, True, True, False, False, False]
"""

import collections
import os
import queue
import random
import time

import numpy as np

_MODULES = ("random", "secrets", "time", "uuid", "numpy.random")
_STATEFUL = (random.Random, np.random.Generator, np.random.RandomState, np.random.BitGenerator)
_FUNCTIONS = (os.urandom, time.time, time.perf_counter, time.monotonic, next)
_QUEUES = (collections.deque, queue.Queue, queue.SimpleQueue)
_TAKES = ("pop", "popleft", "get", "get_nowait")


def draws_anew(callee):
    """Whether ``callee`` is a random draw, a clock or a read that advances a state: a
    function of ``random``, ``numpy.random``, ``secrets``, ``time`` or ``uuid``, a method
    of a random generator object, ``next`` (of an iterator or a generator) and the
    methods that take from a deque or a queue (``popleft``, ``get``)."""
    owner = getattr(callee, "__self__", None)
    if isinstance(owner, _STATEFUL) or callee in _FUNCTIONS:
        return True
    if isinstance(owner, _QUEUES) and getattr(callee, "__name__", None) in _TAKES:
        return True
    module = getattr(callee, "__module__", None) or ""
    return any(module == m or module.startswith(m + ".") for m in _MODULES)
