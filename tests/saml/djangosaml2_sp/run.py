"""Migrates the test app's own SQLite database and serves it (``python run.py HOST:PORT``)."""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    os.environ["DJANGO_SETTINGS_MODULE"] = "sp_settings"
    from django.core.management import execute_from_command_line

    execute_from_command_line(["run.py", "migrate", "--noinput", "--verbosity", "0"])
    execute_from_command_line(["run.py", "runserver", "--noreload", sys.argv[1]])
