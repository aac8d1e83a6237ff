"""Run a detector with stock mmdet only (never mmfpn) and save its detections.

    python stock_mmdet_infer.py CONFIG CHECKPOINT OUT.npz IMAGE [IMAGE ...]

Used by test_export.py as "a user who never installed mmfpn". Set
MMFPN_INFER_WITH_MMFPN=1 to import mmfpn first (the reference run).
"""
import os
import sys

import numpy as np

if os.environ.get('MMFPN_INFER_WITH_MMFPN') == '1':
    import mmfpn  # noqa: F401
from mmdet.apis import inference_detector, init_detector  # noqa: E402


def main() -> None:
    config, checkpoint, out, *images = sys.argv[1:]
    model = init_detector(config, checkpoint, device='cpu',
                          cfg_options={'model.test_cfg.rcnn.score_thr': 0.0})
    arrays = {}
    for i, image in enumerate(images):
        pred = inference_detector(model, image).pred_instances
        arrays[f'bboxes{i}'] = pred.bboxes.numpy()
        arrays[f'scores{i}'] = pred.scores.numpy()
        arrays[f'labels{i}'] = pred.labels.numpy()
    np.savez(out, **arrays)
    print('mmfpn imported:', 'mmfpn' in sys.modules)


if __name__ == '__main__':
    main()
