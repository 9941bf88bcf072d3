"""keras_legacy.optimizers against the golden optimizers_<name>.npz trajectories.

The golden model is Sequential([Dense(3, 4), Activation('tanh'), Dense(4, 2),
Activation('softmax')]) with categorical crossentropy, trained 5 times with
train_on_batch on one batch.  The graph is built here by hand (shared weights,
our objective, the optimizer's get_updates, K.function), and also re-run
with an independent NumPy implementation of the MLP gradient and of each
update rule.
"""

import json

import numpy as np
import pytensor
import pytensor.tensor as T
import pytest

from keras_legacy import backend as K
from keras_legacy import objectives, optimizers

CASES = {
    "sgd_nesterov": lambda: optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True, decay=0.01),
    "sgd_default": lambda: optimizers.SGD(),
    "rmsprop": lambda: optimizers.RMSprop(),
    "adagrad": lambda: optimizers.Adagrad(),
    "adadelta": lambda: optimizers.Adadelta(),
    "adam": lambda: optimizers.Adam(),
    "sgd_clipnorm": lambda: optimizers.SGD(clipnorm=0.1),
}


def load(golden, name):
    return dict(np.load(golden / f"optimizers_{name}.npz", allow_pickle=False))


def build_train_fn(data, opt, constraints=None):
    params = [pytensor.shared(data[f"init_{i}"].copy(), name=f"p{i}") for i in range(4)]
    X = T.matrix("X")
    y = T.matrix("y")
    h = T.tanh(T.dot(X, params[0]) + params[1])
    out = K.softmax(T.dot(h, params[2]) + params[3])
    loss = T.mean(objectives.categorical_crossentropy(y, out))
    updates = opt.get_updates(params, constraints or [None] * 4, loss)
    return K.function([X, y], loss, updates=updates), params


# --- an independent NumPy implementation -------------------------------------
def np_loss_and_grads(w, X, y):
    W1, b1, W2, b2 = w
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    n = X.shape[0]
    loss = np.mean(-np.sum(y * np.log(p), axis=1))
    dz = (p - y) / n
    dW2 = h.T @ dz
    db2 = dz.sum(axis=0)
    da = (dz @ W2.T) * (1 - h**2)
    return loss, [X.T @ da, da.sum(axis=0), dW2, db2]


class NumpyOptimizer:
    """The 0.1.3 update rules, in NumPy, written from the equations."""

    def __init__(self, kind, **hp):
        self.kind, self.hp, self.it, self.state = kind, hp, 0, None

    def step(self, w, g):
        hp = self.hp
        if hp.get("clipnorm", 0) > 0:
            norm = np.sqrt(sum(np.sum(gi**2) for gi in g))
            if norm >= hp["clipnorm"]:
                g = [gi * hp["clipnorm"] / norm for gi in g]
        if self.state is None:
            self.state = [[np.zeros_like(p), np.zeros_like(p)] for p in w]
        new_w = []
        for p, gi, st in zip(w, g, self.state):
            if self.kind == "sgd":
                lr_t = hp["lr"] / (1 + hp["decay"] * self.it)
                v = hp["momentum"] * st[0] - lr_t * gi
                st[0] = v
                new_w.append(p + hp["momentum"] * v - lr_t * gi if hp["nesterov"] else p + v)
            elif self.kind == "rmsprop":
                st[0] = hp["rho"] * st[0] + (1 - hp["rho"]) * gi**2
                new_w.append(p - hp["lr"] * gi / np.sqrt(st[0] + hp["epsilon"]))
            elif self.kind == "adagrad":
                st[0] = st[0] + gi**2
                new_w.append(p - hp["lr"] * gi / np.sqrt(st[0] + hp["epsilon"]))
            elif self.kind == "adadelta":
                st[0] = hp["rho"] * st[0] + (1 - hp["rho"]) * gi**2
                u = gi * np.sqrt(st[1] + hp["epsilon"]) / np.sqrt(st[0] + hp["epsilon"])
                st[1] = hp["rho"] * st[1] + (1 - hp["rho"]) * u**2
                new_w.append(p - hp["lr"] * u)
            elif self.kind == "adam":
                t = self.it + 1
                lr_t = hp["lr"] * np.sqrt(1 - hp["beta_2"] ** t) / (1 - hp["beta_1"] ** t)
                st[0] = hp["beta_1"] * st[0] + (1 - hp["beta_1"]) * gi
                st[1] = hp["beta_2"] * st[1] + (1 - hp["beta_2"]) * gi**2
                new_w.append(p - lr_t * st[0] / (np.sqrt(st[1]) + hp["epsilon"]))
        self.it += 1
        return new_w


