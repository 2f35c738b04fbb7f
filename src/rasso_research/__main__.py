"""``python -m rasso_research``: the command line (:mod:`rasso_research.cli`)."""

from rasso_research.cli import main

if __name__ == "__main__":
    main()
