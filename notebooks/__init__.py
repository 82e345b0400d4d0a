"""The notebooks' sources (make_*.py, one per notebook) and their build: ``python -m notebooks.build``."""
