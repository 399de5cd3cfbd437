"""List the NumPy functions and ndarray methods of issue 16 item 1 (and those autograd's
numpy_vjps.py differentiates) that s2sdiff's rule table (``rules.lookup``) lacks.

    PYTHONPATH=. python tools/numpy_gaps.py [path/to/autograd/numpy/numpy_vjps.py]

Exit status 1 when a name is missing.  Functions that autograd treats as constants
(its ``nograd_functions``) count as covered by a ``Nondifferentiable`` row or by a
generation-time refusal (``rules.REFUSED``).
"""

import re
import sys

import numpy as np

from s2sdiff import rules
from s2sdiff.rules import Attribute, Function, Method
from s2sdiff.split_rules import no_rule_hint

ITEM_1 = """
add subtract multiply divide true_divide remainder mod fabs power float_power negative
abs absolute reciprocal exp exp2 expm1 log log2 log10 log1p sin cos tan arcsin arccos
arctan arctan2 hypot sinh cosh tanh arcsinh arccosh arctanh rad2deg degrees deg2rad
radians square sqrt cbrt maximum minimum fmax fmin logaddexp logaddexp2 sinc where clip
nan_to_num var std cumsum cumprod diff gradient repeat tile diag diagonal tril triu flip
fliplr flipud rot90 roll moveaxis swapaxes rollaxis atleast_1d atleast_2d atleast_3d
broadcast_to pad expand_dims squeeze reshape ravel transpose concatenate stack hstack
vstack dstack column_stack append split array_split hsplit vsplit dsplit einsum tensordot
kron outer inner dot matmul sort partition take take_along_axis select choose sum mean
prod max min amax amin trace full
""".split()
METHODS = "sum mean std var max min prod cumsum cumprod reshape flatten ravel squeeze clip dot astype item transpose swapaxes repeat copy".split()
ATTRIBUTES = ["T"]
# autograd's complex-valued functions: s2sdiff refuses them (item 6), so they are
# "covered" when a refusal row says so.
COMPLEX = {"real", "imag", "conj", "conjugate", "angle", "real_if_close"}


def autograd_names(path):
    text = open(path).read()
    names = set(re.findall(r"defvjp(?:_argnum)?\(\s*anp\.([a-zA-Z_0-9]+)", text))
    return {n for n in names if not n.startswith("_") and n not in ("concatenate_args",
                                                                   "array_from_args")}


def missing(names):
    out = []
    for name in sorted(names):
        function = getattr(np, name, None)
        if function is None:
            continue
        if rules.lookup(Function(function)) is None:
            out.append(f"np.{name}")
    return out


def gaps(autograd_path=None):
    """``(missing, refused)``: the names without a row, and the complex functions among
    them, which are refused with a clear error (split_rules.no_rule_hint)."""
    names = set(ITEM_1)
    if autograd_path is not None:
        names |= autograd_names(autograd_path)
    found = missing(names)
    found += [f".{m}()" for m in METHODS if rules.lookup(Method(m)) is None]
    found += [f".{a}" for a in ATTRIBUTES if rules.lookup(Attribute(a)) is None]
    refused = [g for g in found if g[3:] in COMPLEX
               and no_rule_hint(getattr(np, g[3:])) is not None]
    return [g for g in found if g not in refused], refused


def main(argv):
    gaps_, refused = gaps(argv[1] if len(argv) > 1 else None)
    for gap in gaps_:
        print(gap)
    print(f"{len(gaps_)} missing; refused with a clear error (complex): {', '.join(refused)}",
          file=sys.stderr)
    return 1 if gaps_ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
