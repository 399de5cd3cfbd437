"""The command line: ``python -m tools.fuzz N [--seed S] ...`` (see the package
docstring); the exit status is non-zero on any mismatch, error or fuzzer error."""

import argparse
import os
import sys
import tempfile

from s2sdiff import grad

from . import __doc__ as PACKAGE_DOC
from .checking import Checker
from .families import generate
from .programs import SIZES, write_module
from .runner import describe, run


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tools.fuzz",
                                     description=PACKAGE_DOC.split("\n\n")[0])
    parser.add_argument("count", type=int, nargs="?", default=100, help="number of programs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0, help="index of the first program")
    parser.add_argument("--size", choices=sorted(SIZES), default="full",
                        help="program size: full (default) or small (the CI test's)")
    parser.add_argument("--show", type=int, metavar="K",
                        help="print program K and its generated gradient, check it, and exit")
    parser.add_argument("--sympy-every", type=int, default=1, metavar="M",
                        help="sympy.diff fast path on every M-th smooth program (0: never)")
    parser.add_argument("--verify-every", type=int, default=50, metavar="M",
                        help="full s2sdiff.verify on every M-th smooth program (0: never)")
    parser.add_argument("--forward-every", type=int, default=1, metavar="M",
                        help="derivative and jvp against grad on every M-th program (0: never)")
    parser.add_argument("--extra-every", type=int, default=5, metavar="M",
                        help="value_and_grad and a wrt= variant on every M-th program")
    parser.add_argument("--coverage", action="store_true",
                        help="count the rule-table rows the programs use (normalises each)")
    parser.add_argument("--keep", metavar="DIR", help="write the modules into DIR and keep them")
    args = parser.parse_args(argv)

    if args.show is not None:
        directory = args.keep or tempfile.mkdtemp(prefix="s2sdiff-fuzz-")
        program = generate(args.seed, args.show, args.size)
        module = write_module([program], directory, args.seed, f"show{args.show}")
        print(program.source)
        outcome = Checker(module, verify_every=1, forward_every=1, extra_every=1).check(program)
        try:
            print(grad(getattr(module, program.name)).source)
        except Exception as error:          # noqa: BLE001 - shown; describe() judges it
            print(f"{type(error).__name__}: {error}")
        print(describe(outcome))
        return 0 if outcome.status in ("ok", "skipped", "singular", "generation-error",
                                       "refused") else 1

    if args.keep:
        os.makedirs(args.keep, exist_ok=True)

    def show(outcome):
        if outcome.status in ("mismatch", "error", "oracle-crash", "fuzzer-error"):
            print(describe(outcome), file=sys.stderr)

    summary = run(args.count, args.seed, start=args.start, size=args.size,
                  sympy_every=args.sympy_every, verify_every=args.verify_every,
                  forward_every=args.forward_every, extra_every=args.extra_every,
                  coverage=args.coverage, keep=args.keep, on_outcome=show)
    print(summary.report())
    return 1 if summary.failed else 0


if __name__ == "__main__":
    sys.exit(main())
