"""keras_legacy.preprocessing.image: the golden files of the original (``image/``) and NumPy references."""

from __future__ import annotations

import ast
import json
import pathlib
import random
import sys

import numpy as np
import pytest

from keras_legacy.preprocessing import image
from keras_legacy.preprocessing.image import ImageDataGenerator
from keras_legacy.run import AliasFinder

RTOL = 1e-10
SEEDS = (11, 22, 33)


def rel_err(actual, expected):
    return np.max(np.abs(actual - expected)) / max(np.max(np.abs(expected)), 1e-300)


@pytest.fixture(scope="module")
def corpus(golden):
    return golden / "image"


@pytest.fixture
def pil():
    return pytest.importorskip("PIL.Image")


# --------------------------------------------------------------------------- golden files


@pytest.mark.parametrize("name", ["horizontal_flip", "vertical_flip"])
def test_golden_flips(corpus, name):
    data = np.load(corpus / "flips.npz")
    x = data["x"].copy()
    out = getattr(image, name)(x)
    assert bool(data[f"{name}_returns_its_argument"]) and out is x
    np.testing.assert_array_equal(out, data[name])


#: golden key -> (function, extra arguments), as listed in the README of image/.
TRANSFORMS = {
    "random_rotation": (image.random_rotation, (30.0,)),
    "random_rotation_constant": (image.random_rotation, (30.0, "constant", 0.5)),
    "random_shift": (image.random_shift, (0.3, 0.3)),
    "random_zoom": (image.random_zoom, (0.3,)),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("key", sorted(TRANSFORMS))
def test_golden_random_transforms(corpus, key, seed):
    data = np.load(corpus / "random_transforms.npz")
    function, args = TRANSFORMS[key]
    random.seed(seed)
    np.random.seed(seed)
    out = function(data["x"].copy(), *args)
    expected = data[f"{key}_seed{seed}"]
    assert out.shape == expected.shape
    assert rel_err(out, expected) < RTOL


@pytest.mark.parametrize("seed", SEEDS)
def test_golden_random_draws(corpus, seed):
    """The Python ``random`` draws recorded by the oracle are the ones our functions consume."""
    data = np.load(corpus / "random_transforms.npz")
    random.seed(seed)
    assert random.uniform(-30.0, 30.0) == data[f"rotation_angle_seed{seed}"]
    random.seed(seed)
    draws = [random.uniform(0, 0.3), random.uniform(0, 1), random.uniform(0, 0.3), random.uniform(0, 1)]
    np.testing.assert_array_equal(draws, data[f"shift_draws_seed{seed}"])
    rows, cols = data["x"].shape[1:]
    pixels = [int(draws[1] * draws[0] * rows), int((1 - draws[1]) * draws[0] * rows),
              int(draws[3] * draws[2] * cols), int((1 - draws[3]) * draws[2] * cols)]
    np.testing.assert_array_equal(pixels, data[f"shift_pixels_seed{seed}"])
    random.seed(seed)
    np.testing.assert_array_equal([random.uniform(0.7, 1), random.uniform(0.7, 1)],
                                  data[f"zoom_draws_seed{seed}"])
    # random_shift uses the same four draws: after it, the generator is where the test's copy was.
    random.seed(seed)
    image.random_shift(data["x"].copy(), 0.3, 0.3)
    after = random.random()
    random.seed(seed)
    for _ in range(4):
        random.random()
    assert after == random.random()


@pytest.mark.parametrize("name, args", [("random_shear", (0.5,)), ("random_channel_shift", (0.2,)),
                                        ("random_barrel_transform", (0.2,))])
def test_golden_stub_transforms_return_none(corpus, name, args):
    meta = json.loads((corpus / "meta.json").read_text())
    for version in ("calls_0.1.3", "calls_0.2.0"):
        assert meta[version][f"{name}_seed11"]["status"].startswith("returned None")
    x = np.load(corpus / "random_transforms.npz")["x"]
    kept = x.copy()
    assert getattr(image, name)(x, *args) is None
    np.testing.assert_array_equal(x, kept)


#: constructor keywords turning off the default feature-wise standardisation.
NO_FEATUREWISE = {"featurewise_center": False, "featurewise_std_normalization": False}

#: golden file -> (constructor keywords, fit keywords), from the README of image/.
FIT_CASES = {
    "datagen_all": ({"samplewise_center": True, "samplewise_std_normalization": True, "zca_whitening": True}, {}),
    "datagen_augment_roundtrip": ({}, {"augment": True, "rounds": 2}),
    "datagen_featurewise": ({}, {}),
    "datagen_samplewise": ({**NO_FEATUREWISE, "samplewise_center": True, "samplewise_std_normalization": True},
                           {}),
    "datagen_zca": ({"zca_whitening": True}, {}),
    "datagen_zca_only": ({**NO_FEATUREWISE, "zca_whitening": True}, {}),
}


@pytest.mark.parametrize("case", sorted(FIT_CASES))
def test_golden_fit_and_standardize(corpus, case, request):
    if FIT_CASES[case][1].get("augment"):
        request.getfixturevalue("pil")
    data = np.load(corpus / f"{case}.npz")
    kwargs, fit_kwargs = FIT_CASES[case]
    datagen = ImageDataGenerator(**kwargs)
    X = data["X"].copy()
    datagen.fit(X, **fit_kwargs)
    assert bool(data["X_unchanged_by_fit"]) and np.array_equal(X, data["X"])
    for attribute in ("mean", "std", "principal_components"):
        if attribute in data.files:
            assert rel_err(getattr(datagen, attribute), data[attribute]) < RTOL, attribute
        else:
            assert getattr(datagen, attribute) is None
    modified = []
    standardized = []
    for sample in X:
        argument = sample.copy()
        standardized.append(datagen.standardize(argument))
        modified.append(not np.array_equal(argument, sample))
    assert set(modified) == {bool(data["standardize_modifies_argument"])}
    assert rel_err(np.array(standardized), data["standardized"]) < RTOL


#: golden file -> (constructor keywords, fit before flow, flow keywords).
FLOW_CASES = {
    "datagen_flow_featurewise": ({}, True, {"batch_size": 5, "shuffle": False}),
    "datagen_flow_random": ({**NO_FEATUREWISE, "height_shift_range": 0.2, "horizontal_flip": True,
                             "rotation_range": 20.0, "vertical_flip": True, "width_shift_range": 0.2},
                            False, {"batch_size": 5, "seed": 5, "shuffle": False}),
    "datagen_flow_shuffle": (NO_FEATUREWISE, False, {"batch_size": 5, "seed": 5, "shuffle": True}),
}


@pytest.mark.parametrize("case", sorted(FLOW_CASES))
def test_golden_flow(corpus, case):
    data = np.load(corpus / f"{case}.npz")
    kwargs, fit_first, flow_kwargs = FLOW_CASES[case]
    datagen = ImageDataGenerator(**kwargs)
    X, y = data["X"].copy(), data["y"].copy()
    if fit_first:
        datagen.fit(X)
    random.seed(12345)
    np.random.seed(12345)
    batches = list(datagen.flow(X, y, **flow_kwargs))
    np.testing.assert_array_equal([len(bx) for bx, _ in batches], data["batch_sizes"])
    assert all(bx.dtype == np.float64 and len(bx) == len(by) for bx, by in batches)
    assert rel_err(np.concatenate([bx for bx, _ in batches]), data["batches_X"]) < RTOL
    np.testing.assert_array_equal(np.concatenate([by for _, by in batches]), data["batches_y"])
    np.testing.assert_array_equal(X, data["X_after_flow"])
    np.testing.assert_array_equal(y, data["y_after_flow"])


@pytest.mark.parametrize("name, scale", [("rgb", True), ("gray", True), ("rgb_noscale", False)])
def test_golden_array_to_img(corpus, pil, name, scale):
    data = np.load(corpus / "array_to_img.npz")
    x = data[f"x_{name}"].copy()
    img = image.array_to_img(x, scale=scale)
    np.testing.assert_array_equal(x, data[f"x_{name}_after_call"])
    assert img.mode == str(data[f"img_{name}_mode"])
    np.testing.assert_array_equal(np.asarray(img), data[f"img_{name}_uint8"])
    back = image.img_to_array(img)
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, data[f"img_to_array_{name}"])


