"""The `hyperzoom` command, one module per job.

main: the Typer app; serve, worker, demo and db. experiments: `experiment`, `search` and
`status`, through the REST API. exchange: `export` and `import`. errors: the one way every
command fails. client: the JSON client those commands call the API with (httpx only).

This module imports nothing: importing the client does not load the command.
"""
