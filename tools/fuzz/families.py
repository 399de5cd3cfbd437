"""Which family program ``k`` belongs to, and program ``k`` itself.

A program depends only on ``(seed, size, k)``: each family draws from its own random
stream seeded by those, so program ``k`` of a family is the same whatever the other
families do (and as before the pattern family existed).
"""

import random

from .arrays import ArrayGenerator
from .control import generate_control
from .patterns import generate_pattern
from .straight import Generator


PATTERN_SHARE = 0.2         # drawn apart from FAMILIES: program k of another family is the
                            # same as before the pattern family existed


FAMILIES = (("straight", 0.45), ("control", 0.40), ("array", 0.15))


def family_of(seed, index, size="full"):
    """The family of program ``index``: patterns, straight, control or array."""
    if random.Random(f"s2sdiff-fuzz-pattern:{seed}:{size}:{index}").random() < PATTERN_SHARE:
        return "patterns"
    r = random.Random(f"s2sdiff-fuzz-family:{seed}:{size}:{index}").random()
    for family, share in FAMILIES:
        if r < share:
            return family
        r -= share
    return FAMILIES[-1][0]


def generate(seed, index, size="full"):
    """Program ``index`` of the run with ``seed``; the same arguments always give the same."""
    family = family_of(seed, index, size)
    if family == "patterns":
        return generate_pattern(random.Random(f"s2sdiff-fuzz-patterns:{seed}:{size}:{index}"),
                                index, size)
    if family == "control":
        return generate_control(random.Random(f"s2sdiff-fuzz-control:{seed}:{size}:{index}"),
                                index, size)
    if family == "array":
        rng = random.Random(f"s2sdiff-fuzz-array:{seed}:{size}:{index}")
        return ArrayGenerator(rng, index, f"fz{index}", size).build()
    rng = random.Random(f"s2sdiff-fuzz:{seed}:{size}:{index}")
    smooth = rng.random() < 0.5
    return Generator(rng, index, f"fz{index}", smooth, size).build()
