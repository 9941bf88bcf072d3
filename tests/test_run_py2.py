"""``python -m keras_legacy.run --py2``: Python 2 habits of a 2015 script, in its own code only.

Scripts are written to tmp_path and run in subprocesses with this worktree on PYTHONPATH.
"""

from __future__ import annotations

import builtins
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from keras_legacy import py2builtins, py2compat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_py2(tmp_path, source, *args, name="script.py", stdin="", extra=("--py2",)):
    script = tmp_path / name
    script.write_text(textwrap.dedent(source))
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run(
        [sys.executable, "-m", "keras_legacy.run", *extra, str(script), *args],
        check=False, capture_output=True, text=True, env=env, cwd=str(tmp_path), input=stdin,
        timeout=120)


def last_json(result):
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


HABITS = """
    import json, sys
    import cPickle, cStringIO, Queue
    from itertools import izip
    import numpy as np

    out = {}
    X = range(6)
    np.random.seed(3)
    np.random.shuffle(X)                       # a list, as Python 2's range gave
    out["shuffled"] = X
    out["xrange"] = sum(xrange(5))
    out["typed"] = raw_input()
    out["unicode"] = [unicode(5), isinstance("s", basestring), long("12") + 1]
    out["reduce"] = reduce(lambda a, b: a * b, [1, 2, 3, 4])
    out["div"] = [7 / 2, -7 / 2, 7 / 2.0, 7.0 / 2, len(X) / 4, True / 2]
    out["np_div"] = [int(np.int64(7) / 2), (np.arange(5) / 2).tolist(), (np.arange(4.0) / 2).tolist()]
    n = 9
    n /= 2
    v = 9.0
    v /= 2
    arr = np.arange(6)
    same = arr
    arr /= 4                                   # in place on an integer array
    out["idiv"] = [n, v, same.tolist(), arr is same]
    d = {"b": 2, "a": 1}
    keys = d.keys()
    keys.sort()
    out["dict"] = [keys, d.has_key("a"), sorted(d.iteritems()), sorted(d.itervalues()), d.values()[0] in (1, 2)]
    out["lists"] = [zip([1, 2], [3, 4])[1], map(str, [1, 2]), filter(None, [0, 1, 2]), filter(str.isdigit, "a1b2")]
    out["round"] = [round(2.5), round(-0.5), round(0.125, 2), round(2.675, 2)]
    out["cmp"] = [cmp(1, 2), cmp("b", "a")]
    with open("model.pkl", "w") as f:          # text mode, as Python 2 scripts did
        cPickle.dump({"X": X, "arr": np.arange(3)}, f)
    loaded = cPickle.load(open("model.pkl"))
    out["pickle"] = [loaded["X"] == X, loaded["arr"].tolist()]
    q = Queue.Queue()
    q.put(4)
    buf = cStringIO.StringIO()
    buf.write("abc")
    out["modules"] = [q.get(), buf.getvalue(), list(izip([1], [2])), "caf".decode("utf-8")]
    out["argv"] = sys.argv[1:]
    print >>sys.stderr, "to stderr", 1
    print
    print(json.dumps(out))
"""


def test_python2_habits(tmp_path):
    result = run_py2(tmp_path, HABITS, "--flag", "7", stdin="typed words\n")
    out = last_json(result)
    expected_order = list(range(6))
    np.random.RandomState(3).shuffle(expected_order)
    assert out["shuffled"] == expected_order
    assert out["xrange"] == 10 and out["typed"] == "typed words"
    assert out["unicode"] == ["5", True, 13] and out["reduce"] == 24
    assert out["div"] == [3, -4, 3.5, 3.5, 1, 0]
    assert out["np_div"] == [3, [0, 0, 1, 1, 2], [0.0, 0.5, 1.0, 1.5]]
    assert out["idiv"] == [4, 4.5, [0, 0, 0, 0, 1, 1], True]
    assert out["dict"] == [["a", "b"], True, [["a", 1], ["b", 2]], [1, 2], True]
    assert out["lists"] == [[2, 4], ["1", "2"], [1, 2], "12"]
    assert out["round"] == [3.0, -1.0, 0.13, 2.67]
    assert out["cmp"] == [-1, 1]
    assert out["pickle"] == [True, [0, 1, 2]]
    assert out["modules"] == [4, "abc", [[1, 2]], "caf"]
    assert out["argv"] == ["--flag", "7"]
    assert result.stderr.strip() == "to stderr 1"
    assert result.stdout.splitlines()[0] == ""  # the lone `print`


