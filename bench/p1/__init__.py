"""The project served by ``bench/views_p1.py``: startproject's settings, two views, two stacks."""
