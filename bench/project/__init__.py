"""The Django project the HTTP benchmarks serve: startproject's defaults, DEBUG off."""
