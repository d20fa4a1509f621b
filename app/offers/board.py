"""Routes of the offers package (filled in by the offers work)."""
