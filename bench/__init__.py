"""django_asyncx's benchmarks: ``python -m bench`` runs them all, ``python -m bench NAME`` one.

Each benchmark is a module here with ``NAME``, ``DESCRIPTION`` and ``run(options)``; it prints
a table of ratios against its baselines and writes a JSON file into ``bench/results/``. The
method is in ``docs/performance.md``.
"""
