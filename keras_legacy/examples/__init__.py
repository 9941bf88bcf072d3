"""Runnable 0.1.3-style example scripts: ``python -m keras_legacy.examples.<name>``."""
