"""The web worklist for core teams (issue 13): ``create_app(db_url)`` in ``app.py``.

Kept import-light: the nightly pipeline reads ``web.settings`` without loading FastAPI.
"""
