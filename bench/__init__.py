"""The performance benchmark behind ``make bench`` (issue 3, item 7).

``bench.synthetic`` generates a registry of realistic shape from a seed and bulk-inserts it;
``bench.measure`` drives the real pipeline (a Celery worker on Redis) and times it;
``bench.run`` is the command line that ties them together and writes the report.
"""
