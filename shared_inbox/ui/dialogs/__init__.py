"""Modal prompts and pickers: a question asked over a screen, answered, dismissed."""
