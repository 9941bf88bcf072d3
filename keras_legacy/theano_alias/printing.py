"""``theano.printing``: PyTensor's printing module (``debugprint``, ``pp``, ``pydotprint``...)."""

import pytensor.printing as _printing
from pytensor.printing import *  # noqa: F401,F403


def __getattr__(name):
    return getattr(_printing, name)
