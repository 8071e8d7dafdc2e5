"""Training courses from the outside training company, completions, training criterion (R7)."""
