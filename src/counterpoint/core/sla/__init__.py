"""SLA and OLA attribution: outages and their evidence, maintenance windows, commitments, a month's figures."""
