"""The benchmark's report: the results of :mod:`mmfpn.benchmark.timing` as markdown."""
from typing import List, Optional

from mmfpn.benchmark.detector import COMPARED


def _row(name: str, r: dict, ours: str = 'ours', note: str = '') -> str:
    return (f'| {name} | {r["stock"]:.4f} | {r[ours]:.4f} | '
            f'{r[ours] / r["stock"]:.2f} | {note} |')


def _train_lines(results: dict) -> List[str]:
    """Training rows (fp32 and --amp against stock fp32) and the phase tables."""
    rows, phases = [], []
    for key, d in results.get('train', {}).items():
        label = f'training step, {key}, batch {d["batch"]}, {d["size"][0]}x{d["size"][1]}'
        rows.append(_row(label + ', fp32', d,
                         note=f'max loss diff {d["max_loss_diff_ours_vs_stock"]:.1e}'))
        rows.append(_row(label + f', --amp (ran in {d["amp_precision"]})', d, 'ours_amp'))
        stock, ours = d['phases']['stock'], d['phases']['ours']
        phases += ['', f'Training step phases, {key} (median seconds per phase, fp32):', '',
                   '| phase | stock mmdet | mmfpn |', '|---|---|---|']
        phases += [f'| {k} | {stock.get(k, 0.0):.3f} | {ours.get(k, 0.0):.3f} |' for k in ours]
    return rows + phases


def _agreement(c: dict) -> str:
    """One cell: how two sides' outputs agree (:func:`~mmfpn.benchmark.detector.compare_outputs`)."""
    if c['same']:
        return 'same outputs'
    return (f"{c['matched']:.1%} of proposals equal, class logits on them within "
            f"{c['max_score_diff']:.1e}")


def _openvino_lines(r: Optional[dict]) -> List[str]:
    """The OpenVINO rows: each against the torch fast path of the same precision."""
    if r is None:
        return []
    ratio = lambda a, b: f'{r[a]:.4f} | {r[a] / r[b]:.2f}'  # noqa: E731
    what = r.get('model', 'Faster R-CNN R50-FPN')
    int8 = [] if 'ours_openvino_int8' not in r else [
        f'| {what}: OpenVINO INT8 vs fast fp32 | {r["ours_fast"]:.4f} | '
        f'{ratio("ours_openvino_int8", "ours_fast")} | random weights: accuracy of trained '
        'models in docs/openvino.md |',
        f'| {what}: OpenVINO INT8 vs OpenVINO f32 (stock column) | {r["ours_openvino"]:.4f} | '
        f'{ratio("ours_openvino_int8", "ours_openvino")} | |',
        f'| {what}: dense part INT8 vs torch fast path (stock column) | '
        f'{r["trunk_torch_fast"]:.4f} | {ratio("trunk_int8", "trunk_torch_fast")} | |']
    return [
        f'| {what}: OpenVINO backend f32 vs fast fp32 (same run) | {r["ours_fast"]:.4f} | '
        f'{ratio("ours_openvino", "ours_fast")} | {_agreement(r["openvino_vs_fast"])} |',
        f'| {what}: OpenVINO backend --bf16 vs fast bf16 | {r["ours_fast_bf16"]:.4f} | '
        f'{ratio("ours_openvino_bf16", "ours_fast_bf16")} | OpenVINO ran '
        f'{r["openvino_precision"]} |',
        f'| {what}: dense part: backend vs bare OpenVINO (stock column) | '
        f'{r["trunk_bare_openvino"]:.4f} | '
        f'{ratio("trunk_backend", "trunk_bare_openvino")} | same trunk |',
        f'| {what}: dense part: backend vs torch fast path (stock column) | '
        f'{r["trunk_torch_fast"]:.4f} | '
        f'{ratio("trunk_backend", "trunk_torch_fast")} | the end-to-end speed-up cannot exceed '
        f'{r["trunk_torch_fast"] / r["trunk_backend"]:.2f}x (same torch code outside) |', *int8]


def markdown(results: dict) -> str:
    m = results['machine']
    flags = ', '.join(m.get('cpu_flags', [])) or 'unknown'
    lines = [f'Machine: {m["cpu"]} (flags: {flags}; native bf16: {m.get("native_bf16", "unknown")}), '
             f'{m["threads"]} threads, torch {m["torch"]}, device {m["device"]}. Median seconds. '
             f'Outputs compared: {COMPARED}, with the same random weights.', '',
             '| what | stock mmdet | mmfpn | ratio ours/stock | outputs |', '|---|---|---|---|---|']
    if 'fpn' not in results:  # --train-only / --openvino-only
        return '\n'.join(lines + _openvino_lines(results.get('openvino'))
                         + _openvino_lines(results.get('openvino_tiny')) + _train_lines(results))
    lines.append(_row('PaperFPN vs FPN', results['fpn'],
                      note=f'max abs diff {results["fpn"]["max_abs_diff"]:.1e}'))
    lines.append(_row('PaperRoIExtractor vs SingleRoIExtractor (2x1000 RoIs)',
                      results['roi_extractor'],
                      note=f'max abs diff {results["roi_extractor"]["max_abs_diff"]:.1e}'))
    lines.append(_row('anchors P2..P6', results['anchors'],
                      note=f'identical: {results["anchors"]["identical"]}'))
    for key, d in results['detector'].items():
        lines.append(_row(f'Faster R-CNN R50-FPN inference, {key}', d,
                          note=_agreement(d['ours_vs_stock'])))
        lines.append(_row(f'... fast path fp32, {key}', d, 'ours_fast',
                          note=_agreement(d['fast_vs_stock'])))
        lines.append(_row(f'... fast path bf16 trunk, {key}', d, 'ours_fast_bf16',
                          note='numbers change'))
    lines += _openvino_lines(results.get('openvino'))
    train = _train_lines(results)
    lines += [line for line in train if line.startswith('| training')]
    f = results['flops']
    total = sum(f.values())
    d = results['detector']['batch1']
    lines += ['', '| component | GFLOPs | share of FLOPs |', '|---|---|---|']
    lines += [f'| {k} | {v:.1f} | {v / total:.0%} |' for k, v in f.items()]
    lines += ['', f'Neck share (stock model, batch 1): {d["stock_neck"]:.3f} s of '
              f'{d["stock"]:.3f} s inference ({d["stock_neck"] / d["stock"]:.0%}); backbone '
              f'{d["stock_backbone"]:.3f} s; neck/backbone time {d["stock_neck"] / d["stock_backbone"]:.0%}, '
              f'FLOPs {f["neck"] / f["backbone"]:.0%}.']
    lines += [line for line in train if not line.startswith('| training')]
    return '\n'.join(lines)
