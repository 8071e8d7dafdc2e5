"""Partners' feedback on a draft tier policy that staff opened for comment (R3)."""
