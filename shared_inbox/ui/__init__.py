"""The terminal user interface: key registry, help, palette, themes and screens."""
