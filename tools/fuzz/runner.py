"""Running the fuzzer: generate programs batch by batch, write each batch into a
module, check every program, and gather the outcomes in a ``Summary``.

An exception of the generator or the checker is a *fuzzer error*: recorded and the run
goes on; ``Summary.failed`` is true on any mismatch, error or fuzzer error.
"""

import collections
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field

from s2sdiff import rules
from s2sdiff.normalize import normalize
from s2sdiff.parse import parse

from .checking import Checker, Outcome
from .families import family_of, generate
from .oracles import SYMPY_SECONDS
from .programs import Program, write_module


BATCH = 250                 # programs per temporary module


@dataclass
class Summary:
    programs: int = 0
    smooth: int = 0
    piecewise: int = 0
    mismatches: list = field(default_factory=list)
    errors: list = field(default_factory=list)              # not S2SDiffError at generation
    generation_errors: list = field(default_factory=list)   # S2SDiffError at generation
    skipped_near_kinks: int = 0
    nonfloat: list = field(default_factory=list)           # right value, type not float
    oracle_errors: list = field(default_factory=list)
    ill_conditioned: list = field(default_factory=list)
    singular: list = field(default_factory=list)            # an exception, no derivative
    refused: list = field(default_factory=list)             # expected generation errors
    families: dict = field(default_factory=dict)            # family -> Counter of statuses
    patterns: dict = field(default_factory=dict)            # pattern -> Counter of statuses
    fuzzer_errors: list = field(default_factory=list)       # the fuzzer's own failures
    kinks: collections.Counter = field(default_factory=collections.Counter)
    oracles: collections.Counter = field(default_factory=collections.Counter)
    features: collections.Counter = field(default_factory=collections.Counter)
    statements: int = 0
    seconds: float = 0.0
    rules: collections.Counter = None

    @property
    def failed(self):
        return bool(self.mismatches or self.errors or self.fuzzer_errors)

    def add(self, outcome):
        program = outcome.program
        if program.pattern:
            counts = self.patterns.setdefault(program.pattern, collections.Counter())
            counts[outcome.status] += 1
            if outcome.nonfloat:
                counts["non-float"] += 1
        if outcome.status in ("oracle-crash", "fuzzer-error"):
            self.programs += 1
            self.families.setdefault(program.family, collections.Counter())[outcome.status] += 1
            self.fuzzer_errors.append(outcome)
            return
        self.programs += 1
        self.statements += len(program.body)
        self.families.setdefault(program.family, collections.Counter())[outcome.status] += 1
        self.piecewise += program.piecewise
        self.smooth += not program.piecewise
        self.features.update(program.features)
        self.oracles.update(outcome.oracles)
        if outcome.kink:
            self.skipped_near_kinks += 1
            self.kinks[outcome.kink.split()[0]] += 1
        if outcome.nonfloat:
            self.nonfloat.append(outcome)
        if outcome.oracle_errors:
            self.oracle_errors.append(outcome)
        if outcome.ill_conditioned:
            self.ill_conditioned.append(outcome)
        if outcome.status == "mismatch":
            self.mismatches.append(outcome)
        elif outcome.status == "error":
            self.errors.append(outcome)
        elif outcome.status == "generation-error":
            self.generation_errors.append(outcome)
        elif outcome.status == "singular":
            self.singular.append(outcome)
        elif outcome.status == "refused":
            self.refused.append(outcome)

    def unexplained(self):
        """Mismatches and errors that no KNOWN_BUGS entry explains."""
        return [o for o in self.mismatches + self.errors if o.known is None]

    def report(self):
        def counts(outcomes, key):
            found = collections.Counter(key(o) for o in outcomes)
            return ", ".join(f"{k} {v}" for k, v in sorted(found.items()))

        mismatches = counts(self.mismatches, lambda o: f"{o.kind}" + (f" [known: {o.known}]"
                                                                     if o.known else ""))
        by_type = counts(self.errors, lambda o: f"{o.detail.split(':')[0]} in {o.phase}" + (
            f" [known: {o.known}]" if o.known else ""))
        generation = counts(self.generation_errors, lambda o: o.detail.split(":")[0])
        singular = counts(self.singular, lambda o: o.detail.split(":")[0])
        families = "; ".join(
            f"{family} {sum(c.values())} (" + ", ".join(f"{k} {v}" for k, v in sorted(c.items())) + ")"
            for family, c in sorted(self.families.items()))
        def pattern_line(name, c):
            order = ["ok", "skipped", "refused", "mismatch", "error", "generation-error",
                     "singular", "non-float", "oracle-crash", "fuzzer-error"]
            shown = ", ".join(f"{k} {c[k]}" for k in order if c[k])
            return f"  {name + ':':<28}{sum(c[k] for k in order if k != 'non-float'):>5}  {shown}"

        lines = [
            f"programs:            {self.programs} ({self.smooth} smooth, {self.piecewise} "
            f"piecewise; {self.statements} statements)",
            f"families:            {families}",
            f"mismatches:          {len(self.mismatches)} {mismatches}".rstrip(),
            f"errors:              {len(self.errors)} {by_type}".rstrip(),
            f"  unexplained:       {len(self.unexplained())} (mismatches and errors no "
            f"KNOWN_BUGS entry explains)",
            f"generation errors:   {len(self.generation_errors)} {generation}".rstrip(),
            f"singular points:     {len(self.singular)} {singular} (an exception where the "
            f"derivative does not exist: right)".replace("  (", " ("),
            f"refused (expected):  {len(self.refused)} (a clear S2SDiffError where accepted: "
            f"array code in control flow, aliases, helpers in NumPy code)",
            f"fuzzer errors:       {len(self.fuzzer_errors)} (an oracle or the generator raised)",
            f"non-float gradients: {len(self.nonfloat)} (value right, type int)",
            f"oracle failures:     {len(self.oracle_errors)} (the oracle could not judge; "
            f"finite differences did)",
            f"ill-conditioned:     {len(self.ill_conditioned)} (float result off: the "
            f"generated code run in mpmath agrees, or inputs moved by 1e-15 move it as far)",
            f"skipped near kinks:  {self.skipped_near_kinks} (finite differences only) "
            f"{dict(sorted(self.kinks.items())) if self.kinks else ''}".rstrip(),
            "judged by:           " + ", ".join(f"{k} {v}" for k, v in sorted(self.oracles.items())),
            "features:            " + ", ".join(f"{k} {v}" for k, v in sorted(self.features.items())),
        ]
        if self.patterns:
            lines.append("patterns:            (programs: outcomes; non-float: right value, "
                         "int or bool type)")
            lines += [pattern_line(name, c) for name, c in sorted(self.patterns.items())]
        if self.rules is not None:
            rows = [r for r in rules.RULES.values() if isinstance(r, rules.Partials)]
            missing = [r.name for r in rows if not self.rules[r.key]]
            lines.append(f"rule-table rows used: {len(rows) - len(missing)}/{len(rows)}"
                         + (f" (unused: {', '.join(missing)})" if missing else ""))
        lines.append(f"time:                {self.seconds:.1f} s "
                     f"({1000 * self.seconds / max(1, self.programs):.1f} ms per program)")
        return "\n".join(lines)


