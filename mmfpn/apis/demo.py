"""``make demo``: train the tiny FPN Faster R-CNN, evaluate COCO box AP, draw pictures.

Writes to the work dir: the checkpoint, logs (``coco/bbox_mAP: ...`` as mmdet logs
it), ``mmdet/`` (the model exported for stock mmdet), ``loss_curve.png``,
``pyramid.png`` (P2..P6 activations; each box's level by Eq. (1) and by best
anchor) and ``detections/*.png`` for a few val images.
"""
import glob
import os.path as osp
import time
from typing import List, Optional, Sequence

from mmfpn.analysis.pictures import draw_detections, plot_loss_curve
from mmfpn.analysis.pyramid import draw_pyramid
from mmfpn.apis.runs import run_tool, tool_command
from mmfpn.config.load import DEMO_CONFIG
from mmfpn.datasets.tiny import TINY_ROOT, ensure_tiny
from mmfpn.engine.work_dir import last_checkpoint
from mmfpn.precision import Precision, choose_precision


def demo_train_command(config: str, work_dir: str, precision: Precision,
                       cfg_options: Sequence[str] = ()) -> List[str]:
    """The ``tools/train.py`` command line of the demo at ``precision``.

    ``'amp'`` adds ``--amp``; where it was forced on a CPU without native bf16
    (:attr:`Precision.emulated`), bf16 autocast is forced too
    (``optim_wrapper.cpu_bf16='always'``), which is slower than float32 there.
    """
    cmd = tool_command('train.py', config, '--work-dir', work_dir)
    options = list(cfg_options)
    if precision.mode == 'amp':
        cmd.append('--amp')
        if precision.emulated:
            options.append('optim_wrapper.cpu_bf16=always')
    if options:
        cmd += ['--cfg-options', *options]
    return cmd


def run_demo(config: str = DEMO_CONFIG, work_dir: Optional[str] = None,
             num_images: int = 6, cfg_options: Sequence[str] = (),
             precision: str = 'auto') -> None:
    """Train, evaluate, draw and export; prints each step and where its output is.

    Args:
        config: The config to train (the tiny FPN Faster R-CNN by default).
        work_dir: Default ``work_dirs/demo/<config name>``.
        num_images: Val images to draw detections on.
        cfg_options: ``--cfg-options`` for training.
        precision: ``'auto'`` (mixed precision where the machine runs bf16 or fp16
            natively, float32 elsewhere), ``'fp32'`` or ``'amp'``.
    """
    chosen = choose_precision(precision)
    print(f'demo: precision {chosen.mode}: {chosen.reason}', flush=True)
    work_dir = work_dir or osp.join('work_dirs', 'demo', osp.splitext(osp.basename(config))[0])
    ensure_tiny()
    start = time.time()
    cmd = demo_train_command(config, work_dir, chosen, cfg_options)
    print('demo: training and evaluating:', ' '.join(cmd), flush=True)
    run_tool(cmd)
    print(f'demo: train + evaluation took {time.time() - start:.0f} s '
          f'(precision {chosen.mode})', flush=True)
    checkpoint = last_checkpoint(work_dir)
    curve = plot_loss_curve(work_dir, osp.join(work_dir, 'loss_curve.png'))
    images = sorted(glob.glob(osp.join(TINY_ROOT, 'val', '*.png')))[:num_images]
    val_ann = osp.join(TINY_ROOT, 'annotations', 'instances_val.json')
    drawn = draw_detections(config, checkpoint, images, osp.join(work_dir, 'detections'),
                            ann_file=val_ann)
    pyramid = draw_pyramid(config, checkpoint, images[0], val_ann,
                           osp.join(work_dir, 'pyramid.png'))
    exported = run_tool(tool_command('export_mmdet.py', config, checkpoint,
                                     osp.join(work_dir, 'mmdet')), capture=True).split()
    print(f'demo: loss curve: {curve}')
    print(f'demo: the pyramid at work (P2..P6, levels of each box): {pyramid}')
    print(f'demo: detections (right) beside the ground truth (left) on {len(drawn)} val '
          f'images: {osp.dirname(drawn[0])}/')
    print(f'demo: exported for stock mmdet (no mmfpn needed): {" ".join(exported)}')
