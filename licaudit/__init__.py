"""licaudit: audit software-licence consumption from raw access logs."""

from __future__ import annotations

import os

__version__ = "0.1.0"

# Polars allocates through jemalloc. Three settings, measured on 2 vCPUs (bench/RESULTS.md):
# - by default jemalloc keeps the pages a query frees for about ten seconds, so a run of a
#   few seconds holds every query's working memory at once; kept five seconds (and given
#   back at once when merely unused: muzzy_decay_ms:0) they are still reused by the next
#   query instead of being faulted in again, without the peak of ten;
# - every large buffer (a column of millions of rows) in the arenas, instead of an arena
#   of its own (oversize_threshold:0), and few arenas for the threads (one per two cores):
#   a page one thread frees is the next one another thread takes.
# Together: 100 M events 50.6-52.1 s against 53.4-57.1 s (half the system time, a million
# page faults fewer), 6.5-6.8 GB; 10 M events 1.22-1.32 GB against 1.27-1.43 GB, and
# 0.1 s faster. Read by jemalloc when polars is first loaded, so it is set before anything
# imports polars; a value set outside wins.
ARENAS = max(1, (os.cpu_count() or 2) // 2)
os.environ.setdefault(
    "_RJEM_MALLOC_CONF",
    f"dirty_decay_ms:5000,muzzy_decay_ms:0,narenas:{ARENAS},oversize_threshold:0",
)
