"""keras_legacy.utils.np_utils and test_utils (NumPy only)."""

import numpy as np
import pytest

from keras_legacy.utils import np_utils
from keras_legacy.utils.test_utils import get_test_data


def test_to_categorical():
    Y = np_utils.to_categorical([0, 2, 1, 2])
    assert Y.dtype == np.float64
    np.testing.assert_array_equal(Y, [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]])
    Y5 = np_utils.to_categorical(np.array([[1], [3]]), 5)
    np.testing.assert_array_equal(Y5, [[0, 1, 0, 0, 0], [0, 0, 0, 1, 0]])
    with pytest.raises(ValueError, match=r"\[0, 1\].*nb_classes=2"):
        np_utils.to_categorical([0, 2], 2)
    # 0.1.3 indexed Y[i, y[i]]: a negative index counts from the last class
    np.testing.assert_array_equal(np_utils.to_categorical([-1, 0, -3], 3), [[0, 0, 1], [1, 0, 0], [1, 0, 0]])
    with pytest.raises(ValueError, match=r"down to -3"):
        np_utils.to_categorical([-4], 3)


def test_normalize():
    a = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(np_utils.normalize(a), [[0.6, 0.8], [0, 0], [1, 0]])
    np.testing.assert_allclose(np_utils.normalize(a, axis=0, order=1), a / np.array([4.0, 4.0]))


def test_binary_logloss():
    p = np.array([0.9, 0.2, 1.0, 0.0])
    y = np.array([1, 0, 1, 1])
    eps = 1e-15
    pc = np.clip(p, eps, 1 - eps)
    expected = -np.mean(y * np.log(pc) + (1 - y) * np.log(1 - pc))
    assert np_utils.binary_logloss(p, y) == pytest.approx(expected, rel=1e-14)
    assert np_utils.binary_logloss(p[:2], y[:2]) == pytest.approx(-(np.log(0.9) + np.log(0.8)) / 2)


def test_multiclass_logloss_one_based_labels():
    P = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    # labels 1..3: sample 0 is class 1 (column 0), sample 1 class 3 (column 2)
    assert np_utils.multiclass_logloss(P, [1, 3]) == pytest.approx(-(np.log(0.7) + np.log(0.8)) / 2)


def test_accuracy_and_classes():
    assert np_utils.accuracy([1, 0, 1, 1], [1, 1, 1, 0]) == 0.5
    P = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    np.testing.assert_array_equal(np_utils.categorical_probas_to_classes(P), [1, 0, 1])
    np.testing.assert_array_equal(np_utils.probas_to_classes(P), [1, 0, 1])
    np.testing.assert_array_equal(np_utils.probas_to_classes(np.array([[0.2], [0.51], [0.5]])), [0, 1, 0])
    np.testing.assert_array_equal(np_utils.probas_to_classes(np.array([0.7, 0.1])), [1, 0])


def test_get_test_data_classification():
    np.random.seed(7)
    (X_train, y_train), (X_test, y_test) = get_test_data(nb_train=300, nb_test=100, input_shape=(5,),
                                                         classification=True, nb_class=3)
    assert X_train.shape == (300, 5) and X_test.shape == (100, 5)
    assert y_train.shape == (300,) and set(np.unique(np.concatenate([y_train, y_test]))) == {0, 1, 2}
    # the draw order: all labels, then each sample ~ N(label, 1)
    np.random.seed(7)
    y = np.random.randint(0, 3, size=(400,))
    X = np.stack([np.random.normal(y[i], 1.0, size=(5,)) for i in range(400)])
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), y)
    np.testing.assert_array_equal(np.concatenate([X_train, X_test]), X)
    # and the classes are separated by their means
    for c in range(3):
        assert abs(X[y == c].mean() - c) < 0.2


def test_get_test_data_regression():
    np.random.seed(3)
    (X_train, y_train), (X_test, y_test) = get_test_data(nb_train=50, nb_test=10, input_shape=(4, 2),
                                                         output_shape=(3,), classification=False)
    assert X_train.shape == (50, 4, 2) and y_train.shape == (50, 3)
    assert X_test.shape == (10, 4, 2) and y_test.shape == (10, 3)
    np.random.seed(3)
    loc = np.random.random((60,))
    x0 = np.random.normal(loc[0], 1.0, size=(4, 2))
    y0 = np.random.normal(loc[0], 1.0, size=(3,))
    np.testing.assert_array_equal(X_train[0], x0)
    np.testing.assert_array_equal(y_train[0], y0)