@pytest.mark.parametrize("name", ["rgb", "gray"])
@pytest.mark.parametrize("grayscale", [False, True])
def test_golden_load_img(corpus, pil, name, grayscale):
    key = f"load_img_{name}" + ("_grayscale" if grayscale else "")
    expected = np.load(corpus / "load_img.npz")[key]
    img = image.load_img(str(corpus / "pictures" / f"{name}.png"), grayscale=grayscale)
    assert img.mode == json.loads((corpus / "meta.json").read_text())["calls_0.2.0"][key]["mode"]
    array = image.img_to_array(img)
    assert array.dtype == np.float32
    np.testing.assert_array_equal(array, expected)


def test_golden_list_pictures(corpus):
    meta = json.loads((corpus / "meta.json").read_text())["calls_0.2.0"]["list_pictures"]
    paths = image.list_pictures(str(corpus / "pictures"))
    assert [pathlib.Path(p).name for p in paths] == meta["result_basenames_sorted"]
    assert all(pathlib.Path(p).parent == corpus / "pictures" for p in paths)


# --------------------------------------------------------------------------- behaviour


def test_flips_reverse_columns_and_rows_in_place():
    x = np.arange(2 * 3 * 4, dtype=float).reshape(2, 3, 4)
    expected_h = np.flip(x, axis=2).copy()
    expected_v = np.flip(x, axis=1).copy()
    h = x.copy()
    assert image.horizontal_flip(h) is h
    np.testing.assert_array_equal(h, expected_h)
    v = x.copy()
    assert image.vertical_flip(v) is v
    np.testing.assert_array_equal(v, expected_v)
    np.testing.assert_array_equal(image.horizontal_flip(image.horizontal_flip(x.copy())), x)


