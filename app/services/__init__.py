"""Business logic as plain functions taking explicit arguments; no request access."""
