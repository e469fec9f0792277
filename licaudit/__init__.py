"""licaudit: audit software-licence consumption from raw access logs."""

from __future__ import annotations

import os

__version__ = "0.1.0"

# Polars allocates through jemalloc, which keeps the pages a query frees for about ten
# seconds before giving them back to the system: a run of a few seconds then holds every
# query's working memory at once, as if it were still in use. Pages given back after a
# second instead (and at once when merely unused) lower the peak of a 10 M-event report
# from 1.5 to 1.2 GiB at no cost in time; shorter delays save a little more memory but
# cost time on long runs, whose fresh pages must be faulted in again (100 M events: 69 s
# at 200 ms, 66 s at 1 s; bench/RESULTS.md). Read by jemalloc when polars is first
# loaded, so it is set before anything imports polars; a value set outside wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:1000,muzzy_decay_ms:0")
