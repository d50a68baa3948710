"""Thanh tra, kiểm tra không chồng chéo."""
