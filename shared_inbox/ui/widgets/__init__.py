"""Widgets the screens are made of: the list, the message, badges, panels, the footer."""
