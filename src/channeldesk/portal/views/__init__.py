"""Views of the partner portal, one module per page group."""
