"""A helper in another module reading an object of its own module, for
tests/test_global_objects.py: inlined into NumPy code, its object is read through the
module (``global_object_helpers.OBJECT``)."""

import numpy as np


class Scale:
    def __init__(self, a):
        self.a = a

    def __call__(self, x):
        return self.a * x

    def loss(self, x):
        return np.sum(self(x) ** 2)


OBJECT = Scale(np.array([1.0, 2.0, 3.0]))


def helper(x):
    return OBJECT.loss(x) + np.sum(OBJECT(x))
