# Table 3(a): Faster R-CNN on consistent proposals, features not shared: the
# C4 Fast R-CNN of Table 2(a) trained on the proposals of the C4 RPN of
# Table 1(a) (rpn/rpn_r50-c4_40k_coco.py, dumped with tools/dump_proposals.py).
# Paper: AP 31.6, AP@0.5 53.1 (s/m/l 13.2 / 35.6 / 47.1).
_base_ = '../fast-rcnn/fast-rcnn_r50-c4_80k_coco.py'
train_dataloader = dict(dataset=dict(proposal_file='proposals/rpn_r50-c4_40k_train2017.pkl'))
val_dataloader = dict(dataset=dict(proposal_file='proposals/rpn_r50-c4_40k_val2017.pkl'))
test_dataloader = val_dataloader
