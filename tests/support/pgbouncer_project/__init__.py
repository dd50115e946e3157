"""A project on the native engine behind PgBouncer, served by several uvicorn workers."""
