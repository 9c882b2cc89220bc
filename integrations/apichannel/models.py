"""Models of this integration."""
