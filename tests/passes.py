"""A one-line harness for pass-level tests: source in, the pass's text form out.

``normalized(source)`` is ``ir.format_program`` of the SSA program; ``activity(source,
wrt)`` the ``activity.format_activity`` of the analysis for the parameters ``wrt``;
``kinds(source, *args)`` the ``kinds.format_kinds`` of the kinds inferred for the
arguments ``args``.  ``source`` is one function definition (a line, or a short block;
it is dedented), run in a namespace with ``math``, ``np`` and ``from math import exp,
sin`` (so ``parse`` reads it from ``linecache``, as from a file); no other pass runs.
"""

import itertools
import linecache
import math
import textwrap

import numpy as np

from s2sdiff.activity import analyze, format_activity
from s2sdiff.ir import format_program
from s2sdiff.kinds import format_kinds, infer
from s2sdiff.normalize import normalize
from s2sdiff.parse import parse

_files = itertools.count()


def function(source, **namespace):
    """The function ``source`` defines (its last definition), its source readable by
    ``inspect``; ``namespace`` adds globals (free data)."""
    source = textwrap.dedent(source).strip("\n") + "\n"
    filename = f"<pass test {next(_files)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    scope = {"math": math, "np": np, "exp": math.exp, "sin": math.sin, **namespace}
    exec(compile(source, filename, "exec"), scope)
    name = [line for line in source.splitlines() if line.startswith("def ")][-1]
    return scope[name[len("def "):name.index("(")]]


def program(source, **namespace):
    """The SSA ``Program`` of ``source`` (parse, then normalize)."""
    return normalize(parse(function(source, **namespace)))


def normalized(source, **namespace):
    return format_program(program(source, **namespace))


def activity(source, wrt, **namespace):
    return format_activity(analyze(program(source, **namespace), wrt))


def kinds(source, *args, **namespace):
    return format_kinds(infer(program(source, **namespace), args))
