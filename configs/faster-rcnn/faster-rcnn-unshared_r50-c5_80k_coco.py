# Table 3(b): Faster R-CNN on consistent proposals, features not shared: the
# C5 Fast R-CNN of Table 2(b) trained on the proposals of the C5 RPN of
# Table 1(b) (rpn/rpn_r50-c5_40k_coco.py, dumped with tools/dump_proposals.py).
# Paper: AP 28.0, AP@0.5 51.7 (s/m/l 9.6 / 31.9 / 43.1).
_base_ = '../fast-rcnn/fast-rcnn_r50-c5_80k_coco.py'
train_dataloader = dict(dataset=dict(proposal_file='proposals/rpn_r50-c5_40k_train2017.pkl'))
val_dataloader = dict(dataset=dict(proposal_file='proposals/rpn_r50-c5_40k_val2017.pkl'))
test_dataloader = val_dataloader
