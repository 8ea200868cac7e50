"""`python -m app` and the `hyperzoom` script run the command from here.

This module imports nothing at the top: the worker's sandboxed child is spawned, and spawning
imports again the script that started the worker, which imports this module; the command's
layers (SQLAlchemy, FastAPI) are not for that child to load.
"""


def main() -> None:
    """Entry point of the `hyperzoom` script."""
    from app.cli.main import main as run

    run()


if __name__ == "__main__":
    main()
