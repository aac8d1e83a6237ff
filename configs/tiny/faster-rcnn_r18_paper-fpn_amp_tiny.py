# The demo's Faster R-CNN with mixed precision chosen in the config (what `--amp`
# does on the command line): MixedPrecisionOptimWrapper autocasts backbone, neck,
# RPN head and box head to bf16 on a CPU with native bf16 (AVX512-BF16 / AMX),
# fp16 with dynamic loss scaling on a GPU; a CPU without native bf16 trains in
# float32 and says so (optim_wrapper.cpu_bf16='always' autocasts anyway).
_base_ = './faster-rcnn_r18_paper-fpn_tiny.py'
optim_wrapper = dict(type='MixedPrecisionOptimWrapper')
