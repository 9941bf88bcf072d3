"""Data preprocessing of Keras 0.1.3 and 0.2.0: ``sequence`` (padding, skip-grams), ``text`` (tokenizing)
and ``image`` (augmentation, standardisation; SciPy, and Pillow for files).

Leaf package: NumPy, SciPy and the standard library only.
"""