def rule_keys(func):
    """The rule-table keys a function's normalised steps use."""
    return {step.rule.key for step in normalize(parse(func)).steps if step.rule is not None}


def run(count, seed=0, *, start=0, batch=BATCH, size="full", sympy_every=1, verify_every=50,
        forward_every=1, extra_every=5, sympy_seconds=SYMPY_SECONDS, coverage=False, keep=None,
        on_outcome=None, families=None):
    """Generate and check programs ``start`` ... ``start + count - 1`` (only those of the
    given ``families`` when not None); return the ``Summary``."""
    summary = Summary(rules=collections.Counter() if coverage else None)
    began = time.perf_counter()
    directory = keep or tempfile.mkdtemp(prefix="s2sdiff-fuzz-")
    try:
        for first in range(start, start + count, batch):
            indices = range(first, min(first + batch, start + count))
            programs = []
            for k in indices:
                if families is not None and family_of(seed, k, size) not in families:
                    continue
                try:
                    programs.append(generate(seed, k, size))
                except Exception as error:      # noqa: BLE001 - reported, the run goes on
                    failed = Program(k, f"fz{k}", [], [], (), (), None, True,
                                     family=family_of(seed, k, size))
                    summary.add(Outcome(failed, status="fuzzer-error", phase="generator",
                                        detail=f"{type(error).__name__}: {error}"))
            if not programs:
                continue
            try:
                module = write_module(programs, directory, seed, first // batch)
                checker = Checker(module, sympy_every=sympy_every, verify_every=verify_every,
                                  forward_every=forward_every, extra_every=extra_every,
                                  sympy_seconds=sympy_seconds)
            except Exception as error:          # noqa: BLE001 - reported, the run goes on
                for program in programs:
                    summary.add(Outcome(program, status="fuzzer-error", phase="module",
                                        detail=f"{type(error).__name__}: {error}"))
                continue
            for program in programs:
                try:
                    outcome = checker.check(program)
                except Exception as error:      # noqa: BLE001 - reported, the run goes on
                    outcome = Outcome(program, status="fuzzer-error", phase="checker",
                                      detail=f"{type(error).__name__}: {error}")
                summary.add(outcome)
                if coverage and program.family == "straight":
                    summary.rules.update(rule_keys(getattr(module, program.name)))
                if on_outcome is not None:
                    on_outcome(outcome)
            sys.modules.pop(module.__name__, None)
    finally:
        if keep is None:
            shutil.rmtree(directory, ignore_errors=True)
    summary.seconds = time.perf_counter() - began
    return summary


def describe(outcome):
    program = outcome.program
    status = outcome.status + (f" ({outcome.kind})" if outcome.kind else "") + (
        f" in {outcome.phase}" if outcome.phase else "") + (
        f" [known bug: {outcome.known}]" if outcome.known else "")
    lines = [f"--- program {program.index} ({program.family}, "
             + (f"{program.pattern}, " if program.pattern else "") +
             f"{'piecewise' if program.piecewise else 'smooth'}): "
             f"{status}", program.source.rstrip(),
             f"point {program.point!r}, tangent {program.tangent!r}", outcome.detail]
    if outcome.where:
        lines.append(f"raised by the generated line: {outcome.where}")
    return "\n".join(lines)
