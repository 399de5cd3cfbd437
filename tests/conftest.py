import pathlib
import sys

# Test helper modules (golden_functions, functions, ...) are imported by name.
sys.path.insert(0, str(pathlib.Path(__file__).parent))
