"""FPNSegmentProposalHead (Sec. 6): canonical sizes, target assignment, losses on
hostile inputs, inference, and the mask-recall metric."""
import numpy as np
import pycocotools.mask as mask_util
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData

from mmfpn.evaluation import SegmProposalMetric
from mmfpn.models import FPNSegmentProposalHead

STRIDES = (4, 8, 16, 32, 64)


def head(**kwargs):
    torch.manual_seed(0)
    return FPNSegmentProposalHead(in_channels=8, hidden_channels=16, **kwargs)


def features(size=128, batch=1):
    return [torch.randn(batch, 8, size // s, size // s, requires_grad=True) for s in STRIDES]


def sample(boxes, size=128, masks=True):
    s = DetDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size),
                                    scale_factor=(1.0, 1.0)))
    gt = InstanceData(bboxes=torch.tensor(boxes, dtype=torch.float32).view(-1, 4),
                      labels=torch.zeros(len(boxes), dtype=torch.long))
    if masks:
        bitmaps = np.zeros((len(boxes), size, size), np.uint8)
        for i, (x1, y1, x2, y2) in enumerate(boxes):
            bitmaps[i, int(y1):int(y2), int(x1):int(x2)] = 1
        gt.masks = BitmapMasks(bitmaps, size, size)
    s.gt_instances = gt
    return s


def test_the_7x7_mlp_sits_half_an_octave_above_the_5x5_one():
    sizes = head().canonical_sizes()
    assert sizes[1::2] == [16.0, 32.0, 64.0, 128.0, 256.0]  # 7 * s * 128 / 224
    assert sizes[0::2] == pytest.approx([s * 5 * 128 / 224 for s in STRIDES])


