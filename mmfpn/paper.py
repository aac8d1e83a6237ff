"""Published numbers of Lin et al. (2017), COCO minival, ResNet-50 (docs/paper.md).

Keys are the metrics mmdet's ``CocoMetric`` logs: ``AR@100``, ``AR@1000``,
``AR_s@1000``... for proposals (``metric='proposal'``), ``bbox_mAP``,
``bbox_mAP_50``, ``bbox_mAP_s``... for detections; Table 6 states mask AR at 1000
proposals (the same keys as ``SegmProposalMetric`` logs) and seconds per image
(:data:`TIME`). Values in percent.
"""
from typing import Dict, Tuple

RPN_METRICS = ('AR@100', 'AR@1000', 'AR_s@1000', 'AR_m@1000', 'AR_l@1000')
DET_METRICS = ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_s', 'bbox_mAP_m', 'bbox_mAP_l')
#: Seconds per image (Table 6), beside the percentages.
TIME = 's/img'


def _rpn(*values: float) -> Dict[str, float]:
    return dict(zip(RPN_METRICS, values))


def _det(ap50: float, ap: float, ap_s: float, ap_m: float, ap_l: float) -> Dict[str, float]:
    return dict(zip(DET_METRICS, (ap, ap50, ap_s, ap_m, ap_l)))


def _seg(ar: float, ar_s: float, ar_m: float, ar_l: float, time: float) -> Dict[str, float]:
    return dict(zip(RPN_METRICS[1:] + (TIME, ), (ar, ar_s, ar_m, ar_l, time)))


#: row -> (description, metrics)
TABLE_1: Dict[str, Tuple[str, Dict[str, float]]] = {
    'a': ('conv4 baseline, C4', _rpn(36.1, 48.3, 32.0, 58.7, 62.2)),
    'b': ('conv5 baseline, C5', _rpn(36.3, 44.9, 25.3, 55.5, 64.2)),
    'c': ('FPN, {P_k}', _rpn(44.0, 56.3, 44.9, 63.4, 66.2)),
    'd': ('bottom-up pyramid (no top-down)', _rpn(37.4, 49.5, 30.5, 59.9, 68.0)),
    'e': ('top-down, no lateral', _rpn(34.5, 46.1, 26.5, 57.4, 64.7)),
    'f': ('only finest level, P2', _rpn(38.4, 51.3, 35.1, 59.7, 67.6)),
}
TABLE_2: Dict[str, Tuple[str, Dict[str, float]]] = {
    'a': ('conv4 baseline, conv5 head', _det(54.7, 31.9, 15.7, 36.5, 45.5)),
    'b': ('conv5 baseline, 2fc head', _det(52.9, 28.8, 11.9, 32.4, 43.4)),
    'c': ('FPN, {P_k}', _det(56.9, 33.9, 17.8, 37.7, 45.8)),
    'd': ('bottom-up pyramid (no top-down)', _det(44.9, 24.9, 10.9, 24.4, 38.5)),
    'e': ('top-down, no lateral', _det(54.0, 31.3, 13.3, 35.2, 45.3)),
    'f': ('only finest level, P2', _det(56.3, 33.4, 17.3, 37.3, 45.6)),
}
TABLE_3: Dict[str, Tuple[str, Dict[str, float]]] = {
    'a': ('conv4 baseline (RPN C4, conv5 head)', _det(53.1, 31.6, 13.2, 35.6, 47.1)),
    'b': ('conv5 baseline (RPN C5, 2fc head)', _det(51.7, 28.0, 9.6, 31.9, 43.1)),
    'c': ('FPN (RPN {P_k}, {P_k})', _det(56.9, 33.9, 17.8, 37.7, 45.8)),
}
#: Sec. 6, segment proposals on COCO val (first 5k images), AR at 1000 proposals.
#: InstanceFCN (VGG-16, AR 39.2, 1.50 s) states no size split and is left out.
TABLE_6: Dict[str, Tuple[str, Dict[str, float]]] = {
    'a': ('DeepMask (image pyramid)', _seg(37.1, 15.8, 50.1, 54.9, 0.49)),
    'b': ('SharpMask (image pyramid)', _seg(39.8, 17.4, 53.1, 59.1, 0.77)),
    'c': ('FPN, single MLP [5x5]', _seg(43.4, 32.5, 49.2, 53.7, 0.15)),
    'd': ('FPN, single MLP [7x7]', _seg(43.5, 30.0, 49.6, 57.8, 0.19)),
    'e': ('FPN, dual MLP [5x5, 7x7]', _seg(45.7, 31.9, 51.5, 60.8, 0.24)),
    'f': ('+ 2x mask resolution', _seg(46.7, 31.7, 53.1, 63.2, 0.25)),
    'g': ('+ 2x train schedule', _seg(48.1, 32.6, 54.2, 65.6, 0.25)),
}
