"""Chỉ số chuyển đổi số và quản trị."""
