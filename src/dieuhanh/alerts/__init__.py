"""Alerts on indicator values (Grafana-style rules, instances, silences, notifications) and directives (chỉ đạo).

The indicators engine calls ``dieuhanh.alerts.service.evaluate(session)`` after each recompute; the scheduler
runs the same evaluation every minute (``jobs.py``).
"""
