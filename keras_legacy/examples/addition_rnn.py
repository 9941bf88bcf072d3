"""Learn to add: "12+345" -> "357", a sequence-to-sequence LSTM in the Keras 0.1.3 API.

    python -m keras_legacy.examples.addition_rnn [--digits 2] [--hidden 128]
        [--max-epochs 150] [--out-dir DIR] [--seed 1337]

The question (reversed, padded to ``2 * digits + 1`` characters) and the
answer (``digits + 1`` characters) are one-hot encoded.  Model: an LSTM
encoder, ``RepeatVector`` over the answer length, an LSTM decoder with
``return_sequences=True``, ``TimeDistributedDense`` and a softmax, all with
the 0.1.3 input-first constructors.  Training runs epoch by epoch with the
0.x progress bar until the per-character validation accuracy passes 0.9
(a callback sets ``model.stop_training``; ``--max-epochs`` caps it; about
40-60 epochs, one to two minutes on 2 cores).  The weights (HDF5) and the architecture (JSON) are
then saved, reloaded into a new model, and the reloaded model's predictions
are checked to be identical.  Everything runs offline.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from keras_legacy.callbacks import Callback
from keras_legacy.examples.save_reload import save_and_reload
from keras_legacy.layers.core import Activation, RepeatVector, TimeDistributedDense
from keras_legacy.layers.recurrent import LSTM
from keras_legacy.models import Sequential

CHARS = "0123456789+ "


class CharacterTable:
    """One-hot encoding of strings over a fixed alphabet."""

    def __init__(self, chars):
        self.chars = sorted(set(chars))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def encode(self, text, length):
        x = np.zeros((length, len(self.chars)))
        for i, c in enumerate(text):
            x[i, self.index[c]] = 1
        return x

    def decode(self, x):
        return "".join(self.chars[i] for i in x.argmax(axis=-1))


def make_data(digits, n, rng):
    """``n`` distinct questions "a+b" (a, b with up to ``digits`` digits), reversed and padded."""
    maxlen = 2 * digits + 1
    seen, questions, answers = set(), [], []
    limit = (10 ** digits) ** 2
    while len(questions) < min(n, limit // 2):
        a, b = (int(rng.integers(0, 10 ** int(rng.integers(1, digits + 1)))) for _ in range(2))
        key = tuple(sorted((a, b)))
        if key in seen:
            continue
        seen.add(key)
        q = f"{a}+{b}"
        questions.append((q + " " * (maxlen - len(q)))[::-1])
        ans = str(a + b)
        answers.append(ans + " " * (digits + 1 - len(ans)))
    table = CharacterTable(CHARS)
    X = np.stack([table.encode(q, maxlen) for q in questions])
    y = np.stack([table.encode(a, digits + 1) for a in answers])
    return X, y, table


class StopAtAccuracy(Callback):
    """Show a few answers after each epoch; stop once ``val_acc`` passes ``target``."""

    def __init__(self, target, X_show, y_show, table):
        super().__init__()
        self.target, self.X_show, self.y_show, self.table = target, X_show, y_show, table

    def on_epoch_end(self, epoch, logs={}):  # noqa: B006 (the 0.x signature)
        pred = self.model.predict(self.X_show, verbose=0)
        for q, t, p in zip(self.X_show, self.y_show, pred):
            decode = self.table.decode
            mark = "ok" if decode(t) == decode(p) else "--"
            print(f"  {mark} Q {decode(q)[::-1]!r}  T {decode(t)!r}  P {decode(p)!r}")
        if logs.get("val_acc", 0.0) > self.target:
            self.model.stop_training = True


def build_model(n_chars, hidden, answer_len):
    model = Sequential()
    model.add(LSTM(n_chars, hidden))
    model.add(RepeatVector(answer_len))
    model.add(LSTM(hidden, hidden, return_sequences=True))
    model.add(TimeDistributedDense(hidden, n_chars))
    model.add(Activation("softmax"))
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--max-epochs", type=int, default=150)
    parser.add_argument("--target-acc", type=float, default=0.9)
    parser.add_argument("--out-dir", default=None)
    parser.add_argument("--seed", type=int, default=1337)
    args = parser.parse_args(argv)

    np.random.seed(args.seed)  # the initialisers draw from NumPy's global generator
    rng = np.random.default_rng(args.seed)
    X, y, table = make_data(args.digits, args.samples, rng)
    split = int(0.9 * len(X))
    X_train, y_train, X_val, y_val = X[:split], y[:split], X[split:], y[split:]
    print(f"{len(X)} questions ({args.digits}-digit addends): {len(X_train)} train, {len(X_val)} validation")

    model = build_model(len(table.chars), args.hidden, args.digits + 1)
    model.compile(loss="categorical_crossentropy", optimizer="adam")

    stopper = StopAtAccuracy(args.target_acc, X_val[:3], y_val[:3], table)
    history = model.fit(X_train, y_train, batch_size=args.batch_size, nb_epoch=args.max_epochs, verbose=1,
                        show_accuracy=True, validation_data=(X_val, y_val), callbacks=[stopper])
    val_acc = history.history["val_acc"][-1]
    epochs = len(history.epoch)
    if val_acc > args.target_acc:
        print(f"validation accuracy {val_acc:.4f} > {args.target_acc} after {epochs} epochs")
    else:
        print(f"stopped after {epochs} epochs at validation accuracy {val_acc:.4f}")

    if not save_and_reload(model, X_val, args.out_dir, "addition_rnn", "questions"):
        return 1
    return 0 if val_acc > args.target_acc else 2


if __name__ == "__main__":
    sys.exit(main())
