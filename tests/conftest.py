import pathlib
import sys

# Test helper modules (golden_functions, functions, ...) are imported by name.
sys.path.insert(0, str(pathlib.Path(__file__).parent))

import pytest  # noqa: E402

from s2sdiff.errors import INTERNAL_ERRORS  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "internal_error: the test provokes s2sdiff's internal-error firewall on purpose")


@pytest.fixture(autouse=True)
def no_internal_error(request):
    """Fail any test during which s2sdiff met an exception of its own while generating
    code (the firewall turned it into an InternalError), unless the test provokes one on
    purpose (``@pytest.mark.internal_error``) or pins a known bug (``xfail``)."""
    before = len(INTERNAL_ERRORS)
    yield
    reached = INTERNAL_ERRORS[before:]
    if reached and request.node.get_closest_marker("internal_error") is None \
            and request.node.get_closest_marker("xfail") is None:
        pytest.fail("s2sdiff reached its internal-error firewall:\n" +
                    "\n".join(str(e) for e in reached), pytrace=False)
