"""Step 5: the class-based view converted by hand: every view is async."""

from step4.settings import *  # noqa: F403

ROOT_URLCONF = "step5.urls"
