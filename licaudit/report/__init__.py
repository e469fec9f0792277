"""Writers: turn result frames into terminal tables, CSV, JSON or Parquet.

Writers know nothing about licence rules; they format what ``licaudit.audit`` computed.
"""
