"""Run several Keras 0.x scripts in one process, as ``python -m keras_legacy.run`` runs one.

    python run_group.py VERSION RESULT_JSON SCRIPT[:py2] [SCRIPT[:py2] ...]

Each script runs as ``__main__`` through :func:`keras_legacy.run.run_script`
(``--py2`` when its name ends in ``:py2``) in a fresh working folder, with the
``keras``/``theano`` aliases reinstalled and modules imported from the
scripts' folder forgotten between scripts.  The outcome of each (``ok`` or the traceback) is
written to RESULT_JSON; the process never stops at the first failure.
"""
import json
import os
import sys
import tempfile
import time
import traceback

from keras_legacy import run as kl_run


def main(version, result_path, specs):
    results = {}
    base_modules = set(sys.modules)
    base_cwd = os.getcwd()
    for spec in specs:
        script, _, flag = spec.partition(":")
        script = os.path.abspath(script)
        name = os.path.basename(script)
        kl_run.uninstall_aliases()
        for mod in set(sys.modules) - base_modules:
            origin = getattr(sys.modules[mod], "__file__", None) or ""
            if os.path.dirname(os.path.abspath(origin)) == os.path.dirname(script):
                del sys.modules[mod]  # a helper module next to the scripts: import it afresh
        start = time.time()
        workdir = tempfile.mkdtemp(prefix="kl_example_")
        os.chdir(workdir)
        saved_argv, saved_path = list(sys.argv), list(sys.path)
        try:
            kl_run.run_script(script, [], keras_version=version, py2=(flag == "py2"))
            results[name] = {"ok": True, "seconds": time.time() - start}
        except BaseException:  # a script's SystemExit counts as a failure too
            results[name] = {"ok": False, "seconds": time.time() - start,
                             "error": traceback.format_exc()}
        finally:
            sys.argv[:], sys.path[:] = saved_argv, saved_path
            os.chdir(base_cwd)
        print("%-32s %s %.1fs" % (name, "ok" if results[name]["ok"] else "FAILED",
                                  results[name]["seconds"]), flush=True)
    with open(result_path, "w") as out:
        json.dump(results, out, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
