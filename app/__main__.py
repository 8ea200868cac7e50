"""`python -m app` is the `hyperzoom` command."""

from app.cli import main

main()
