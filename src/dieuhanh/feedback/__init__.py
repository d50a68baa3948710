"""Citizen field reports (phản ánh hiện trường): Open311 GeoReport v2, web form, agency workflow."""
