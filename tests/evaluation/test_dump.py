"""``tools/test.py --out``: masks already in RLE are dumped as they are."""
import torch
from mmengine.fileio import load

from mmfpn.evaluation import DumpRLEDetResults

RLE = dict(size=[4, 4], counts='04;0')


def test_rle_masks_and_mask_tensors_are_both_dumped_as_rle(tmp_path):
    out = str(tmp_path / 'out.pkl')
    dumper = DumpRLEDetResults(out_file_path=out)
    bitmap = torch.zeros(1, 4, 4, dtype=torch.bool)
    bitmap[0, :2, :2] = True
    samples = [dict(img_id=1, gt_instances={}, pred_instances=dict(
                   masks=[RLE], scores=torch.tensor([0.5]))),
               dict(img_id=2, pred_instances=dict(masks=bitmap, scores=torch.tensor([0.7])))]
    dumper.process({}, samples)
    dumper.compute_metrics(dumper.results)
    first, second = load(out)
    assert first['pred_instances']['masks'] == [RLE] and 'gt_instances' not in first
    assert second['pred_instances']['masks'][0]['size'] == [4, 4]
    assert samples[0]['pred_instances']['masks'] == [RLE]  # the other metrics' input is kept
