"""longerlives: the nightly engine for the NHS Longer Lives programme."""

__version__ = "0.1.0"
