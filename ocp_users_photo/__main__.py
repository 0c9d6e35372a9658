"""``python -m ocp_users_photo``: the command line, where its script is not on the PATH."""

from __future__ import annotations

import sys

from ocp_users_photo.console_script import main

if __name__ == "__main__":
    sys.exit(main())
