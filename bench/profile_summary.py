"""py-spy under load: record each gunicorn worker while wrk runs, then rank functions by share of samples.

python -m bench.profile_summary profile.<pid>.txt [...]   # summarise collapsed stacks recorded earlier
"""

import argparse
import contextlib
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from bench.servers import BenchError

TOP = 40


@contextlib.contextmanager
def record_profiles(pids: list[int], prefix: Path | None, duration: float) -> Iterator[None]:
    """While the body runs, py-spy samples each pid into `<prefix>.<pid>.txt` (collapsed stacks)."""
    if prefix is None:
        yield
        return
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        raise BenchError("py-spy is not installed: `.venv/bin/pip install py-spy`")
    recorders = [
        subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(int(duration)),
                "--rate",
                "200",
                "--format",
                "raw",
                "--output",
                f"{prefix}.{pid}.txt",
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in pids
    ]
    try:
        yield
    finally:
        for recorder in recorders:
            recorder.wait(timeout=duration + 60)
        paths = [Path(f"{prefix}.{pid}.txt") for pid in pids]
        print(summarise(paths), file=sys.stderr)


def read_stacks(paths: list[Path]) -> Counter:
    stacks: Counter = Counter()
    for path in paths:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if stack:
                stacks[stack] += int(count)
    return stacks


def _name(frame: str) -> str:
    """`function (path/to/file.py:12)` → `function (file.py)`; line numbers vary within one function."""
    function, _, where = frame.partition(" (")
    file = where.rsplit(":", 1)[0].rstrip(")")
    return f"{function} ({'/'.join(Path(file).parts[-2:])})"


def summarise(paths: list[Path], top: int = TOP) -> str:
    stacks = read_stacks(paths)
    total = sum(stacks.values()) or 1
    inclusive: Counter = Counter()
    own: Counter = Counter()
    for stack, count in stacks.items():
        frames = [_name(f) for f in stack.split(";")]
        for name in set(frames):
            inclusive[name] += count
        own[frames[-1]] += count
    lines = [f"{total} samples; inclusive share (function and what it calls), then own share"]
    lines += [f"{100 * n / total:6.1f}%  {name}" for name, n in inclusive.most_common(top)]
    lines.append("own time:")
    lines += [f"{100 * n / total:6.1f}%  {name}" for name, n in own.most_common(top // 2)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=TOP)
    options = parser.parse_args()
    print(summarise(options.paths, options.top))


if __name__ == "__main__":
    main()