def test_rewrite_is_limited_to_the_script(tmp_path):
    (tmp_path / "helper_mod.py").write_text(textwrap.dedent("""
        import builtins
        half = 7 / 2
        try:
            import cPickle
            has_cpickle = True
        except ImportError:
            has_cpickle = False
        has_xrange = hasattr(builtins, "xrange")
        def keys_of(d):
            return d.keys()
    """))
    result = run_py2(tmp_path, """
        import json, sys
        import cPickle
        import helper_mod
        print(json.dumps([7 / 2, helper_mod.half, helper_mod.has_cpickle, helper_mod.has_xrange,
                          "cPickle" in sys.modules, type(helper_mod.keys_of({1: 2})).__name__,
                          type({1: 2}.keys()).__name__]))
    """)
    assert last_json(result) == [3, 3.5, False, False, False, "dict_keys", "list"]


def test_future_division_keeps_true_division(tmp_path):
    result = run_py2(tmp_path, """
        from __future__ import division, print_function
        import json
        x = 7
        x /= 2
        print(json.dumps([7 / 2, x, 7 // 2]))
    """)
    assert last_json(result) == [3.5, 3.5, 3]


def test_script_classes_get_python3_method_names(tmp_path):
    result = run_py2(tmp_path, """
        import json
        class Vec(object):
            def __init__(self, v):
                self.v = v
            def __div__(self, other):
                return Vec(self.v * 10 + other)
            def __rdiv__(self, other):
                return Vec(other * 100)
            def __nonzero__(self):
                return self.v > 0
        class Count(object):
            def __init__(self):
                self.i = 0
            def __iter__(self):
                return self
            def next(self):
                self.i += 1
                if self.i > 3:
                    raise StopIteration
                return self.i
        class OwnIter(object):
            def iteritems(self):
                return "own"
        print(json.dumps([(Vec(3) / 2).v, (5 / Vec(1)).v, bool(Vec(0)), bool(Vec(2)),
                          list(Count()), OwnIter().iteritems()]))
    """)
    assert last_json(result) == [32, 500, False, True, [1, 2, 3], "own"]


def test_augmented_division_evaluates_its_target_once(tmp_path):
    result = run_py2(tmp_path, """
        import json
        calls = []
        def index():
            calls.append(1)
            return 1
        class Box(object):
            pass
        def box():
            calls.append(2)
            return holder
        holder = Box()
        holder.n = 9
        data = [10, 11, 12]
        data[index()] /= 2
        box().n /= 2
        print(json.dumps([data, holder.n, calls]))
    """)
    assert last_json(result) == [[10, 5, 12], 4, [1, 2]]


def test_keras_alias_and_py2_together(tmp_path):
    result = run_py2(tmp_path, """
        import json
        from keras.utils import np_utils
        import keras_legacy.utils.np_utils
        y = np_utils.to_categorical([0, 2, 1], 3)
        print(json.dumps([np_utils is keras_legacy.utils.np_utils, y.tolist(), len(y) / 2]))
    """, extra=("--keras", "0.1.3", "--py2"))
    assert last_json(result) == [True, [[1, 0, 0], [0, 0, 1], [0, 1, 0]], 1]


def test_runtime_error_points_at_the_script_line(tmp_path):
    result = run_py2(tmp_path, """
        x = 1

        y = x / 0
    """)
    assert result.returncode == 1
    assert f'File "{tmp_path / "script.py"}", line 4' in result.stderr
    assert "ZeroDivisionError" in result.stderr


@pytest.mark.parametrize("source, lineno, advice", [
    ('x = 1\nprint "hello", x\n', 2, "print is a function"),
    ("try:\n    pass\nexcept ValueError, e:\n    pass\n", 3, "except ExceptionType as name"),
    ("y = `3`\n", 1, "repr("),
    ("s = ur'abc'\n", 1, "ur''"),
    ("m = 0777\n", 1, "0o777"),
    ("n = 10L\n", 1, "drop the L"),
    ("if 1 <> 2:\n    pass\n", 1, "!="),
    ('exec "x = 1"\n', 1, "exec(code"),
    ('raise ValueError, "bad"\n', 1, "raise ExceptionType(message)"),
    ("def f(a, (b, c)):\n    pass\n", 1, "tuple parameters"),
    ("if 1:\n\tx = 1\n        y = 2\n", 3, "tabs and spaces"),
])
def test_python2_syntax_is_reported(source, lineno, advice):
    with pytest.raises(py2compat.Py2SyntaxError) as info:
        py2compat.compile_py2(source, "old.py")
    message = str(info.value)
    assert message.startswith(f"old.py, line {lineno}: Python 3 cannot parse this line")
    assert advice in message
    assert info.value.lineno == lineno


def test_syntax_report_exits_without_traceback(tmp_path):
    result = run_py2(tmp_path, "import os\nprint 'hi'\n", name="legacy.py")
    assert result.returncode == 1 and result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"keras_legacy.run --py2: {tmp_path / 'legacy.py'}, line 2:")
    assert "print 'hi'" in result.stderr and "write print(...)" in result.stderr


