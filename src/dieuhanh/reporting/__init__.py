"""Periodic department reports: report types with XLSX templates, schedules, submissions, late list."""
