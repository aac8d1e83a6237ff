"""Pictures a person looks at after training: detections beside the ground truth, mask
proposals and the loss curve."""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

from matplotlib.figure import Figure
import mmcv
import numpy as np
import pycocotools.mask as mask_util
import torch
from mmdet.apis import inference_detector, init_detector
from mmdet.registry import VISUALIZERS
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from pycocotools.coco import COCO

from mmfpn.analysis.logs import read_scalars


def plot_loss_curve(work_dir: str, out_file: str) -> str:
    """Plot every ``loss*`` term against the iteration; returns ``out_file``."""
    records = [r for r in read_scalars(work_dir) if 'loss' in r]
    keys = sorted({k for r in records for k in r if k.startswith('loss')})
    fig = Figure(figsize=(8, 4.5), dpi=110)
    ax = fig.subplots()
    for key in keys:
        pts = [(r['iter'], r[key]) for r in records if key in r]
        ax.plot(*zip(*pts), label=key, linewidth=2 if key == 'loss' else 1)
    ax.set_xlabel('iteration')
    ax.set_ylabel('loss')
    ax.set_yscale('log')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(f'training loss: {osp.basename(work_dir.rstrip("/"))}')
    fig.tight_layout()
    fig.savefig(out_file)
    return out_file


def ground_truth(ann_file: str, classes: Sequence[str]) -> Dict[str, InstanceData]:
    """Each image's annotated boxes in a COCO file, by file name: ``bboxes`` ``(N, 4)``
    x1y1x2y2 and ``labels`` ``(N,)`` indices into ``classes`` (crowd boxes and
    categories outside ``classes`` left out)."""
    coco = COCO(ann_file)
    label = {c['id']: classes.index(c['name']) for c in coco.loadCats(coco.getCatIds())
             if c['name'] in classes}
    out = {}
    for image in coco.loadImgs(coco.getImgIds()):
        anns = [a for a in coco.loadAnns(coco.getAnnIds(imgIds=image['id'], iscrowd=False))
                if a['category_id'] in label]
        boxes = [[x, y, x + w, y + h] for x, y, w, h in (a['bbox'] for a in anns)]
        out[osp.basename(image['file_name'])] = InstanceData(
            bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            labels=torch.tensor([label[a['category_id']] for a in anns], dtype=torch.long))
    return out


def draw_detections(config: str, checkpoint: str, images: Sequence[str], out_dir: str,
                    ann_file: Optional[str] = None, score_thr: float = 0.3,
                    upscale: int = 2) -> List[str]:
    """Draw the predictions (score >= ``score_thr``) on ``images``; with ``ann_file``
    (COCO), the image's ground truth beside them, so that misses show.

    Images are drawn ``upscale`` times their size so that the labels of small boxes stay
    readable (mmdet's visualizer sizes its text by box area, at most 13 px).
    """
    model = init_detector(config, checkpoint, device='cpu')
    visualizer = VISUALIZERS.build(dict(type='DetLocalVisualizer', name='mmfpn_demo'))
    visualizer.dataset_meta = model.dataset_meta
    truth = ground_truth(ann_file, model.dataset_meta['classes']) if ann_file else {}
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for path in images:
        result = inference_detector(model, path)
        result.pred_instances.bboxes *= upscale
        gt = truth.get(osp.basename(path))
        if gt is not None:
            result.gt_instances = InstanceData(bboxes=gt.bboxes * upscale, labels=gt.labels)
        img = mmcv.imrescale(mmcv.imread(path, channel_order='rgb'), upscale)
        out_file = osp.join(out_dir, osp.basename(path))
        visualizer.add_datasample(osp.basename(path), img, data_sample=result,
                                  draw_gt=gt is not None, pred_score_thr=score_thr,
                                  out_file=out_file)
        written.append(out_file)
    return written


def draw_mask_proposals(config: str, checkpoint: str, images: Sequence[str], out_file: str,
                        top_k: int = 20) -> str:
    """The ``top_k`` best-scored mask proposals of a segment proposal model on each
    of ``images`` (labelled by rank and score), side by side in one picture; returns
    ``out_file``."""
    model = init_detector(config, checkpoint, device='cpu')
    visualizer = VISUALIZERS.build(dict(type='DetLocalVisualizer', name='mmfpn_proposals',
                                        alpha=0.45))
    # one colour per rank: the "class" of a proposal is its rank
    visualizer.dataset_meta = dict(classes=tuple(f'#{i + 1}' for i in range(top_k)),
                                   palette='random')
    panels = []
    for path in images:
        pred = inference_detector(model, path).pred_instances[:top_k]
        rles = [dict(m, counts=m['counts'].encode()) for m in pred.masks]
        best = InstanceData(masks=torch.from_numpy(mask_util.decode(rles).transpose(2, 0, 1)
                                                   .astype(bool)),
                            scores=pred.scores, labels=torch.arange(len(pred)))
        sample = DetDataSample()
        sample.pred_instances = best
        visualizer.add_datasample(osp.basename(path), mmcv.imread(path, channel_order='rgb'),
                                  data_sample=sample, draw_gt=False, pred_score_thr=0.0)
        panels.append(visualizer.get_image())
    height = max(p.shape[0] for p in panels)
    strip = np.concatenate([np.pad(p, ((0, height - p.shape[0]), (0, 4), (0, 0)),
                                   constant_values=255) for p in panels], axis=1)
    mmcv.imwrite(strip[..., ::-1], out_file)
    return out_file
