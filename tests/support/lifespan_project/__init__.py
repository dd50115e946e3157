"""A tiny project whose lifespan hooks record what they do, served by real servers in tests.

Each hook and the per-loop resource append one line to the file named by the
``LIFESPAN_EVENTS`` environment variable; ``LIFESPAN_FAIL=1`` adds a startup hook that raises.
"""
