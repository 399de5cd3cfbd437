"""Gradient of a loss taking a dict of arrays vs the same loss taking the arrays as
separate parameters: what reading a tree costs (s2sdiff's tree entry, issue 15).

    python benchmarks/bench_pytrees.py [--repeats 9]

Both gradients are checked to agree first; then each is timed in alternating samples
(timeit, about 0.1 s of calls each) and the median time per call and the ratio
tree / separate are printed.
"""

import argparse
import statistics
import timeit

import numpy as np

from s2sdiff import grad


def loss_tree(params, X, y):
    h = np.tanh(X @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return np.mean((out - y) ** 2)


def loss_separate(W1, b1, W2, b2, X, y):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2 + b2
    return np.mean((out - y) ** 2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=32)
    options = parser.parse_args()
    rng = np.random.default_rng(0)
    n, d, h, k = options.batch, 16, options.hidden, 4
    params = {"W1": rng.normal(size=(d, h)), "b1": rng.normal(size=h),
              "W2": rng.normal(size=(h, k)), "b2": rng.normal(size=k)}
    X, y = rng.normal(size=(n, d)), rng.normal(size=(n, k))
    tree = grad(loss_tree, wrt="params")
    separate = grad(loss_separate, wrt=(0, 1, 2, 3))
    by_tree = tree(params, X, y)
    by_separate = separate(*params.values(), X, y)
    for key, expected in zip(params, by_separate):
        np.testing.assert_allclose(by_tree[key], expected, rtol=1e-12)
    calls = {"tree": lambda: tree(params, X, y),
             "separate": lambda: separate(params["W1"], params["b1"], params["W2"],
                                          params["b2"], X, y)}
    number = max(1, int(0.1 / min(timeit.timeit(c, number=20) / 20 for c in calls.values())))
    samples = {name: [] for name in calls}
    for _ in range(options.repeats):
        for name, call in calls.items():
            samples[name].append(timeit.timeit(call, number=number) / number)
    medians = {name: statistics.median(times) for name, times in samples.items()}
    for name, median in medians.items():
        print(f"{name:>9}: {median * 1e6:8.2f} us per gradient")
    print(f"ratio tree / separate: {medians['tree'] / medians['separate']:.3f} "
          f"(batch {n}, hidden {h}, median of {options.repeats})")


if __name__ == "__main__":
    main()
