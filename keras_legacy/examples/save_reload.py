"""The demos' last step: save a trained model as HDF5 weights + JSON, rebuild it, compare predictions."""

from __future__ import annotations

import os
import tempfile

import numpy as np

from keras_legacy.models import model_from_json


def save_and_reload(model, X, out_dir, name, what):
    """Save ``model`` to ``out_dir`` (a new temporary folder when None) as ``<name>_weights.h5``
    and ``<name>.json``, rebuild it from those files and predict ``X`` with both.

    Returns True when the predictions are identical; prints what it did (``what`` names the
    samples in the message, e.g. ``"questions"``).
    """
    out_dir = out_dir or tempfile.mkdtemp(prefix=f"{name}_")
    os.makedirs(out_dir, exist_ok=True)
    weights_path = os.path.join(out_dir, f"{name}_weights.h5")
    json_path = os.path.join(out_dir, f"{name}.json")
    model.save_weights(weights_path, overwrite=True)
    with open(json_path, "w") as f:
        f.write(model.to_json())
    print(f"saved {weights_path} and {json_path}")

    with open(json_path) as f:
        reloaded = model_from_json(f.read())
    reloaded.load_weights(weights_path)
    before = model.predict(X, verbose=0)
    after = reloaded.predict(X, verbose=0)
    if not np.array_equal(before, after):
        print(f"reloaded predictions differ (max {np.abs(before - after).max():.3g})")
        return False
    print(f"reloaded model from JSON + HDF5: predictions on {len(X)} {what} identical")
    return True