def test_without_py2_the_script_runs_as_python3(tmp_path):
    result = run_py2(tmp_path, "import json\nprint(json.dumps(7 / 2))\n", extra=())
    assert last_json(result) == 3.5


class _IntTensorLike:
    dtype = "int32"

    def __floordiv__(self, other):
        return ("floordiv", other)

    def __truediv__(self, other):
        return ("truediv", other)


class _FloatTensorLike(_IntTensorLike):
    dtype = "float32"


@pytest.mark.parametrize("a, b, expected", [
    (7, 2, 3), (-7, 2, -4), (7, -2, -4), (7, 2.0, 3.5), (7.0, 2, 3.5), (True, 2, 0),
    (np.int32(7), 2, 3), (7, np.uint8(2), 3), (np.float32(7), 2, 3.5),
    (2 ** 70, 3, 2 ** 70 // 3), (1 + 2j, 2, 0.5 + 1j),
])
def test_classic_div_scalars(a, b, expected):
    result = py2builtins.classic_div(a, b)
    assert result == expected and type(result) is type(a // b if isinstance(expected, int) else a / b)


def test_classic_div_arrays_and_tensors():
    np.testing.assert_array_equal(py2builtins.classic_div(np.array([-3, 3, 5]), 2), [-2, 1, 2])
    assert py2builtins.classic_div(np.array([-3, 3]), 2).dtype.kind == "i"
    np.testing.assert_array_equal(py2builtins.classic_div(np.array([3.0]), 2), [1.5])
    np.testing.assert_array_equal(py2builtins.classic_div(np.array([3]), np.array([2.0])), [1.5])
    assert py2builtins.classic_div(_IntTensorLike(), 2) == ("floordiv", 2)
    assert py2builtins.classic_div(_FloatTensorLike(), 2) == ("truediv", 2)
    assert py2builtins.classic_div(_IntTensorLike(), 2.0) == ("truediv", 2.0)


def test_script_builtins_are_fresh_and_leave_builtins_alone():
    names = py2builtins.script_builtins()
    assert names["xrange"] is range and names["unicode"] is str and names["long"] is int
    assert not hasattr(builtins, "xrange") and builtins.range is range
    assert names["__import__"]("cPickle").dumps is __import__("pickle").dumps
    assert names["__import__"]("os") is os
    assert py2builtins.script_builtins() is not names


def test_six_imports_work_with_or_without_six(tmp_path):
    result = run_py2(tmp_path, """
        from __future__ import print_function
        import json
        import six.moves.cPickle
        from six.moves import range, zip
        import six
        data = six.moves.cPickle.loads(six.moves.cPickle.dumps([1, 2]))
        print(json.dumps([list(range(3)), six.PY3, data, list(zip([1], [2])),
                          sorted(six.iteritems({"a": 1})), isinstance("s", six.string_types)]))
    """)
    assert last_json(result) == [[0, 1, 2], True, [1, 2], [[1, 2]], [["a", 1]], True]


@pytest.mark.parametrize("args, expected", [
    ((2.5,), 3.0), ((-2.5,), -3.0), ((0.5,), 1.0), ((1.5,), 2.0), ((7,), 7.0),
    ((2.675, 2), 2.67), ((0.125, 2), 0.13), ((1250, -2), 1300.0), ((1e300, 2), 1e300),
    ((np.float32(2.5),), 3.0), ((np.int64(3),), 3.0),
])
def test_python2_round(args, expected):
    result = py2builtins.script_builtins()["round"](*args)
    assert type(result) is float and result == expected


@pytest.mark.parametrize("args, expected", [
    ((r"(\W+)?", "Where is Mary? "), ["Where", " ", "is", " ", "Mary", "? ", ""]),
    ((r"\s*", "a bc"), ["a", "bc"]),
    ((r"(,)", "a,b,c", 1), ["a", ",", "b,c"]),
    ((r"x*", ""), [""]),
    ((r"[A-Z]", "aBcD", 0, 0), ["a", "c", ""]),
    ((r"b", "aBcb", 0, __import__("re").IGNORECASE), ["a", "c", ""]),
])
def test_python2_re_split_ignores_empty_matches(args, expected):
    split = py2builtins.script_builtins()["__import__"]("re").split
    assert split(*args) == expected


def test_python2_re_split_in_a_script(tmp_path):
    result = run_py2(tmp_path, r"""
        import json, re
        from re import split
        words = [x.strip() for x in re.split('(\W+)?', 'Mary moved to the bathroom.') if x.strip()]
        print(json.dumps([words, split(r'\s*', 'ab c'), re.findall('a', 'aa')]))
    """)
    assert last_json(result) == [["Mary", "moved", "to", "the", "bathroom", "."], ["ab", "c"], ["a", "a"]]
