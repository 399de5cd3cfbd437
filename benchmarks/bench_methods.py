"""Gradient of a bound method that calls another method of ``self`` vs the same code
written as module-level functions taking the attribute as a parameter: what the entry
checks (``type(self).m is not m_differentiated or 'm' in self.__dict__``) and the call
through ``type(self)`` cost (issue 15, item 2).

    python benchmarks/bench_methods.py [--repeats 9]

Scalar code calls the method through its generated pullback; NumPy code inlines it.
Both gradients are checked to agree first; then each is timed in alternating samples
(timeit, about 0.1 s of calls each) and the median time per call and the ratio
method / function are printed.
"""

import argparse
import math
import statistics
import timeit

import numpy as np

from s2sdiff import grad


class Model:
    def __init__(self, scale):
        self.scale = scale

    def predict(self, w, x):
        return self.scale * math.tanh(w * x)

    def loss(self, w, x, y):
        return (self.predict(w, x) - y) ** 2

    def forward(self, W, X):
        return self.scale * np.tanh(X @ W)

    def array_loss(self, W, X, y):
        return np.mean((self.forward(W, X) - y) ** 2)


def predict(scale, w, x):
    return scale * math.tanh(w * x)


def loss(scale, w, x, y):
    return (predict(scale, w, x) - y) ** 2


def forward(scale, W, X):
    return scale * np.tanh(X @ W)


def array_loss(scale, W, X, y):
    return np.mean((forward(scale, W, X) - y) ** 2)


def timed(calls, repeats):
    number = max(1, int(0.1 / min(timeit.timeit(c, number=20) / 20 for c in calls.values())))
    samples = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            samples[name].append(timeit.timeit(call, number=number) / number)
    return {name: statistics.median(times) for name, times in samples.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=9)
    options = parser.parse_args()
    model = Model(2.0)
    rng = np.random.default_rng(0)
    W, X, y = rng.normal(size=8), rng.normal(size=(64, 8)), rng.normal(size=64)
    rows = {
        "scalar": ((lambda g: lambda: g(0.7, 0.3, 0.2))(grad(model.loss, wrt="w")),
                   (lambda g: lambda: g(2.0, 0.7, 0.3, 0.2))(grad(loss, wrt="w"))),
        "numpy": ((lambda g: lambda: g(W, X, y))(grad(model.array_loss, wrt="W")),
                  (lambda g: lambda: g(2.0, W, X, y))(grad(array_loss, wrt="W"))),
    }
    for name, (method, function) in rows.items():
        np.testing.assert_allclose(method(), function(), rtol=1e-12)
        medians = timed({"method": method, "function": function}, options.repeats)
        print(f"{name:>6}: method {medians['method'] * 1e6:7.2f} us, function "
              f"{medians['function'] * 1e6:7.2f} us, ratio method / function "
              f"{medians['method'] / medians['function']:.3f} (median of {options.repeats})")


if __name__ == "__main__":
    main()
