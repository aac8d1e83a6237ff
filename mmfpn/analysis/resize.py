"""The scales a training pipeline resizes images to, read as mmcv and mmdet run them.

Read: ``Resize`` (mmcv's defaults: ``keep_ratio=False``; ``scale`` or
``scale_factor``), ``RandomResize`` (``scale`` with ``ratio_range``, or a list of
scales whose edges are sampled between), ``RandomChoiceResize``, ``FixShapeResize``,
with or without the ``mmdet.`` / ``mmcv.`` prefix, also inside ``RandomChoice`` /
``AutoAugment`` branches and dataset wrappers. A multi-scale pipeline is described
by its smallest and largest scale (:func:`scale_extremes`).
"""
from typing import Any, Iterator, List, NamedTuple, Optional, Sequence, Tuple

import mmcv

from mmfpn.config.load import ConfigError
from mmfpn.config.registered import type_name

RESIZES = ('Resize', 'RandomResize', 'RandomChoiceResize', 'FixShapeResize')


class TrainScale(NamedTuple):
    """One scale a training pipeline can resize an image to."""
    scale: Optional[Tuple[int, int]]          # (w, h); None: scale_factor only
    keep_ratio: bool
    fit: bool = False                         # FixShapeResize(keep_ratio=True): fit in (w, h)
    factor: Optional[Tuple[float, float]] = None
    source: str = ''                          # the transform it comes from

    def factors(self, height: int, width: int) -> Tuple[float, float]:
        """``(fx, fy)`` for an image of ``height`` x ``width``, as the transform computes."""
        if self.scale is None:
            return self.factor
        if self.fit:
            factor = min(self.scale[0] / width, self.scale[1] / height)
            return factor, factor
        if self.keep_ratio:
            _, factor = mmcv.rescale_size((width, height), self.scale, return_scale=True)
            return factor, factor
        return self.scale[0] / width, self.scale[1] / height

    def __str__(self) -> str:
        if self.scale is None:
            return f'scale_factor {self.factor} ({self.source})'
        kind = 'fit, ratio kept' if self.fit else (
            'ratio kept' if self.keep_ratio else 'stretched to it')
        return f'{self.scale[0]}x{self.scale[1]} ({kind}; {self.source})'


def _pair(value: Any, what: str, step: dict) -> Tuple[int, int]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value), int(value)
    if (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, (int, float)) for v in value)):
        return int(value[0]), int(value[1])
    raise ConfigError(f'train pipeline: cannot read {what}={value!r} of {_name(step)}; '
                      'expected an int or a (width, height) pair')


def _name(step: dict) -> str:
    args = ', '.join(f'{k}={v!r}' for k, v in step.items() if k != 'type')
    return f'{step.get("type")}({args})'


def _scales_of(step: dict) -> List[TrainScale]:
    """The extreme scales one resize transform produces."""
    kind, source = type_name(step.get('type')), _name(step)
    keep = bool(step.get('keep_ratio', False))  # mmcv's Resize and FixShapeResize: False
    if kind == 'FixShapeResize':
        scale = _pair((step.get('width'), step.get('height')), 'width/height', step)
        return [TrainScale(scale, keep, fit=keep, source=source)]
    if kind == 'Resize':
        if step.get('scale') is not None:
            return [TrainScale(_pair(step['scale'], 'scale', step), keep, source=source)]
        factor = step.get('scale_factor')
        if factor is None:
            raise ConfigError(f'train pipeline: {source} has neither scale nor scale_factor; '
                              'mmcv refuses it too: give one of them')
        fx, fy = (factor, factor) if isinstance(factor, (int, float)) else factor
        return [TrainScale(None, keep, factor=(float(fx), float(fy)), source=source)]
    scales = step.get('scales') if kind == 'RandomChoiceResize' else step.get('scale')
    if scales is None:
        raise ConfigError(f'train pipeline: {source} names no scale; give '
                          f'{"scales" if kind == "RandomChoiceResize" else "scale"}')
    if kind == 'RandomResize' and step.get('ratio_range') is not None:
        w, h = _pair(scales, 'scale', step)
        low, high = step['ratio_range']
        return [TrainScale((int(w * r), int(h * r)), keep, source=f'{source} at ratio {r}')
                for r in (low, high)]
    if isinstance(scales, (int, float)) or not isinstance(scales, (list, tuple)):
        scales = [scales]
    pairs = [_pair(s, 'scale', step) for s in scales]
    if kind == 'RandomResize':  # each edge sampled between the two scales' edges
        pairs = [(min(p[0] for p in pairs), min(p[1] for p in pairs)),
                 (max(p[0] for p in pairs), max(p[1] for p in pairs))]
    return [TrainScale(p, keep, source=source) for p in pairs]


def _resize_steps(pipeline: Any) -> Iterator[dict]:
    """Every resize transform in ``pipeline``, in branches of ``RandomChoice`` too."""
    if isinstance(pipeline, dict):
        if type_name(pipeline.get('type')) in RESIZES:
            yield pipeline
            return
        yield from _resize_steps(pipeline.get('transforms') or pipeline.get('policies') or [])
    elif isinstance(pipeline, (list, tuple)):
        for step in pipeline:
            yield from _resize_steps(step)


def dataset_pipelines(dataset: dict) -> List[list]:
    """The pipelines of a dataset config and of every dataset it wraps."""
    pipelines = [dataset.get('pipeline') or []]
    inner = dataset.get('dataset')
    for child in ([inner] if isinstance(inner, dict) else []) + list(dataset.get('datasets') or []):
        pipelines += dataset_pipelines(child)
    return pipelines


def train_scales(dataset: dict) -> List[TrainScale]:
    """Every extreme scale of every resize in the training dataset's pipelines.

    Raises:
        ConfigError: a resize transform whose scale cannot be read, named.
    """
    return [s for p in dataset_pipelines(dataset) for step in _resize_steps(p)
            for s in _scales_of(step)]


def scale_extremes(scales: Sequence[TrainScale]) -> List[TrainScale]:
    """The smallest and the largest of ``scales`` (one if they are the same; none if
    the pipeline does not resize). Scales compare by the area of ``(w, h)``, scale
    factors by their product; a pipeline with both keeps the extremes of each.

    Example:
        >>> s = [TrainScale((1333, 640), True), TrainScale((1333, 800), True),
        ...      TrainScale((1333, 672), True)]
        >>> [x.scale for x in scale_extremes(s)]
        [(1333, 640), (1333, 800)]
    """
    out = []
    for group, key in (([s for s in scales if s.scale], lambda s: s.scale[0] * s.scale[1]),
                       ([s for s in scales if not s.scale], lambda s: s.factor[0] * s.factor[1])):
        if group:
            low, high = min(group, key=key), max(group, key=key)
            out += [low] if key(low) == key(high) else [low, high]
    return out
