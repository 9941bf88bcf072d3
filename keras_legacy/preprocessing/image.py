"""Image preprocessing of Keras 0.1.3 and 0.2.0 (the same names in both releases).

Images are channel-first NumPy arrays ``(channels, rows, cols)``.  The random
transforms draw from Python's ``random`` module (never NumPy's), and the
interpolations are ``scipy.ndimage`` cubic splines, so seeding ``random``
reproduces the 0.x images.  Several functions work IN PLACE on their argument,
as in 0.x: the flips, ``array_to_img`` (with ``scale=True``),
``ImageDataGenerator.standardize`` (float input) and ``ImageDataGenerator.flow``
(``shuffle=True`` permutes the caller's ``X`` and ``y``).

``array_to_img`` and ``load_img`` need Pillow, the optional extra ``image``
(``pip install "keras_legacy[image]"``); everything else needs NumPy and SciPy.
"""

from __future__ import annotations

import importlib
import os
import random
import re

import numpy as np
from scipy import linalg, ndimage

#: Added to the singular values before the inverse square root of the ZCA matrix
#: (written ``10e-6`` in 0.x).
ZCA_EPSILON = 1e-5

#: Upper bound of the Python ``random`` draw that seeds NumPy's shuffles in ``flow``
#: (0.x wrote the float ``10e6``; Python >= 3.12 needs the int, the draws are the same).
FLOW_SEED_BOUND = 10_000_000


class MissingImageExtraError(ModuleNotFoundError):
    """Pillow is not installed and the called function needs it."""


def _pil_image(function_name):
    """``PIL.Image``, or a :class:`MissingImageExtraError` saying how to install it."""
    try:
        return importlib.import_module("PIL.Image")
    except ImportError as exc:
        raise MissingImageExtraError(
            f"keras_legacy.preprocessing.image.{function_name} needs Pillow, which is not installed. "
            "Install the optional extra: pip install \"keras_legacy[image]\" (or pip install Pillow).",
            name="PIL",
        ) from exc


def _check_image(x, function_name, min_ndim=3):
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"{function_name}: expected a NumPy array of shape (channels, rows, cols), "
            f"got {type(x).__name__}. Convert a PIL image with img_to_array(img) first."
        )
    if x.ndim < min_ndim:
        raise ValueError(
            f"{function_name}: expected a channel-first image of shape (channels, rows, cols), "
            f"got an array of shape {x.shape}. Add a channel axis, e.g. x[None] for one gray image."
        )


def random_rotation(x, rg, fill_mode="nearest", cval=0.0):
    """Rotate every channel by ``random.uniform(-rg, rg)`` degrees about the image centre.

    Cubic spline (``scipy.ndimage.rotate``, ``reshape=False``: the shape is
    kept), points outside the input filled by ``fill_mode``/``cval``.
    Returns a new array.
    """
    _check_image(x, "random_rotation")
    angle = random.uniform(-rg, rg)
    return ndimage.rotate(x, angle, axes=(1, 2), reshape=False, mode=fill_mode, cval=cval)


def random_shift(x, wrg, hrg, fill_mode="nearest", cval=0.0):
    """Shift the image towards larger row and column indices by random amounts.

    Four draws, in this order: ``crop = uniform(0, wrg)`` and ``split =
    uniform(0, 1)`` give ``int(split*crop*rows)`` rows (and, unused,
    ``int((1-split)*crop*rows)``); then the same with ``hrg`` for the columns.
    As in 0.x, ``wrg`` acts on axis 1 (the rows) and ``hrg`` on axis 2, and
    the image only ever moves down/right.  Cubic spline
    (``scipy.ndimage.shift``); returns a new array.
    """
    _check_image(x, "random_shift")
    crop = random.uniform(0.0, wrg)
    split = random.uniform(0.0, 1.0)
    rows_shift = int(split * crop * x.shape[1])
    crop = random.uniform(0.0, hrg)
    split = random.uniform(0.0, 1.0)
    cols_shift = int(split * crop * x.shape[2])
    return ndimage.shift(x, (0, rows_shift, cols_shift), mode=fill_mode, cval=cval)


def horizontal_flip(x):
    """Reverse the columns (axis 2) of every channel IN PLACE and return ``x`` itself."""
    _check_image(x, "horizontal_flip")
    x[...] = x[:, :, ::-1]
    return x


def vertical_flip(x):
    """Reverse the rows (axis 1) of every channel IN PLACE and return ``x`` itself."""
    _check_image(x, "vertical_flip")
    x[...] = x[:, ::-1]
    return x


def random_barrel_transform(x, intensity):
    """Not implemented in 0.1.3/0.2.0 either: returns ``None`` and leaves ``x`` alone."""


def random_shear(x, intensity):
    """Not implemented in 0.1.3/0.2.0 either: returns ``None`` and leaves ``x`` alone."""


