"""Benchmarks: one module a section, imported lazily by ``studio bench`` (none of it runs in the product)."""
