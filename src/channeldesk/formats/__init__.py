"""Date and number formats that override Django's per language (`FORMAT_MODULE_PATH`)."""
