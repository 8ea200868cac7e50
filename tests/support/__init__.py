"""What test modules share: helpers (imported) and fixtures (plugins named in
tests/conftest.py). Test modules import from here, never from each other."""
