"""`python -m sampleapp.healthcheck`: exit 0 when the local server answers its health path.

The container health check of the task definition (the image has no curl).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

from sampleapp.server import Settings


def healthy(settings: Settings, timeout: float = 3) -> bool:
    url = f"http://127.0.0.1:{settings.port}{settings.health_check_path}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def main(env: Mapping[str, str] = os.environ) -> int:
    return 0 if healthy(Settings.from_environment(env)) else 1


if __name__ == "__main__":
    sys.exit(main())
