"""The course model: folders and files, the table of contents, notebook vocabulary, lint, exercise sets."""
