"""The models of ``python -m bench.native_orm`` (tables created by the benchmark itself)."""
