"""Public services: procedures and dossiers from the one-stop-shop system, Decision 766 indicators."""
