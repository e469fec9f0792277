"""What ``licaudit check`` prints for cron: one line per contract and period over capacity."""

from __future__ import annotations

from licaudit.audit import AuditResult, Period


def overage_lines(audit: AuditResult, period: Period) -> list[str]:
    """``contract scope period: units, capacity, excess`` for each period over capacity."""
    return [
        f"{row['contract']} {row['scope']} {row['period']}: {row['units']} units, "
        f"capacity {row['capacity']}, excess {row['excess']}"
        for row in audit.overage(period).iter_rows(named=True)
    ]