def random_channel_shift(x, rg):
    """Not implemented in 0.1.3/0.2.0 either: returns ``None`` and leaves ``x`` alone."""


def random_zoom(x, rg, fill_mode="nearest", cval=0.0):
    """Shrink the rows and the columns by factors ``uniform(1 - rg, 1)`` (rows first).

    ``scipy.ndimage.zoom`` with a cubic spline: the OUTPUT SHAPE changes
    (``round(rows * factor)``...), as in 0.x.  ``fill_mode`` and ``cval`` are
    passed on to ``zoom``.
    """
    _check_image(x, "random_zoom")
    zoom_rows = random.uniform(1.0 - rg, 1.0)
    zoom_cols = random.uniform(1.0 - rg, 1.0)
    return ndimage.zoom(x, (1, zoom_rows, zoom_cols), mode=fill_mode, cval=cval)


def array_to_img(x, scale=True):
    """A PIL image of a channel-first array: RGB for 3 channels, else the first channel in mode ``'L'``.

    With ``scale``, the values are shifted by ``max(-min, 0)``, divided by
    their maximum and multiplied by 255 IN PLACE on (a transposed view of) a
    float ``x``, as in 0.x; integer input is scaled on a float copy (0.x
    raised a casting error).  The cast to ``uint8`` truncates.
    """
    _check_image(x, "array_to_img")
    image = _pil_image("array_to_img")
    x = x.transpose(1, 2, 0)
    if scale:
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(np.float64)
        x += max(-np.min(x), 0)
        x /= np.max(x)
        x *= 255
    if x.shape[2] == 3:
        return image.fromarray(x.astype("uint8"), "RGB")
    return image.fromarray(x[:, :, 0].astype("uint8"), "L")


def img_to_array(img):
    """The float32 channel-first array ``(channels, rows, cols)`` of a PIL image (or array-like)."""
    x = np.asarray(img, dtype="float32")
    if x.ndim == 3:
        return x.transpose(2, 0, 1)
    if x.ndim == 2:
        return x.reshape((1, x.shape[0], x.shape[1]))
    raise ValueError(
        f"img_to_array: expected an image of shape (rows, cols) or (rows, cols, channels), "
        f"got an array of shape {x.shape}."
    )


def load_img(path, grayscale=False):
    """Open an image file with Pillow and convert it to ``'L'`` (``grayscale``) or ``'RGB'``.

    (0.1.3 opened the file in text mode and failed on every binary image;
    this is 0.2.0's behaviour.)
    """
    image = _pil_image("load_img")
    img = image.open(path)
    return img.convert("L" if grayscale else "RGB")


def list_pictures(directory, ext="jpg|jpeg|bmp|png"):
    """Paths of the files in ``directory`` whose name starts with ``word_chars.EXT``, EXT one of ``ext``.

    As in 0.x the pattern ``[\\w]+\\.(?:ext)`` is matched at the start of the
    name only and case-sensitively (``my-photo.png`` and ``A.PNG`` are not
    listed, ``a.png.txt`` is).  Not recursive; sorted by name (0.x returned
    ``os.listdir`` order).  (0.1.3 lacked ``import re`` and raised NameError.)
    """
    pattern = re.compile(r"[\w]+\.(?:" + ext + ")")
    paths = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if os.path.isfile(path) and pattern.match(name):
            paths.append(path)
    return paths


