"""Programs of tests/user_programs.py written as classes whose methods call each other
(``grad(model.loss)`` where ``loss`` calls ``self.predict``), as scikit-learn-style and
simulation code is written; checked like the others against central differences."""

import math

import numpy as np

RNG = np.random.default_rng(11)


class LogisticRegression:
    """autograd's logistic_regression example, as a class holding its data."""

    def __init__(self, X, y, l2):
        self.X, self.y, self.l2 = X, y, l2

    def logits(self, w, b):
        return self.X @ w + b

    def probabilities(self, w, b):
        return 1 / (1 + np.exp(-self.logits(w, b)))

    def penalty(self, w):
        return self.l2 * np.sum(w ** 2)

    def objective(self, w, b):
        p = self.probabilities(w, b)
        nll = -np.mean(self.y * np.log(p) + (1 - self.y) * np.log(1 - p))
        return nll + self.penalty(w)


class TwoLayerNet:
    """A small MLP whose layers are methods; the loss calls forward, which calls layer."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def layer(self, W, b, h):
        return np.tanh(h @ W + b)

    def forward(self, W1, b1, W2):
        hidden = self.layer(W1, b1, self.X)
        return hidden @ W2

    def loss(self, W1, b1, W2):
        return 0.5 * np.mean((self.forward(W1, b1, W2) - self.y) ** 2)


class Pendulum:
    """Symplectic Euler steps of a damped pendulum; the step and the force are methods."""

    def __init__(self, length, dt, steps):
        self.g, self.length, self.dt, self.steps = 9.81, length, dt, steps

    def acceleration(self, theta, omega, damping):
        return -self.g / self.length * math.sin(theta) - damping * omega

    def energy(self, theta, omega):
        return 0.5 * (self.length * omega) ** 2 + self.g * self.length * (1 - math.cos(theta))

    def final_energy(self, theta0, damping):
        theta, omega = theta0, 0.0
        for _ in range(self.steps):
            omega = omega + self.dt * self.acceleration(theta, omega, damping)
            theta = theta + self.dt * omega
        return self.energy(theta, omega)


class Shape:
    """A polynomial fit whose basis subclasses override: each instance its own gradient."""

    def __init__(self, xs, ys):
        self.xs, self.ys = xs, ys

    def basis(self, x):
        return x

    def fit_error(self, a, b):
        return sum((a * self.basis(x) + b - y) ** 2 for x, y in zip(self.xs, self.ys))


class SquareShape(Shape):
    def basis(self, x):
        return x * x


X6 = RNG.normal(size=(6, 3))
Y6 = (X6 @ np.array([1.0, -0.5, 0.3]) > 0).astype(float)
XS, YS = [0.1, 0.4, 0.9, 1.3], [0.3, 0.5, 1.2, 2.1]

METHOD_PROGRAMS = [     # (function, args, wrt) as user_programs.Program takes them
    (LogisticRegression(X6, Y6, 0.05).objective, (0.3 * RNG.normal(size=3), 0.1), (0, 1)),
    (TwoLayerNet(X6, RNG.normal(size=6)).loss,
     (0.5 * RNG.normal(size=(3, 4)), 0.1 * RNG.normal(size=4), RNG.normal(size=4)), (0, 1, 2)),
    (Pendulum(1.2, 0.02, 60).final_energy, (0.8, 0.3), (0, 1)),
    (Shape(XS, YS).fit_error, (1.4, 0.2), (0, 1)),
    (SquareShape(XS, YS).fit_error, (1.4, 0.2), (0, 1)),
]
