"""Past one machine: licaudit's own ingest and models run in Apache Spark tasks (issue 11).

``licaudit report --engine spark --spark-master URL`` reads and counts as the one-machine
path does, in four steps:

1. **Ingest in tasks** (``licaudit.spark.ingest``). The driver finds the input files as
   ``ingest`` does; one Spark task per file, or per slice of whole row groups of a large
   Parquet file whose times are typed, runs licaudit's reading and normalizing
   (``read_table``, ``_ingest_table``), so every rule of SPEC 1 holds unchanged, rejects and
   their record numbers included. A task gives its used events, each with its part (a
   hash of its identity, as ``licaudit.partition`` places it), and one row of what it
   found: the file's report, rejects, distinct names and time span. Spark caches them.
2. **The driver** rebuilds ``Ingested`` from those rows in file order (reconciliation,
   warnings, rejects as the one-machine path gives them), and the dictionaries of names
   exactly as ``encode`` makes them (with the roster's users and products).
3. **Models in tasks** (``licaudit.spark.models``): ``groupBy(part).applyInArrow`` gives
   each part's events, in file order, to a Python task that codes them with the
   dictionaries and reduces them by every split model's ``partial`` (Polars, as on one
   machine); the partials come back to the driver as bytes.
4. **The driver** merges the partials and runs each model's ``finish``, the roster models
   and the rules common to every model (``licaudit.audit.evaluate_partials``): the same
   bytes as ``licaudit report`` on one machine.

PySpark is an optional extra (``pip install "licaudit[spark]"``): nothing imports it but
``licaudit.spark.session``, and only when ``--engine spark`` is asked.
"""

from __future__ import annotations

from licaudit.spark.models import SparkEvents, read_in_spark

__all__ = ["SparkEvents", "read_in_spark"]