def test_random_shift_moves_down_right_by_whole_pixels():
    x = np.random.rand(2, 8, 9)
    for seed in range(100):
        random.seed(seed)
        crop_r, split_r, crop_c, split_c = (random.uniform(0, 0.9), random.uniform(0, 1),
                                            random.uniform(0, 0.9), random.uniform(0, 1))
        rows, cols = int(split_r * crop_r * 8), int(split_c * crop_c * 9)
        if rows > 0 and cols > 0:
            break
    random.seed(seed)
    out = image.random_shift(x, 0.9, 0.9)
    # Integer shifts of a cubic spline hit the knots: the pixels move exactly, edges repeat (mode nearest).
    expected = np.pad(x, ((0, 0), (rows, 0), (cols, 0)), mode="edge")[:, :8, :9]
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-12)


def test_random_rotation_by_half_turn_flips_both_axes(monkeypatch):
    monkeypatch.setattr(random, "uniform", lambda low, high: high)
    x = np.random.rand(3, 7, 7)
    out = image.random_rotation(x, 180.0)
    np.testing.assert_allclose(out, x[:, ::-1, ::-1], rtol=0, atol=1e-12)
    assert out is not x


def test_random_zoom_shrinks_rows_then_cols(monkeypatch):
    factors = iter([0.5, 0.75])
    monkeypatch.setattr(random, "uniform", lambda low, high: next(factors))
    out = image.random_zoom(np.random.rand(2, 8, 8), 0.5)
    assert out.shape == (2, 4, 6)
    monkeypatch.undo()
    random.seed(3)
    same = image.random_zoom(np.ones((1, 6, 6)), 0.0)
    np.testing.assert_allclose(same, np.ones((1, 6, 6)), rtol=0, atol=1e-12)


def test_random_transform_off_draws_nothing():
    datagen = ImageDataGenerator(featurewise_center=False, featurewise_std_normalization=False)
    x = np.random.rand(3, 4, 5)
    random.seed(9)
    state = random.getstate()
    assert datagen.random_transform(x) is x
    assert random.getstate() == state


def test_random_transform_flips_follow_random_draws():
    datagen = ImageDataGenerator(horizontal_flip=True, vertical_flip=True)
    x = np.random.rand(1, 4, 5)
    for seed in range(6):
        random.seed(seed)
        flip_h, flip_v = random.random() < 0.5, random.random() < 0.5
        expected = x[:, ::-1] if flip_v else x
        expected = expected[:, :, ::-1] if flip_h else expected
        random.seed(seed)
        np.testing.assert_array_equal(datagen.random_transform(x.copy()), expected)


def test_fit_featurewise_matches_numpy():
    X = np.random.rand(20, 2, 3, 4) * 5 + 1
    datagen = ImageDataGenerator()
    datagen.fit(X)
    np.testing.assert_allclose(datagen.mean, X.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(datagen.std, X.std(axis=0), rtol=1e-12)
    out = np.array([datagen.standardize(x.copy()) for x in X])
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=0), 1, rtol=1e-12)


