"""One URL module per ``BENCH_VIEWS`` value; ``ROOT_URLCONF`` names the one chosen."""
