"""Managed-service usage events, rating per user and time, and monthly partner statements (R14)."""
