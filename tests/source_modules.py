"""A module written from source text into a temporary directory and imported, so that
s2sdiff can read its functions' source and a test can rebind its names."""

import importlib.util
import textwrap


def load_source_module(directory, name, text):
    path = directory / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
