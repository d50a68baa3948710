"""Sự kiện trực tiếp và xử lý sự cố."""