NP_CASES = {
    "sgd_nesterov": ("sgd", dict(lr=0.1, momentum=0.9, nesterov=True, decay=0.01)),
    "sgd_default": ("sgd", dict(lr=0.01, momentum=0.0, nesterov=False, decay=0.0)),
    "rmsprop": ("rmsprop", dict(lr=0.001, rho=0.9, epsilon=1e-6)),
    "adagrad": ("adagrad", dict(lr=0.01, epsilon=1e-6)),
    "adadelta": ("adadelta", dict(lr=1.0, rho=0.95, epsilon=1e-6)),
    "adam": ("adam", dict(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8)),
    "sgd_clipnorm": ("sgd", dict(lr=0.01, momentum=0.0, nesterov=False, decay=0.0, clipnorm=0.1)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_trajectory_matches_golden(golden, name):
    data = load(golden, name)
    opt = CASES[name]()
    train, params = build_train_fn(data, opt)
    for s in range(1, 6):
        loss = train(data["X"], data["y"])
        assert abs(float(loss) - data["losses"][s - 1]) < 1e-10, (name, s)
        for i, p in enumerate(params):
            np.testing.assert_allclose(p.get_value(), data[f"step{s}_{i}"], rtol=0, atol=1e-10,
                                       err_msg=f"{name} step{s}_{i}")
    for i, p in enumerate(params):
        np.testing.assert_array_equal(data[f"final_{i}"], data[f"step5_{i}"])
    # The optimizer counted its steps (SGD, Adam) and its state has the right shapes.
    if hasattr(opt, "iterations"):
        assert float(opt.iterations.get_value()) == 5.0


@pytest.mark.parametrize("name", sorted(NP_CASES))
def test_numpy_reference_reproduces_golden(golden, name):
    """The NumPy rules (independent of PyTensor) give the golden trajectory as well."""
    data = load(golden, name)
    kind, hp = NP_CASES[name]
    ref = NumpyOptimizer(kind, **hp)
    w = [data[f"init_{i}"].copy() for i in range(4)]
    for s in range(1, 6):
        loss, g = np_loss_and_grads(w, data["X"], data["y"])
        assert abs(loss - data["losses"][s - 1]) < 1e-10
        w = ref.step(w, g)
        for i in range(4):
            np.testing.assert_allclose(w[i], data[f"step{s}_{i}"], rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", ["adam", "rmsprop", "adagrad", "adadelta"])
def test_config_matches_golden(golden, name):
    data = load(golden, name)
    assert str(data["config_error"]) == ""
    assert CASES[name]().get_config() == json.loads(str(data["config_json"]))
    # and it round-trips through optimizers.get
    cfg = CASES[name]().get_config()
    again = optimizers.get(cfg["name"], cfg)
    assert again.get_config() == cfg


def test_sgd_config_fixed(golden):
    # 0.1.3 raised AttributeError here (golden config_error); we return the 0.2.0 config.
    assert "AttributeError" in str(load(golden, "sgd_default")["config_error"])
    cfg = optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True, decay=0.01).get_config()
    assert cfg == {"name": "SGD", "lr": 0.1, "momentum": 0.9, "decay": 0.01, "nesterov": True}
    assert json.loads(json.dumps(cfg)) == cfg
    assert optimizers.get("sgd", cfg).get_config() == cfg


def test_hyperparameters_are_shared_scalars():
    opt = optimizers.SGD(lr=0.5)
    for attr in ("lr", "momentum", "decay"):
        var = getattr(opt, attr)
        assert isinstance(var, pytensor.compile.SharedVariable)
        assert var.get_value().dtype == K.floatx() and var.get_value().ndim == 0
    opt.lr.set_value(np.asarray(0.25, dtype=K.floatx()))
    assert opt.get_config()["lr"] == 0.25
    assert isinstance(optimizers.RMSprop().rho, pytensor.compile.SharedVariable)


def test_get_state_set_state_roundtrip(golden):
    data = load(golden, "adam")
    opt = optimizers.Adam()
    train, params = build_train_fn(data, opt)
    train(data["X"], data["y"])
    state = opt.get_state()
    # iterations, then m and v for each of the 4 params
    assert len(state) == 1 + 2 * 4
    assert float(state[0]) == 1.0
    assert [s.shape for s in state[1::2]] == [data[f"init_{i}"].shape for i in range(4)]
    train(data["X"], data["y"])
    after2 = [p.get_value() for p in params]
    # rewind the weights and the optimizer state, then the next step repeats exactly
    for p, i in zip(params, range(4)):
        p.set_value(data[f"step1_{i}"].copy())
    opt.set_state(state)
    train(data["X"], data["y"])
    for p, w in zip(params, after2):
        np.testing.assert_array_equal(p.get_value(), w)
    with pytest.raises(ValueError, match="expected 9 arrays"):
        opt.set_state(state[:-1])


def test_constraints_applied_to_new_value(golden):
    data = load(golden, "sgd_default")
    opt = optimizers.SGD()
    train, params = build_train_fn(data, opt, constraints=[lambda p: T.clip(p, -0.1, 0.1), None, None, None])
    train(data["X"], data["y"])
    np.testing.assert_allclose(params[0].get_value(), np.clip(data["step1_0"], -0.1, 0.1), atol=1e-12)
    np.testing.assert_allclose(params[2].get_value(), data["step1_2"], atol=1e-12)
    with pytest.raises(ValueError, match="aligned with params"):
        optimizers.SGD().get_updates(params, [None], T.sum(params[0]))


def test_clip_helpers_and_clipvalue():
    g = T.vector()
    n = T.scalar()
    f = K.function([g, n], [optimizers.clip_norm(g, 2.0, n)], mode="FAST_COMPILE")
    np.testing.assert_allclose(f(np.array([3.0, 4.0]), 5.0)[0], [1.2, 1.6])
    np.testing.assert_allclose(f(np.array([0.3, 0.4]), 1.0)[0], [0.3, 0.4])
    assert optimizers.clip_norm(g, 0, n) is g

    p, q = T.vector(), T.vector()
    kl = K.function([p, q], [optimizers.kl_divergence(p, q)], mode="FAST_COMPILE")
    pv, qv = np.array([0.2, 0.5]), np.array([0.3, 0.1])
    np.testing.assert_allclose(kl(pv, qv)[0], qv - pv + pv * np.log(pv / qv))

    w = pytensor.shared(np.array([1.0, -2.0, 3.0]))
    opt = optimizers.SGD(clipvalue=0.5)
    grads = opt.get_gradients(T.sum(w**3), [w])
    gv = K.function([], grads, mode="FAST_COMPILE")()[0]
    np.testing.assert_allclose(gv, np.clip(3 * w.get_value() ** 2, -0.5, 0.5))
    with pytest.raises(TypeError, match="clipnorm must be a number"):
        optimizers.SGD(clipnorm="big")
    # None ran in 0.1.3 (Python 2: None > 0 is False): no clipping
    gv = K.function([], optimizers.SGD(clipnorm=None, clipvalue=None).get_gradients(T.sum(w**3), [w]),
                    mode="FAST_COMPILE")()[0]
    np.testing.assert_allclose(gv, 3 * w.get_value() ** 2)


def test_registry():
    assert optimizers.sgd is optimizers.SGD and optimizers.adam is optimizers.Adam
    assert isinstance(optimizers.get("rmsprop"), optimizers.RMSprop)
    assert optimizers.get("adam", {"lr": 0.01}).get_config()["lr"] == 0.01
    inst = optimizers.Adagrad()
    assert optimizers.get(inst) is inst
    with pytest.raises(ValueError, match="Invalid optimizer: 'adamw'.*Adadelta"):
        optimizers.get("adamw")
    with pytest.raises(TypeError):
        optimizers.get(3)
