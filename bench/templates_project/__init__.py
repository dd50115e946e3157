"""The project of the template benchmark (``bench/templates.py``): demo books on PostgreSQL."""
