"""The offline CNN demo ``python -m keras_legacy.examples.mnist_like_cnn``: its images and a tiny run."""

import numpy as np

from keras_legacy.examples import mnist_like_cnn as demo


def test_images_are_the_font_glyphs_at_their_offsets():
    rng = np.random.default_rng(0)
    X, labels = demo.make_images(40, 12, rng, noise=0.0)
    assert X.shape == (40, 1, 12, 12) and labels.shape == (40,)
    assert set(labels) <= set(range(10))
    for image, label in zip(X[:, 0], labels):
        rows, cols = np.nonzero(image)
        box = image[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        glyph = demo.glyph(label)
        r0 = int(np.argmax(glyph.any(axis=1)))  # every glyph has ink in its first row and column but "1"
        c0 = int(np.argmax(glyph.any(axis=0)))
        trimmed = glyph[r0:, c0:]
        trimmed = trimmed[:box.shape[0], :box.shape[1]]
        intensity = box.max()
        assert 0.6 <= intensity <= 1.0
        np.testing.assert_array_equal(box, trimmed * intensity)
    assert demo.glyph(8).sum() == 13 * demo.SCALE ** 2  # 13 lit pixels of the 3x5 "8"


def test_tiny_run_trains_saves_and_reloads(tmp_path, capsys):
    code = demo.main(["--samples", "60", "--size", "10", "--epochs", "2", "--filters", "2", "--hidden", "8",
                      "--batch-size", "20", "--target-acc", "0", "--out-dir", str(tmp_path), "--seed", "3"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Epoch 1" in out and "60/60 [" in out  # the 0.x progress bar
    assert "predictions on 10 images identical" in out
    assert (tmp_path / "mnist_like_cnn_weights.h5").stat().st_size > 0
    assert '"Convolution2D"' in (tmp_path / "mnist_like_cnn.json").read_text()
