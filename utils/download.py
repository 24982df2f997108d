"""``make data``: download every dataset's original files into the cache and verify their checksums.

    python -m utils.download          # fetch and verify (files already present are only verified)
    python -m utils.download status   # where each dataset would be loaded from, without downloading
"""

from __future__ import annotations

import argparse

from .datasets import cache_dir, dataset_status, download_all
from .errors import main_with_one_line_errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.download", description="Course datasets.")
    parser.add_argument("command", nargs="?", default="fetch", choices=["fetch", "status"],
                        help="fetch: download and verify every dataset (default); status: where each one is")
    args = parser.parse_args(argv)
    if args.command == "status":
        for name, where in dataset_status().items():
            print(f"{name:14s} {where}")
        return 0
    print(f"Downloading into {cache_dir()} (files already present are verified, not fetched again)")
    failures = download_all()
    if failures:
        print(f"{failures} file(s) could not be fetched: connect to the internet, or copy the course data "
              "files into a folder and set COURSE_DATA_DIR to it")
    return 1 if failures else 0


if __name__ == "__main__":
    main_with_one_line_errors(main)
