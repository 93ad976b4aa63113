"""Synthetic register extracts (contract register-extract-v1) for tests, demos and benchmarks.

``generate(n_patients, seed, out_dir, fmt="csv"|"parquet", bad_row_share=0.002, as_of=None)``
writes ``patients, events, medications, encounters, teams, practices`` and returns a
summary of row counts and bad rows per kind. See docs/synth.md.
"""

from longerlives.synth.generator import DEFAULT_AS_OF, generate

__all__ = ["generate", "DEFAULT_AS_OF"]