def test_an_object_is_positive_on_its_pair_within_one_stride_of_its_centre():
    h = head()
    sizes = [(128 // s, 128 // s) for s in STRIDES for _ in (5, 7)]
    labels = h.assign(torch.tensor([[20., 20., 52., 52.]]), sizes)  # scale 32, centre 36
    pos = [(p, (lab >= 0).nonzero().flatten().tolist()) for p, lab in enumerate(labels)]
    pos = [(p, idx) for p, idx in pos if idx]
    # 7x7 on P3 (pair 3): location centres (j + 0.5) * 8; 28, 36, 44 lie within 8 px.
    assert pos == [(3, [r * 16 + c for r in (3, 4, 5) for c in (3, 4, 5)])]
    assert (labels[3] == -2).sum() == 25 - 9  # 2 strides around, less the positives


def test_losses_of_hostile_images_are_finite_and_keep_the_graph():
    h = head()
    x = features(batch=3)
    batch = [sample([]), sample([[10., 10., 14., 14.]]),  # empty; one object below 5.7 px
             sample([[20., 20., 52., 52.], [60., 60., 120., 124.]])]
    losses = h.loss(x, batch)
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    assert all(f.grad is not None for f in x)
    only_tiny = h.loss(features(), [sample([[10., 10., 14., 14.]])])
    assert only_tiny['loss_seg_mask'].item() == 0.0 and only_tiny['loss_seg_mask'].requires_grad


def test_a_batch_without_masks_is_refused_with_the_fix():
    with pytest.raises(ValueError, match='with_mask=True'):
        head().loss(features(), [sample([[20., 20., 52., 52.]], masks=False)])


def test_a_train_cfg_is_refused_naming_the_head_arguments():
    with pytest.raises(ValueError, match='takes no train_cfg .* set num_samples, pos_fraction'):
        head(train_cfg=dict(sampler=dict(num=256)))


def test_even_windows_are_refused():
    with pytest.raises(ValueError, match='odd window'):
        head(windows=(4, ))


def test_predict_returns_the_best_masks_in_the_original_image():
    h = head(test_cfg=dict(nms_pre=50, max_per_img=60))
    s = sample([[20., 20., 52., 52.]])
    s.set_metainfo(dict(ori_shape=(256, 256), scale_factor=(0.5, 0.5)))
    with torch.no_grad():
        result, = h.predict(features(), [s])
    assert len(result) == 60 and len(result.masks) == 60
    assert (result.scores[:-1] >= result.scores[1:]).all()
    assert mask_util.decode(result.masks[0]).shape == (256, 256)
    assert result.bboxes.shape == (60, 4)


def test_mask_recall_is_one_for_the_ground_truth_itself(tmp_path):
    from mmfpn.datasets.tiny import TinySpec, generate
    from pycocotools.coco import COCO
    ann_file = generate(str(tmp_path), TinySpec(num_train=1, num_val=3))['val']
    coco = COCO(ann_file)
    metric = SegmProposalMetric(ann_file)
    samples = []
    for img_id in coco.getImgIds():
        anns = coco.loadAnns(coco.getAnnIds(imgIds=img_id))
        samples.append(dict(img_id=img_id, pred_instances=dict(
            masks=[a['segmentation'] for a in anns], scores=torch.ones(len(anns)))))
    metric.process({}, samples)
    out = metric.compute_metrics(metric.results)
    assert out['AR@100'] == pytest.approx(1.0) and out['AR@1000'] == pytest.approx(1.0)
    assert out['AR_s@1000'] == pytest.approx(1.0)
    assert set(out) == {'AR@100', 'AR@300', 'AR@1000', 'AR_s@1000', 'AR_m@1000', 'AR_l@1000'}


def test_a_certain_mask_fills_exactly_its_window():
    h = head()
    # pair 2 (5x5 on P3, 40 px windows), row 2, column 1: centre (12, 20)
    windows = h._window_boxes(torch.tensor([2 * 32 * 32 + 2 * 16 + 1]),
                              [(32, 32), (32, 32), (16, 16)])
    assert windows.tolist() == [[-8.0, 0.0, 32.0, 40.0]]
    logits = torch.full((1, 14, 14), 10.0)
    result = h.paste(torch.ones(1), logits, torch.tensor([[8., 16., 24., 40.]]),
                     dict(img_shape=(64, 64)), rescale=False)
    mask = mask_util.decode(result.masks[0])
    assert mask.sum() == 16 * 24 and mask[16:40, 8:24].all()
    assert result.bboxes.tolist() == [[8.0, 16.0, 24.0, 40.0]]


def test_a_single_scale_head_takes_only_objects_near_its_canonical_size():
    """The image-pyramid baseline's head: one 5x5 MLP at stride 16, canonical 45.7 px."""
    sizes = [(8, 8)]
    at_size, half_octave_up, two_octaves_up = (torch.tensor([[c - r, c - r, c + r, c + r]])
                                               for c, r in ((72., 22.86), (72., 32.33),
                                                            (72., 91.43)))
    narrow = head(strides=(16, ), windows=(5, ), positive_octaves=0.25)
    wide = head(strides=(16, ), windows=(5, ))
    # centre 72 = (4 + 0.5) * 16: rows and columns 3..5 within one stride
    ring = [r * 8 + c for r in (3, 4, 5) for c in (3, 4, 5)]
    assert (narrow.assign(at_size, sizes)[0] >= 0).nonzero().flatten().tolist() == ring
    labels = narrow.assign(half_octave_up, sizes)[0]
    assert (labels >= 0).sum() == 0 and (labels == -2).sum() == 25  # ignored, 2 strides
    labels = narrow.assign(two_octaves_up, sizes)[0]
    assert (labels == -1).all()  # an object two octaves off is the background
    assert (wide.assign(half_octave_up, sizes)[0] >= 0).nonzero().flatten().tolist() == ring


def test_objects_an_octave_below_the_finest_window_are_negatives_as_in_deepmask():
    """DeepMask labels a window negative when its object is off by an octave or more
    in scale; the finest pair's canonical size is 11.43 px, so a 5 px object (more
    than an octave below) leaves every location negative, a 6 px one is positive."""
    h = head()
    sizes = [(128 // s, 128 // s) for s in STRIDES for _ in (5, 7)]
    tiny = h.assign(torch.tensor([[30., 30., 35., 35.]]), sizes)
    assert all((labels == -1).all() for labels in tiny)
    small = h.assign(torch.tensor([[30., 30., 36., 36.]]), sizes)
    assert (small[0] >= 0).any() and not any((lab >= 0).any() for lab in small[1:])


def test_the_mask_loss_reads_only_the_sampled_locations():
    """No tensor of every location's mask logits (L x M^2) is made: at 800x1216 with
    14x14 masks that is ~100 MB per image, for a few hundred sampled rows."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Largest(TorchDispatchMode):
        numel = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            for t in out if isinstance(out, (tuple, list)) else [out]:
                if isinstance(t, torch.Tensor):
                    Largest.numel = max(Largest.numel, t.numel())
            return out

    h = head()
    x = features(size=256)
    scores, masks = h(x)
    sizes = [s.shape[-2:] for s in scores]
    every_location = sum(s[0].numel() for s in scores) * h.mask_size**2
    flat = torch.tensor([0, 5, every_location // h.mask_size**2 - 1, 4096 + 7, 4096 * 2 + 3])
    expected = torch.cat([k[0].flatten(1).t() for k in masks])[flat]
    assert torch.equal(h._gather(masks, 0, flat, sizes), expected)
    batch = [sample([[20., 20., 52., 52.], [60., 60., 180., 200.]], size=256)]
    with Largest():
        losses = h.loss(x, batch)
    assert losses['loss_seg_mask'] > 0
    assert Largest.numel < every_location
