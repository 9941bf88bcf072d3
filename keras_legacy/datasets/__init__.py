"""The Keras 0.x dataset loaders (``keras.datasets``): mnist, cifar10, cifar100, imdb, reuters.

Each loader reads the release's own file (a Python 2 pickle, gzip file or
tar.gz of pickles) from the cache folder ``~/.keras/datasets`` (or
``$KERAS_LEGACY_DATASETS``), downloading it first when it is missing; see
:mod:`keras_legacy.datasets.data_utils`.
"""
