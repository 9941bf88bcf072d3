"""Data preprocessing of Keras 0.1.3: ``sequence`` (padding, skip-grams) and ``text`` (tokenizing).

NumPy and the standard library only.
"""
