"""Licence keycodes, signed certificates, installation check-ins, under-licensing (R12, R13)."""
