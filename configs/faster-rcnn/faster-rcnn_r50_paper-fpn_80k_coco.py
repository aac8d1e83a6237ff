# Table 5 ("shared" row): Faster R-CNN whose RPN and Fast R-CNN share the FPN
# features. Paper (4-step alternating training): AP 34.3, AP@0.5 57.2. Deviation:
# trained end to end (approximate joint training, as Detectron and mmdet do); the
# paper's unshared Table 3(c) is fast-rcnn/fast-rcnn_r50_paper-fpn_80k_coco.py.
_base_ = [
    '../_base_/models/faster-rcnn_r50_paper-fpn.py',
    'mmdet::_base_/datasets/coco_detection.py',
    '../_base_/schedules/paper_80k.py',
    '../_base_/iter_runtime.py',
]
