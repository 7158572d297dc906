"""KPIs computed from a validation result: pure, vectorised pandas, no I/O.

``validators.kpi.report.compute_kpis`` runs them all. Each module computes one
family of KPIs and documents its definitions. This package file imports
nothing, because ``validators.design`` imports ``validators.kpi.settings``.
"""
