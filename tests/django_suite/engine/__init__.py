"""The harness ENGINE of the native run (see :mod:`.base`)."""