def test_zca_whitening_makes_covariance_identity():
    X = np.random.randn(400, 1, 3, 3) @ np.random.randn(3, 3)  # correlated pixels
    datagen = ImageDataGenerator(zca_whitening=True)
    datagen.fit(X)
    pc = datagen.principal_components
    np.testing.assert_allclose(pc, pc.T, atol=1e-12)
    flat = ((X - X.mean(0)) / X.std(0)).reshape(len(X), -1)
    sigma = flat.T @ flat / flat.shape[1]  # divided by the number of features, as in 0.x
    w, v = np.linalg.eigh(sigma)
    np.testing.assert_allclose(pc, v @ np.diag(1 / np.sqrt(w + 1e-5)) @ v.T, rtol=1e-10, atol=1e-12)
    white = np.array([datagen.standardize(x.copy()).reshape(-1) for x in X])
    np.testing.assert_allclose(white.T @ white / white.shape[1], np.eye(9), atol=1e-3)


def test_samplewise_standardize_over_all_channels():
    datagen = ImageDataGenerator(featurewise_center=False, featurewise_std_normalization=False,
                                 samplewise_center=True, samplewise_std_normalization=True)
    x = np.random.rand(3, 4, 5) * 7
    expected = (x - x.mean()) / (x - x.mean()).std()
    argument = x.copy()
    out = datagen.standardize(argument)
    assert out is argument
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_standardize_before_fit_says_to_fit():
    with pytest.raises(ValueError, match=r"call datagen.fit\(X_train\)"):
        ImageDataGenerator().standardize(np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match="featurewise_center"):
        next(ImageDataGenerator().flow(np.zeros((3, 1, 2, 2)), np.arange(3)))


def test_fit_accepts_integer_images():
    X = np.random.randint(0, 255, size=(10, 1, 3, 3))
    datagen = ImageDataGenerator()
    datagen.fit(X)
    np.testing.assert_allclose(datagen.mean, X.mean(axis=0), rtol=1e-13)
    assert X.dtype.kind == "i"


def test_flow_casts_each_step_to_float32():
    X = np.random.rand(7, 2, 3, 3) * 3
    datagen = ImageDataGenerator()
    datagen.fit(X)
    (bx, by), = list(datagen.flow(X, np.arange(7), batch_size=10))
    expected = X.astype(np.float32)
    expected -= datagen.mean
    expected /= datagen.std
    np.testing.assert_array_equal(bx, expected)
    assert bx.dtype == np.float64
    np.testing.assert_array_equal(by, np.arange(7))


def test_flow_batches_and_shuffle_determinism():
    datagen = ImageDataGenerator(featurewise_center=False, featurewise_std_normalization=False)
    X0 = np.random.rand(23, 1, 2, 2)
    runs = []
    for _ in range(2):
        X, y = X0.copy(), np.arange(23)
        batches = list(datagen.flow(X, y, batch_size=5, shuffle=True, seed=7))
        assert [len(bx) for bx, _ in batches] == [5, 5, 5, 5, 3]
        order = np.concatenate([by for _, by in batches])
        # The caller's arrays were permuted in place, together.
        np.testing.assert_array_equal(y, order)
        np.testing.assert_array_equal(X, X0[order])
        np.testing.assert_array_equal(np.concatenate([bx for bx, _ in batches]),
                                      X0[order].astype(np.float32))
        runs.append(order)
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], np.arange(23))
    random.seed(7)
    np.random.seed(random.randint(1, 10_000_000))
    np.testing.assert_array_equal(runs[0], np.random.permutation(23))


def test_flow_seed_reseeds_python_random_without_shuffle():
    datagen = ImageDataGenerator(featurewise_center=False, featurewise_std_normalization=False,
                                 horizontal_flip=True)
    X = np.random.rand(8, 1, 2, 3)
    first = np.concatenate([bx for bx, _ in datagen.flow(X, np.arange(8), batch_size=3, seed=4)])
    random.seed(123)
    second = np.concatenate([bx for bx, _ in datagen.flow(X, np.arange(8), batch_size=3, seed=4)])
    np.testing.assert_array_equal(first, second)
    flipped = [not np.array_equal(a, x.astype(np.float32)) for a, x in zip(first, X)]
    random.seed(4)
    assert flipped == [random.random() < 0.5 for _ in range(8)]


