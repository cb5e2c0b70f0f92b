"""`python -m bench [name ...]`: run the named benchmarks (default: all) and print their numbers."""

import argparse
import asyncio
import importlib
import sys

BENCHMARKS = {
    "outbox": "bench.outbox",
    "peak": "bench.peak",
    "lag": "bench.lag",
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench", description=__doc__)
    parser.add_argument("names", nargs="*", choices=[[], *BENCHMARKS], default=[])
    args, rest = parser.parse_known_args()
    for name in args.names or list(BENCHMARKS):
        module = importlib.import_module(BENCHMARKS[name])
        print(f"== {name}", flush=True)
        asyncio.run(module.main(rest))
    sys.exit(0)


if __name__ == "__main__":
    main()
