"""Jobs of the training domain (see tasks.py)."""
