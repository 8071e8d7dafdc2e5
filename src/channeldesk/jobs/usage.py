"""Jobs of the usage domain (see tasks.py)."""
