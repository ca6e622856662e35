"""Alembic's entry point for the store: runs on the connection that :mod:`..migrate` passes in.

There is no alembic.ini: the script location and version table are set in code, so a store
migrates the same way from the workbench, the CLI and the headless runtime.
"""

from alembic import context

config = context.config
context.configure(connection=config.attributes["connection"],
                  version_table=config.attributes["version_table"],
                  render_as_batch=True)  # SQLite alters tables by copying them

with context.begin_transaction():
    context.run_migrations()
