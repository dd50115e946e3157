#!/usr/bin/env python
"""The library project's manage.py; ``DJANGO_SETTINGS_MODULE`` picks the step (step0 by default)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "step0.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
