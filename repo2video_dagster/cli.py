"""Placeholder CLI (replaced as the project grows)."""

import sys


def main(argv: list[str] | None = None) -> int:
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
