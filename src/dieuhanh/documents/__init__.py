"""Văn bản cho lãnh đạo."""
