"""Virtual time for the scripts a rehearsed buildspec runs: `time.sleep` returns at once and moves
`time.time` and `time.monotonic` forward by what it would have slept."""

import time

_slept = [0.0]
_real_time, _real_monotonic = time.time, time.monotonic


def _sleep(seconds: float) -> None:
    _slept[0] += seconds


time.sleep = _sleep
time.time = lambda: _real_time() + _slept[0]
time.monotonic = lambda: _real_monotonic() + _slept[0]