def test_flow_save_to_dir(tmp_path, pil):
    datagen = ImageDataGenerator(featurewise_center=False, featurewise_std_normalization=False)
    X = np.random.rand(5, 3, 4, 4)
    batches = list(datagen.flow(X, np.arange(5), batch_size=2, save_to_dir=str(tmp_path),
                                save_prefix="aug", save_format="png"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"aug_{i}.png" for i in range(5)]
    saved = image.img_to_array(image.load_img(str(tmp_path / "aug_3.png")))
    np.testing.assert_array_equal(saved, batches[1][0][1].astype(np.uint8))
    assert max(bx.max() for bx, _ in batches) == 255.0
    with pytest.raises(OSError, match="not a directory"):
        next(datagen.flow(X, np.arange(5), save_to_dir=str(tmp_path / "missing")))


def test_fit_augment_with_flips_runs(pil):
    """0.x failed here (it flipped the PIL image); the statistics are those of the quantised, flipped copies."""
    X = np.random.rand(6, 1, 3, 3)
    copy = X.copy()
    quantised = [image.img_to_array(image.array_to_img(copy[i])) for _ in range(2) for i in range(6)]
    random.seed(2)
    expected = np.array([q[:, :, ::-1] if random.random() < 0.5 else q for q in quantised], dtype=np.float64)
    datagen = ImageDataGenerator(horizontal_flip=True)
    random.seed(2)
    datagen.fit(X, augment=True, rounds=2)
    assert not np.array_equal(expected, np.array(quantised))
    np.testing.assert_allclose(datagen.mean, expected.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(datagen.std, (expected - expected.mean(axis=0)).std(axis=0), rtol=1e-12)


def test_array_to_img_scales_in_place_and_accepts_int(pil):
    x = np.array([[[-1.0, 0.0], [1.0, 3.0]]])
    img = image.array_to_img(x)
    np.testing.assert_array_equal(x, [[[0.0, 63.75], [127.5, 255.0]]])
    np.testing.assert_array_equal(np.asarray(img), [[0, 63], [127, 255]])
    xi = np.array([[[0, 1], [2, 4]]])
    np.testing.assert_array_equal(np.asarray(image.array_to_img(xi)), [[0, 63], [127, 255]])
    np.testing.assert_array_equal(xi, [[[0, 1], [2, 4]]])


def test_img_to_array_shapes():
    np.testing.assert_array_equal(image.img_to_array(np.arange(6).reshape(2, 3)), [np.arange(6).reshape(2, 3)])
    rgb = np.arange(24).reshape(2, 4, 3)
    out = image.img_to_array(rgb)
    assert out.dtype == np.float32 and out.shape == (3, 2, 4)
    np.testing.assert_array_equal(out[1], rgb[:, :, 1])
    with pytest.raises(ValueError, match="rows, cols"):
        image.img_to_array(np.zeros(4))


def test_missing_pillow_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    for call in (lambda: image.array_to_img(np.ones((3, 2, 2))), lambda: image.load_img("x.png")):
        with pytest.raises(image.MissingImageExtraError) as info:
            call()
        assert isinstance(info.value, ModuleNotFoundError)
        assert 'pip install "keras_legacy[image]"' in str(info.value)
        assert info.value.name == "PIL"


def test_list_pictures_pattern(tmp_path):
    for name in ("b.png", "a.jpg", "my-pic.png", "c.PNG", "notes.txt", "d.png.bak"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "e.png").mkdir()
    names = [pathlib.Path(p).name for p in image.list_pictures(str(tmp_path))]
    assert names == ["a.jpg", "b.png", "d.png.bak"]
    assert [pathlib.Path(p).name for p in image.list_pictures(str(tmp_path), ext="txt")] == ["notes.txt"]


def test_bad_inputs_say_what_was_expected():
    with pytest.raises(ValueError, match=r"\(channels, rows, cols\)"):
        image.horizontal_flip(np.zeros((4, 5)))
    with pytest.raises(TypeError, match="img_to_array"):
        image.random_rotation([[[0.0]]], 10)
    with pytest.raises(ValueError, match="batch_size"):
        next(ImageDataGenerator().flow(np.zeros((2, 1, 1, 1)), np.zeros(2), batch_size=0))


def test_both_releases_import_this_module():
    for version in ("0.1.3", "0.2.0"):
        assert AliasFinder(version).resolve("keras.preprocessing.image") == "keras_legacy.preprocessing.image"


def test_module_is_a_leaf():
    tree = ast.parse(pathlib.Path(image.__file__).read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "importlib", "os", "random", "re", "numpy", "scipy"}
