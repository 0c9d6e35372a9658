"""pytest fixtures shipped with the package (the emulator fixture lands with the emulator)."""
