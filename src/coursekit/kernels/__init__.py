"""Running notebooks: the executor, the fork server, the sandbox."""
