"""Sub-commands of the ``longerlives`` CLI, one module each (``add_parser`` + handler)."""
