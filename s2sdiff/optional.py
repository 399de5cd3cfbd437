"""Optional families of rows, registered once the process has imported their library.

SciPy's rows (``scipy_rules.py``) are registered at the first lookup of the rule table
after the user's code imported SciPy: importing ``scipy.stats`` for every user would
double the time ``import s2sdiff`` takes, and without SciPy nothing of it is imported.
The package imports this module; ``rules.load_optional_rows`` runs its loaders.
"""

import importlib
import sys

from . import rules

_loaded = set()


def _scipy():
    if "scipy" in _loaded or sys.modules.get("scipy") is None:
        return
    _loaded.add("scipy")
    try:        # imported here, not at the top: SciPy is optional and slow to import
        importlib.import_module(f"{__package__}.scipy_rules")
    except ImportError:        # a SciPy without scipy.special or scipy.stats: no rows
        pass


rules.OPTIONAL_LOADERS.append(_scipy)
rules.load_optional_rows()
