"""Schema versions of the documents opsctl stores, known without importing their models.

A listing answered from the cache checks the run index's format, which
names the run schema; importing the run models only for that number would
cost more than the rest of the command.
"""

RUN_SCHEMA = 2
"""Version of the run document written by this opsctl (2: history is a hash chain)."""
