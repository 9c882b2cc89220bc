"""Sampling a server process with py-spy while a phase runs (`--profile` of the scenarios).

py-spy attaches from outside (no change to the process, `--nonblocking`), records collapsed
stacks, and this module prints where the time went: the project's own functions by inclusive
share of the samples (what to fix), and every function by self share (what the time is spent
on). py-spy is a bench-only tool: `pip install py-spy` (it is not in requirements.txt).
"""

import contextlib
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from bench import support

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")
PROJECT_DIRS = (
    "accounts/",
    "directory/",
    "rooms/",
    "queues/",
    "integrations/",
    "omnichannel/",
    "teamchat/",
    "productivity/",
)


def py_spy() -> str | None:
    found = Path(sys.executable).with_name("py-spy")
    return str(found) if found.exists() else shutil.which("py-spy")


class Profile:
    """`with Profile(pid, seconds, name):` samples `pid` for at most `seconds`."""

    def __init__(self, pid: int, seconds: float, name: str, *, idle: bool = False) -> None:
        self.pid = pid
        self.seconds = max(int(seconds), 1)
        self.output = support.RESULTS_DIR / f"profile-{name}.txt"
        self.idle = idle
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Profile":
        binary = py_spy()
        if binary is None:
            print("py-spy is not installed (pip install py-spy): no profile", file=sys.stderr)
            return self
        argv = [binary, "record", "--pid", str(self.pid), "--duration", str(self.seconds)]
        argv += ["--rate", "200", "--format", "raw", "--nonblocking", "--output"]
        argv += [str(self.output)]
        if self.idle:
            argv.append("--idle")
        if os.environ.get("BENCH_PROFILE_GIL"):
            argv.append("--gil")  # only the thread holding the GIL: where the CPU goes
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=self.seconds + 30)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait(timeout=10)


@contextlib.contextmanager
def sampled(enabled: bool, pid: int, seconds: float, name: str, notes: list[str], title: str):
    """With `enabled` (a scenario's --profile), py-spy on `pid` while the block runs, for at
    most `seconds`; then the summary joins `notes` (a report's) under `title`."""
    if not enabled:
        yield
        return
    with Profile(pid, seconds, name) as profile:
        yield
    notes.append(f"\n{title}:\n" + summarize(profile.output, top=30))


def summarize(path: Path, top: int = 15) -> str:
    """The project's functions by inclusive share, all functions by self share."""
    if not path.exists():
        return f"(no profile at {path})"
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _sep, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [_name(frame) for frame in stack.split(";") if frame]
        for name in set(frames):
            if _ours(name):
                inclusive[name] += samples
        if frames:
            own[frames[-1]] += samples
    if not total:
        return "(empty profile)"
    lines = [f"{total:,} samples ({path.relative_to(support.PROJECT_ROOT)})"]
    lines.append("  project functions, inclusive (% of samples):")
    lines += [f"    {n / total * 100:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    lines.append("  all functions, self (% of samples):")
    lines += [f"    {n / total * 100:5.1f}%  {name}" for name, n in own.most_common(top)]
    return "\n".join(lines)


def _name(frame: str) -> str:
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    file = match["file"]
    root = str(support.PROJECT_ROOT) + "/"
    if file.startswith(root):
        file = file[len(root) :]
    elif "site-packages/" in file:
        file = file.split("site-packages/", 1)[1]
    return f"{match['func']} ({file})"


def _ours(name: str) -> bool:
    inside = name.rsplit("(", 1)[-1]
    return inside.startswith(PROJECT_DIRS)
