"""The seed functions once more, written against an array module for the peer AD tools.

`make(xp)` takes autograd.numpy, jax.numpy or torch and returns the three functions of
seed_functions.FUNCTIONS, by the same names, computing with `xp.exp`, `xp.log`, `xp.sin`.
"""


def make(xp):
    def seed002_staged(x, y):
        sigy = 1.0 / (1 + xp.exp(-y))
        num = x + sigy
        sigx = 1.0 / (1 + xp.exp(-x))
        xpy = x + y
        xpysqr = xpy**2
        den = sigx + xpysqr
        invden = 1.0 / den
        return num * invden

    def seed003_log_sin(x1, x2):
        return xp.log(x1) + x1 * x2 - xp.sin(x2)

    def seed002_neuron(w0, w1, w2, x0, x1):
        dot = w0 * x0 + w1 * x1 + w2
        return 1.0 / (1 + xp.exp(-dot))

    return {f.__name__: f for f in (seed002_staged, seed003_log_sin, seed002_neuron)}
