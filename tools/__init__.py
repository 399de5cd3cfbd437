"""Developer tools of s2sdiff (not part of the distribution): ``tools.fuzz``, the
differential fuzzer (``python -m tools.fuzz``)."""
