"""The pyramid at work on one image: P2..P6 activations, and which level each
ground-truth box goes to by Eq. (1) and by its best-matching anchor."""
import json
import os.path as osp
from typing import Sequence

import matplotlib.patches as patches
from matplotlib.figure import Figure
import mmcv
import torch
from mmcv.transforms import Compose
from mmdet.apis import init_detector
from mmdet.structures.bbox import bbox_overlaps
from mmdet.utils import get_test_pipeline_cfg


LEVEL_COLORS = ('#e41a1c', '#ff7f00', '#4daf4a', '#377eb8', '#984ea3')


def gt_boxes(ann_file: str, image_name: str) -> torch.Tensor:
    """``(N, 4)`` ground-truth boxes ``(x1, y1, x2, y2)`` of one COCO image."""
    with open(ann_file) as f:
        coco = json.load(f)
    image_id = next(i['id'] for i in coco['images'] if i['file_name'] == image_name)
    boxes = [a['bbox'] for a in coco['annotations'] if a['image_id'] == image_id]
    return torch.tensor([[x, y, x + w, y + h] for x, y, w, h in boxes]).reshape(-1, 4)


def best_anchor_levels(anchor_levels: Sequence[torch.Tensor], boxes: torch.Tensor) -> torch.Tensor:
    """Index of the level holding each box's highest-IoU anchor."""
    anchors = torch.cat(list(anchor_levels))
    level_of = torch.cat([torch.full((len(a),), i) for i, a in enumerate(anchor_levels)])
    return level_of[bbox_overlaps(boxes, anchors).argmax(dim=1)]


def draw_pyramid(config: str, checkpoint: str, image: str, ann_file: str, out_file: str) -> str:
    model = init_detector(config, checkpoint, device='cpu')
    pipeline = Compose(get_test_pipeline_cfg(model.cfg))
    data = pipeline(dict(img_path=image, img_id=0))
    batch = model.data_preprocessor(dict(inputs=[data['inputs']],
                                         data_samples=[data['data_samples']]), False)
    scale = batch['data_samples'][0].scale_factor  # (w, h) image -> network input
    with torch.no_grad():
        feats = model.extract_feat(batch['inputs'])
    boxes = gt_boxes(ann_file, osp.basename(image))
    boxes_in = boxes * torch.tensor([scale[0], scale[1], scale[0], scale[1]])
    extractor = model.roi_head.bbox_roi_extractor
    rois = torch.cat([boxes_in.new_zeros(len(boxes_in), 1), boxes_in], 1)
    eq1 = extractor.map_roi_levels(rois, extractor.num_inputs)
    anchors = model.rpn_head.prior_generator.grid_priors(
        [f.shape[-2:] for f in feats], device='cpu')
    anchor_level = best_anchor_levels(anchors, boxes_in)

    n = len(feats)
    fig = Figure(figsize=(3.2 * (n + 2), 3.6), dpi=100)
    axes = fig.subplots(1, n + 2)
    img = mmcv.imread(image, channel_order='rgb')
    titles = ('GT by Eq. (1) level', 'GT by best anchor level')
    for ax, levels, title in zip(axes[:2], (eq1 + extractor.finest_level,
                                            anchor_level + extractor.finest_level), titles):
        ax.imshow(img)
        for box, k in zip(boxes.tolist(), levels.tolist()):
            ax.add_patch(patches.Rectangle((box[0], box[1]), box[2] - box[0], box[3] - box[1],
                                           fill=False, lw=2, color=LEVEL_COLORS[(k - 2) % 5]))
            ax.text(box[0], box[1] - 2, f'P{k}', color=LEVEL_COLORS[(k - 2) % 5], fontsize=8)
        ax.set_title(title, fontsize=9)
        ax.axis('off')
    for i, (ax, feat) in enumerate(zip(axes[2:], feats)):
        ax.imshow(feat[0].norm(dim=0).numpy(), cmap='magma')
        ax.set_title(f'P{extractor.finest_level + i}  (stride {2 ** (extractor.finest_level + i)}, '
                     f'{feat.shape[-2]}x{feat.shape[-1]})', fontsize=9)
        ax.axis('off')
    fig.suptitle('the pyramid at work: per-level activation norm; boxes coloured by level',
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(out_file)
    return out_file
