"""The aggregator page: three upstream calls made concurrently with the HTTP client."""
