"""Progbar and printv (keras_legacy.utils.generic_utils): the 0.x console format."""

import re

import numpy as np
import pytest

from keras_legacy.utils import generic_utils
from keras_legacy.utils.generic_utils import Progbar, printv


def last_frame(out):
    """The text after the last carriage return (what the terminal shows)."""
    return out.split("\r")[-1]


def test_verbose1_bar_eta_and_weighted_average(capsys):
    bar = Progbar(10, width=10)
    bar.update(4, [("loss", 1.0), ("acc", 0.5)])
    out = capsys.readouterr().out
    frame = last_frame(out)
    assert frame == " 4/10 [===>......] - ETA: 0s - loss: 1.0000 - acc: 0.5000"
    assert not out.endswith("\n")

    bar.update(8, [("loss", 0.0), ("acc", 1.0)])
    frame = last_frame(capsys.readouterr().out)
    assert frame.startswith(" 8/10 [=======>..] - ETA: 0s")
    assert frame.rstrip().endswith("- loss: 0.5000 - acc: 0.7500")

    # last batch of 2: averages weighted by batch size (4, 4, 2)
    bar.update(10, [("loss", 0.25), ("acc", 0.0)])
    out = capsys.readouterr().out
    assert out.endswith("\n")
    frame = last_frame(out).rstrip("\n")
    expected_loss = (4 * 1.0 + 4 * 0.0 + 2 * 0.25) / 10
    expected_acc = (4 * 0.5 + 4 * 1.0 + 2 * 0.0) / 10
    assert re.fullmatch(
        r"10/10 \[==========\] - \d+s - loss: %.4f - acc: %.4f *" % (expected_loss, expected_acc), frame
    ), frame


def test_verbose1_pads_over_a_longer_previous_line(capsys):
    bar = Progbar(100, width=30)
    bar.update(10, [("a_long_metric_name", 1.0)])
    first = last_frame(capsys.readouterr().out)
    bar.update(20, [])
    out = capsys.readouterr().out
    # backspaces over the previous width, then a carriage return, then the frame
    assert out.startswith("\b" * len(first) + "\r")
    frame = last_frame(out)
    assert len(frame) >= len(first)
    assert frame.startswith(" 20/100 [=====>........................]")


def test_add_advances_from_seen(capsys):
    bar = Progbar(6, width=6)
    bar.add(2, [("loss", 3.0)])
    bar.add(2, [("loss", 1.0)])
    assert bar.seen_so_far == 4
    frame = last_frame(capsys.readouterr().out)
    assert frame == "4/6 [===>..] - ETA: 0s - loss: 2.0000"


def test_verbose2_one_line_at_the_end(capsys):
    bar = Progbar(10, verbose=2)
    bar.update(5, [("loss", 2.0)])
    assert capsys.readouterr().out == ""
    bar.update(10, [("loss", 1.0)])
    out = capsys.readouterr().out
    assert re.fullmatch(r"\d+s - loss: 1\.5000\n", out), out


def test_verbose0_silent(capsys):
    bar = Progbar(3, verbose=0)
    bar.update(3, [("loss", np.float64(0.5))])
    assert capsys.readouterr().out == ""
    assert bar.sum_values["loss"] == [1.5, 3]


def test_bad_target():
    with pytest.raises(ValueError, match="positive number"):
        Progbar(0)


def test_float_target_as_in_0x(capsys):
    bar = Progbar(10.0, width=10)  # e.g. len(X) / 2 in a Python 3 run of a 0.x script
    bar.update(5)
    bar.update(10)
    out = capsys.readouterr().out
    assert " 5/10 [====>.....]" in out and "10/10 [==========]" in out


def test_printv(capsys):
    cfg = {"name": "Dense", "output_dim": 3, "W_regularizer": {"name": "WeightRegularizer", "l1": 0.0}}
    printv(cfg)
    assert cfg["name"] == "Dense"  # not mutated
    assert capsys.readouterr().out.splitlines() == [
        "#Dense",
        "...output_dim:3",
        "...W_regularizer:",
        "...#WeightRegularizer",
        "......l1:0.0",
    ]
    printv([1, 2])
    assert capsys.readouterr().out.splitlines() == ["...#0", "......1", "...#1", "......2"]


def test_get_from_module_unchanged():
    reg = {"a": 1}
    assert generic_utils.get_from_module("a", reg, "thing") == 1
    with pytest.raises(ValueError, match="Invalid thing: 'b'. Expected one of: a."):
        generic_utils.get_from_module("b", reg, "thing")
    assert generic_utils.make_tuple(1, 2) == (1, 2)
