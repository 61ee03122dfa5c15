"""Allow ``python -m opsctl``."""

from opsctl.cli.main import main

main()
