"""Views of the vendor back office, one module per page group."""
