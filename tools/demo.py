"""The main job: train the tiny FPN Faster R-CNN, evaluate COCO box AP, draw pictures.

    python tools/demo.py [CONFIG] [--work-dir DIR] [--cfg-options ...]

Writes to WORK_DIR: the checkpoint, logs (``coco/bbox_mAP: ...`` as mmdet logs it),
``mmdet/`` (the model exported for stock mmdet), ``loss_curve.png``,
``pyramid.png`` (P2..P6 activations; each box's level by Eq. (1) and by best
anchor) and ``detections/*.png`` for a few val images.
"""
import argparse
import glob
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmfpn.analysis.pictures import draw_detections, plot_loss_curve  # noqa: E402
from mmfpn.analysis.pyramid import draw_pyramid  # noqa: E402
from mmfpn.datasets.tiny import ensure_tiny  # noqa: E402

DEFAULT_CONFIG = 'configs/tiny/faster-rcnn_r18_paper-fpn_tiny.py'


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', nargs='?', default=DEFAULT_CONFIG)
    parser.add_argument('--work-dir', default=None)
    parser.add_argument('--num-images', type=int, default=6)
    parser.add_argument('--cfg-options', nargs='+', default=[])
    args = parser.parse_args(argv)
    work_dir = args.work_dir or osp.join(
        'work_dirs', 'demo', osp.splitext(osp.basename(args.config))[0])
    ensure_tiny()
    start = time.time()
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), args.config,
           '--work-dir', work_dir]
    if args.cfg_options:
        cmd += ['--cfg-options', *args.cfg_options]
    print('demo: training and evaluating:', ' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    print(f'demo: train + evaluation took {time.time() - start:.0f} s', flush=True)
    last = osp.join(work_dir, 'last_checkpoint')
    with open(last) as f:
        checkpoint = f.read().strip()
    curve = plot_loss_curve(work_dir, osp.join(work_dir, 'loss_curve.png'))
    images = sorted(glob.glob('data/tiny/val/*.png'))[:args.num_images]
    drawn = draw_detections(args.config, checkpoint, images, osp.join(work_dir, 'detections'))
    pyramid = draw_pyramid(args.config, checkpoint, images[0],
                           'data/tiny/annotations/instances_val.json',
                           osp.join(work_dir, 'pyramid.png'))
    exported = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'export_mmdet.py'), args.config, checkpoint,
         osp.join(work_dir, 'mmdet')], check=True, capture_output=True, text=True).stdout.split()
    print(f'demo: loss curve: {curve}')
    print(f'demo: the pyramid at work (P2..P6, levels of each box): {pyramid}')
    print(f'demo: detections on {len(drawn)} val images: {osp.dirname(drawn[0])}/')
    print(f'demo: exported for stock mmdet (no mmfpn needed): {" ".join(exported)}')


if __name__ == '__main__':
    main()
