"""Jobs of the licensing domain (see tasks.py)."""
