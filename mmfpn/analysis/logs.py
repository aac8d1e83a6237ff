"""Reading a training run's log: mmengine's ``<work_dir>/<timestamp>/vis_data/``."""
import json
import os
import os.path as osp
from typing import Dict, List

from mmengine.config import Config


def newest_run(work_dir: str) -> str:
    """The ``vis_data`` folder of the newest run in ``work_dir`` (mmengine writes one
    ``<timestamp>/vis_data/`` per run)."""
    runs = sorted(d for d in os.listdir(work_dir)
                  if osp.isfile(osp.join(work_dir, d, 'vis_data', 'scalars.json')))
    if not runs:
        raise FileNotFoundError(f'no */vis_data/scalars.json under {work_dir}')
    return osp.join(work_dir, runs[-1], 'vis_data')


def read_scalars(work_dir: str) -> List[Dict]:
    """The training log records of the newest run in ``work_dir`` (mmengine's
    ``vis_data/scalars.json``, one JSON object per line)."""
    with open(osp.join(newest_run(work_dir), 'scalars.json')) as f:
        return [json.loads(line) for line in f if line.strip()]


def final_metrics(work_dir: str) -> Dict[str, float]:
    """The last evaluation logged in ``work_dir`` (``coco/...`` keys, in percent)."""
    metrics: Dict[str, float] = {}
    for record in read_scalars(work_dir):
        found = {k.split('/', 1)[1]: v for k, v in record.items() if k.startswith('coco/')}
        if found:
            metrics = found
    if not metrics:
        raise ValueError(f'no coco/ metrics logged in {work_dir}')
    return {k: 100.0 * v for k, v in metrics.items()}


def evaluated(work_dir: str) -> bool:
    """Whether ``work_dir`` holds a finished evaluation."""
    try:
        final_metrics(work_dir)
    except (OSError, ValueError):
        return False
    return True


def seconds_per_image(work_dir: str) -> float:
    """Seconds per image of the last evaluation in ``work_dir``: the mean iteration
    ``time`` mmengine logged with it, over the run's val batch size."""
    times = [r['time'] for r in read_scalars(work_dir)
             if 'time' in r and any(k.startswith('coco/') for k in r)]
    if not times:
        raise ValueError(f'no evaluation logged in {work_dir}')
    cfg = Config.fromfile(osp.join(newest_run(work_dir), 'config.py'))
    return times[-1] / cfg.val_dataloader.batch_size
