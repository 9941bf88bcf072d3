"""Read digits: a small CNN in the Keras 0.x API, trained on digit images it draws itself.

    python -m keras_legacy.examples.mnist_like_cnn [--style 0.1.3|0.2.0] [--size 16]
        [--samples 3000] [--epochs 10] [--out-dir DIR] [--seed 1337]

The images are the ten digits of a 3x5 pixel font, scaled by two, placed at a
random offset in a ``size`` x ``size`` canvas with a random stroke intensity
and Gaussian noise (``make_images``).  The model is the one of the MNIST CNN
example that shipped with Keras 0.1.3 and 0.2.0, smaller: ``Convolution2D``
(``full``) -> relu -> ``Convolution2D`` (``valid``) -> relu ->
``MaxPooling2D`` -> ``Dropout(0.25)`` -> ``Flatten`` -> ``Dense`` -> relu ->
``Dropout(0.5)`` -> ``Dense(10)`` -> softmax, built with the constructors of
the release chosen by ``--style``, trained with Adadelta and the 0.x progress
bar (about 20 seconds on 2 cores, compilation included).  The weights (HDF5)
and the architecture (JSON) are then saved, reloaded into a new model, and the
reloaded model's predictions are checked to be identical.  Everything runs
offline.  Exit status: 0 when the test accuracy reaches ``--target-acc`` and
the reloaded predictions are identical, 1 when they differ, 2 when the
accuracy stays below the target.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from keras_legacy import backend as K
from keras_legacy.examples.save_reload import save_and_reload
from keras_legacy.layers import convolutional as conv013
from keras_legacy.layers import core as core013
from keras_legacy.models import Sequential
from keras_legacy.utils import np_utils
from keras_legacy.v020.layers import convolutional as conv020
from keras_legacy.v020.layers import core as core020

#: the digits 0-9 in a 3x5 pixel font (rows top to bottom)
FONT = (
    ("###", "#.#", "#.#", "#.#", "###"),
    (".#.", "##.", ".#.", ".#.", "###"),
    ("###", "..#", "###", "#..", "###"),
    ("###", "..#", ".##", "..#", "###"),
    ("#.#", "#.#", "###", "..#", "..#"),
    ("###", "#..", "###", "..#", "###"),
    ("###", "#..", "###", "#.#", "###"),
    ("###", "..#", ".#.", ".#.", ".#."),
    ("###", "#.#", "###", "#.#", "###"),
    ("###", "#.#", "###", "..#", "###"),
)
NB_CLASSES = len(FONT)
SCALE = 2


def glyph(digit):
    """The ``(5 * SCALE, 3 * SCALE)`` 0/1 image of ``digit``."""
    bitmap = np.array([[c == "#" for c in row] for row in FONT[digit]], dtype="float64")
    return np.kron(bitmap, np.ones((SCALE, SCALE)))


def make_images(n, size, rng, noise=0.15):
    """``n`` images ``(n, 1, size, size)`` of random digits and their labels ``(n,)``.

    Each image is the digit's glyph times an intensity in [0.6, 1], at a random
    offset, plus N(0, noise^2) noise, clipped to [0, 1].
    """
    height, width = 5 * SCALE, 3 * SCALE
    if size < height:
        raise ValueError(f"make_images: size must be at least {height} (the glyph height), got {size}.")
    labels = rng.integers(0, NB_CLASSES, size=n)
    X = np.zeros((n, 1, size, size))
    rows = rng.integers(0, size - height + 1, size=n)
    cols = rng.integers(0, size - width + 1, size=n)
    intensity = rng.uniform(0.6, 1.0, size=n)
    for k in range(n):
        X[k, 0, rows[k]:rows[k] + height, cols[k]:cols[k] + width] = glyph(labels[k]) * intensity[k]
    X = np.clip(X + rng.normal(0.0, noise, size=X.shape), 0.0, 1.0)
    return X.astype(K.floatx()), labels


def build_model(style, size, nb_filters, hidden):
    """The CNN with the constructors of ``style`` ("0.1.3": input-first, "0.2.0": output-first)."""
    model = Sequential()
    pooled = size // 2  # 'full' then 'valid' 3x3 convolutions keep the size; the 2x2 pool halves it
    if style == "0.1.3":
        model.add(conv013.Convolution2D(nb_filters, 1, 3, 3, border_mode="full"))
        model.add(core013.Activation("relu"))
        model.add(conv013.Convolution2D(nb_filters, nb_filters, 3, 3))
        model.add(core013.Activation("relu"))
        model.add(conv013.MaxPooling2D(poolsize=(2, 2)))
        model.add(core013.Dropout(0.25))
        model.add(core013.Flatten())
        model.add(core013.Dense(nb_filters * pooled * pooled, hidden))
        model.add(core013.Activation("relu"))
        model.add(core013.Dropout(0.5))
        model.add(core013.Dense(hidden, NB_CLASSES))
        model.add(core013.Activation("softmax"))
    else:
        model.add(conv020.Convolution2D(nb_filters, 3, 3, border_mode="full", input_shape=(1, size, size)))
        model.add(core020.Activation("relu"))
        model.add(conv020.Convolution2D(nb_filters, 3, 3))
        model.add(core020.Activation("relu"))
        model.add(conv020.MaxPooling2D(pool_size=(2, 2)))
        model.add(core020.Dropout(0.25))
        model.add(core020.Flatten())
        model.add(core020.Dense(hidden))
        model.add(core020.Activation("relu"))
        model.add(core020.Dropout(0.5))
        model.add(core020.Dense(NB_CLASSES))
        model.add(core020.Activation("softmax"))
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--style", choices=("0.1.3", "0.2.0"), default="0.1.3")
    parser.add_argument("--size", type=int, default=16, help="image side in pixels (even, >= 10)")
    parser.add_argument("--samples", type=int, default=3000, help="training images (plus 1/6 as many for test)")
    parser.add_argument("--filters", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--target-acc", type=float, default=0.9)
    parser.add_argument("--out-dir", default=None)
    parser.add_argument("--seed", type=int, default=1337)
    args = parser.parse_args(argv)
    if args.size % 2:
        parser.error(f"--size must be even (the 2x2 pooling halves it), got {args.size}")

    np.random.seed(args.seed)  # the initialisers and Dropout's seeds draw from NumPy's global generator
    rng = np.random.default_rng(args.seed)
    X_train, labels_train = make_images(args.samples, args.size, rng)
    X_test, labels_test = make_images(max(args.samples // 6, 1), args.size, rng)
    Y_train = np_utils.to_categorical(labels_train, NB_CLASSES)
    Y_test = np_utils.to_categorical(labels_test, NB_CLASSES)
    print(f"{len(X_train)} train and {len(X_test)} test images of {args.size}x{args.size} pixels, "
          f"{NB_CLASSES} digits; Keras {args.style} constructors")

    model = build_model(args.style, args.size, args.filters, args.hidden)
    model.compile(loss="categorical_crossentropy", optimizer="adadelta")
    model.fit(X_train, Y_train, batch_size=args.batch_size, nb_epoch=args.epochs, verbose=1,
              show_accuracy=True, validation_data=(X_test, Y_test))
    loss, acc = model.evaluate(X_test, Y_test, show_accuracy=True, verbose=0)
    print(f"test loss {loss:.4f}, test accuracy {acc:.4f}")

    if not save_and_reload(model, X_test, args.out_dir, "mnist_like_cnn", "images"):
        return 1
    return 0 if acc >= args.target_acc else 2


if __name__ == "__main__":
    sys.exit(main())
