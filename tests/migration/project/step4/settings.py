"""Step 4: the function views converted by the codemod."""

from step3.settings import *  # noqa: F403

ROOT_URLCONF = "step4.urls"
