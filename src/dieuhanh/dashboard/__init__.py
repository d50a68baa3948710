"""Leaders' boards: overview, domain boards, wall playlist, commune map, PDF/XLSX exports."""
