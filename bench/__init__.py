"""Balie's benchmark suite: `python -m bench [--quick]` (`make bench`, `make bench-quick`).

It makes its own data with the generator (`balie seed`) in a database of its own, starts a real
uvicorn (and a Celery worker when REDIS_URL is set), drives it over HTTP from this process,
prints a table and writes var/bench/results.json. See docs/performance.md.
"""