class ImageDataGenerator:
    """Feature/sample standardisation, ZCA whitening and random augmentation of image batches.

    The defaults centre and scale feature-wise (``featurewise_center=True,
    featurewise_std_normalization=True``), so :meth:`fit` must run before
    :meth:`standardize` or :meth:`flow` unless both are turned off.
    """

    def __init__(self, featurewise_center=True, samplewise_center=False,
                 featurewise_std_normalization=True, samplewise_std_normalization=False,
                 zca_whitening=False, rotation_range=0.0, width_shift_range=0.0,
                 height_shift_range=0.0, horizontal_flip=False, vertical_flip=False):
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.mean = None
        self.std = None
        self.principal_components = None

    def flow(self, X, y, batch_size=32, shuffle=False, seed=None, save_to_dir=None,
             save_prefix="", save_format="jpeg"):
        """Yield ``(bX, by)`` batches of augmented, standardised samples, one pass over ``X``.

        A truthy ``seed`` reseeds Python's ``random`` first.  ``shuffle`` draws
        ``s = random.randint(1, 10**7)`` and permutes the CALLER'S ``X`` and
        ``y`` in place with ``np.random.seed(s); np.random.shuffle(...)`` (the
        same permutation for both).  Each sample is cast to float32, then goes
        through :meth:`random_transform` and :meth:`standardize`; ``bX`` is a
        float64 array.  The last batch is smaller when ``len(X)`` is not a
        multiple of ``batch_size``.  With ``save_to_dir``, each sample of the
        batch is also written as ``{save_prefix}_{index}.{save_format}``
        (``index`` counts the samples of this pass) through
        :func:`array_to_img`, whose in-place scaling leaves the yielded batch
        rescaled to 0..255.
        """
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"flow: batch_size must be a positive int, got {batch_size!r}.")
        if save_to_dir and not os.path.isdir(save_to_dir):
            raise OSError(f"flow: save_to_dir {save_to_dir!r} is not a directory; create it first.")
        if seed:
            random.seed(seed)
        if shuffle:
            shuffle_seed = random.randint(1, FLOW_SEED_BOUND)
            np.random.seed(shuffle_seed)
            np.random.shuffle(X)
            np.random.seed(shuffle_seed)
            np.random.shuffle(y)
        nb_samples = X.shape[0]
        for start in range(0, nb_samples, batch_size):
            stop = min(start + batch_size, nb_samples)
            bX = np.zeros((stop - start,) + tuple(X.shape[1:]))
            for i in range(stop - start):
                x = self.random_transform(X[start + i].astype("float32"))
                bX[i] = self.standardize(x)
            if save_to_dir:
                for i in range(stop - start):
                    img = array_to_img(bX[i], scale=True)
                    img.save(os.path.join(save_to_dir, f"{save_prefix}_{start + i}.{save_format}"))
            yield bX, y[start:stop]

    def standardize(self, x):
        """Standardise ONE sample, in place for float input, and return it.

        In order: subtract ``mean``, divide by ``std`` (feature-wise), ZCA
        (``x.reshape(-1) @ principal_components``, a new array), subtract the
        sample's mean, divide by the sample's std (over all channels).
        """
        if self.featurewise_center:
            x -= self._fitted("mean", "featurewise_center")
        if self.featurewise_std_normalization:
            x /= self._fitted("std", "featurewise_std_normalization")
        if self.zca_whitening:
            components = self._fitted("principal_components", "zca_whitening")
            x = np.reshape(np.dot(np.reshape(x, x.size), components), x.shape)
        if self.samplewise_center:
            x -= np.mean(x)
        if self.samplewise_std_normalization:
            x /= np.std(x)
        return x

    def _fitted(self, attribute, option):
        value = getattr(self, attribute)
        if value is None:
            raise ValueError(
                f"ImageDataGenerator.{option}=True needs the statistics of fit(): call "
                f"datagen.fit(X_train) before standardize()/flow(), or construct the generator "
                f"with {option}=False."
            )
        return value

    def random_transform(self, x):
        """Random rotation, then random shift, then horizontal and vertical flips with probability 1/2.

        Each step only when its option is on (a flip draws ``random.random()``
        only when enabled).  Rotation and shift return new arrays; the flips
        act in place on whatever the previous step returned.
        """
        if self.rotation_range:
            x = random_rotation(x, self.rotation_range)
        if self.width_shift_range or self.height_shift_range:
            x = random_shift(x, self.width_shift_range, self.height_shift_range)
        if self.horizontal_flip and random.random() < 0.5:
            x = horizontal_flip(x)
        if self.vertical_flip and random.random() < 0.5:
            x = vertical_flip(x)
        return x

    def fit(self, X, augment=False, rounds=1, seed=None):
        """Compute ``mean``, ``std`` and the ZCA ``principal_components`` of a copy of ``X``.

        ``mean = X.mean(0)``; ``std`` is the std of the centred copy; ZCA uses
        ``sigma = flatX.T @ flatX / n_features`` of the centred/scaled copy and
        ``U diag(1/sqrt(S + 1e-5)) U.T`` from its SVD.  With ``augment``, the
        statistics are computed on ``rounds`` passes of every image through
        :func:`array_to_img` (rescaled to 0..255, truncated to uint8) and
        :func:`img_to_array`, then :meth:`random_transform` (0.x applied it to
        the PIL image, which failed whenever a transform was enabled).
        Integer ``X`` is converted to float64 (0.x failed on it).  ``seed`` is
        accepted and not used.
        """
        X = np.array(X, dtype=None if np.issubdtype(np.asarray(X).dtype, np.floating) else np.float64,
                     copy=True)
        if augment:
            n = X.shape[0]
            augmented = np.zeros((rounds * n,) + tuple(X.shape[1:]))
            for r in range(rounds):
                for i in range(n):
                    x = img_to_array(array_to_img(X[i]))
                    augmented[r * n + i] = self.random_transform(x)
            X = augmented
        if self.featurewise_center:
            self.mean = np.mean(X, axis=0)
            X -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.std(X, axis=0)
            X /= self.std
        if self.zca_whitening:
            flat = np.reshape(X, (X.shape[0], -1))
            sigma = np.dot(flat.T, flat) / flat.shape[1]
            U, S, _ = linalg.svd(sigma)
            self.principal_components = np.dot(np.dot(U, np.diag(1.0 / np.sqrt(S + ZCA_EPSILON))), U.T)
