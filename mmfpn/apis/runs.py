"""Experiments as the user runs them: each tool in its own process (every run gets
mmengine's global state fresh), and a finished run's checkpoint read back."""
import subprocess
import sys
from typing import List, Sequence

from mmfpn.config.load import mim_path
from mmfpn.engine.work_dir import last_checkpoint


def tool_command(tool: str, *args: str) -> List[str]:
    """``python tools/<tool> ARGS...`` with this interpreter (the package's copy of
    ``tools/`` under mim)."""
    return [sys.executable, mim_path('tools', tool), *args]


def run_tool(command: Sequence[str], capture: bool = False) -> str:
    """Run a :func:`tool_command`; its stdout when ``capture`` (else it prints)."""
    done = subprocess.run(list(command), check=True, capture_output=capture, text=True)
    return done.stdout if capture else ''


def train_run(config: str, work_dir: str, *args: str) -> str:
    """``tools/train.py CONFIG --work-dir WORK_DIR ARGS...``; the checkpoint it ended with."""
    run_tool(tool_command('train.py', config, '--work-dir', work_dir, *args))
    return last_checkpoint(work_dir)
