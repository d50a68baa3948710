"""Quan trắc không khí."""
