"""What ``tools/train.py`` and ``tools/test.py`` do before handing over to mmengine.

Every check here runs before any data is read or any weight is built, and each
failure names the bad value and the fix.
"""
import copy
import difflib
import glob
import json
import os
import os.path as osp
from typing import Iterator, Optional, Tuple

import cv2
from mmengine.config import Config
from mmengine.logging import MMLogger

from mmfpn.engine.config_tree import walk_dicts

#: Component types that only exist once ``mmfpn`` is imported.
MMFPN_TYPES = ('PaperFPN', 'PaperAnchorGenerator', 'PaperRoIExtractor')
TINY_ROOT = 'data/tiny'


class ConfigError(ValueError):
    """A config that cannot work, with the reason and the fix in the message."""


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """``Config.fromfile`` with the mistakes users make turned into clear errors.

    Raises:
        ConfigError: the file does not exist (close matches are suggested), or the
            config uses an mmfpn component without importing mmfpn.
    """
    if not osp.isfile(path):
        known = sorted(glob.glob('configs/**/*.py', recursive=True))
        near = difflib.get_close_matches(path, known, n=3, cutoff=0.5)
        hint = f' Did you mean: {", ".join(near)}?' if near else (
            ' Run from the repository root; configs live under configs/.')
        raise ConfigError(f'config file {path!r} does not exist.{hint}')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    used = sorted({n.get('type') for _, n in walk_dicts(cfg.get('model', {}))}
                  & set(MMFPN_TYPES))
    imports = (cfg.get('custom_imports') or {}).get('imports', [])
    if used and 'mmfpn' not in imports:
        raise ConfigError(
            f'{path} uses {", ".join(used)} but does not import mmfpn, so mmdet '
            "cannot find them. Add custom_imports = dict(imports=['mmfpn'], "
            "allow_failed_imports=False) to the config (or inherit a base from "
            'configs/_base_/models/).')
    return cfg


def config_datasets(cfg: Config) -> Iterator[Tuple[str, dict]]:
    """``(dataloader key, innermost dataset config)`` of each dataloader."""
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if not loader:
            continue
        dataset = loader['dataset']
        while 'dataset' in dataset:  # wrappers such as RepeatDataset
            dataset = dataset['dataset']
        yield key, dataset


def ann_path(dataset: dict) -> Optional[str]:
    """The dataset's annotation file, joined to its ``data_root``."""
    ann = dataset.get('ann_file')
    if not ann:
        return None
    return ann if osp.isabs(ann) else osp.join(dataset.get('data_root') or '', ann)


def prepare_data(cfg: Config, verify_images_up_to: int = 5000) -> None:
    """Generate the tiny dataset on first use, then check every annotation file.

    Raises:
        ConfigError: an annotation file is missing or unreadable; the config's
            class names are not among its categories (mmdet would otherwise drop
            every box and fail much later with "need at least one array to
            concatenate"); a training set has no usable image; image files are
            missing or cannot be decoded (all files are checked to exist; up to
            ``verify_images_up_to`` of them are also decoded).
    """
    loaded = {}  # val and test usually share a file; COCO's train JSON is ~450 MB
    for key, dataset in config_datasets(cfg):
        ann = ann_path(dataset)
        if ann is None:
            continue
        root = osp.normpath(dataset.get('data_root') or '.')
        if not osp.exists(ann) and root == osp.normpath(TINY_ROOT):
            from mmfpn.datasets.tiny import ensure_tiny
            ensure_tiny(TINY_ROOT)
        if not osp.exists(ann):
            raise ConfigError(f'annotation file {ann!r} does not exist; check '
                              'data_root and ann_file in the config')
        if ann not in loaded:
            with open(ann) as f:
                loaded[ann] = json.load(f)
        check_class_names(dataset, ann, loaded[ann])
        check_annotations(key, dataset, ann, loaded[ann], verify_images_up_to)


def _image_dir(dataset: dict) -> str:
    prefix = (dataset.get('data_prefix') or {}).get('img', '')
    return prefix if osp.isabs(prefix) else osp.join(dataset.get('data_root') or '', prefix)


def check_annotations(key: str, dataset: dict, ann_file: str, coco: dict,
                      verify_up_to: int) -> None:
    """Count what mmdet will use of ``ann_file``; refuse what it cannot use.

    Boxes of zero or negative size are dropped by mmdet without a word: here they
    are counted and logged. Images without objects are kept as negatives when
    ``filter_cfg.filter_empty_gt`` is False (the tiny config), and counted.
    ``coco`` is the parsed ``ann_file``.
    """
    classes = (dataset.get('metainfo') or {}).get('classes')
    cat_ids = {c['id'] for c in coco.get('categories', [])
               if classes is None or c['name'] in classes}
    bad_boxes = []
    usable = set()
    for ann in coco.get('annotations', []):
        x, y, w, h = ann.get('bbox', (0, 0, 0, 0))
        if w < 1 or h < 1 or ann.get('area', w * h) <= 0:
            bad_boxes.append(ann.get('id'))
        elif ann.get('category_id') in cat_ids and not ann.get('iscrowd', 0):
            usable.add(ann['image_id'])
    images = coco.get('images', [])
    logger = MMLogger.get_current_instance()
    logger.info(f'{key}: {ann_file}: {len(images)} images, {len(usable)} with objects, '
                f'{len(images) - len(usable)} without (negatives), '
                f'{len(coco.get("annotations", []))} boxes')
    if bad_boxes:
        logger.warning(f'{key}: {ann_file}: skipping {len(bad_boxes)} boxes of zero or '
                       f'negative size (annotation ids {bad_boxes[:5]}'
                       f'{" ..." if len(bad_boxes) > 5 else ""})')
    if key == 'train_dataloader' and not usable:
        raise ConfigError(
            f'{ann_file} has no usable training image: {len(images)} images, '
            f'{len(coco.get("annotations", []))} annotations, none a non-crowd box of size '
            f'>= 1 px of the classes {classes}. Check the annotation file and metainfo.classes.')
    image_dir = _image_dir(dataset)
    missing = [i['file_name'] for i in images
               if not osp.isfile(osp.join(image_dir, i['file_name']))]
    if missing:
        raise ConfigError(f'{len(missing)} image files of {ann_file} are missing under '
                          f'{image_dir!r}, e.g. {missing[:3]}; restore them or remove them '
                          'from the annotation file')
    if len(images) <= verify_up_to:
        corrupt = [i['file_name'] for i in images
                   if cv2.imread(osp.join(image_dir, i['file_name'])) is None]
        if corrupt:
            raise ConfigError(f'{len(corrupt)} image files of {ann_file} cannot be decoded, '
                              f'e.g. {corrupt[:3]}; replace them or remove them from the '
                              'annotation file')


def check_class_names(dataset: dict, ann_file: str, coco: dict) -> None:
    """Check the config's class names against the categories of ``coco``
    (the parsed ``ann_file``)."""
    classes = (dataset.get('metainfo') or {}).get('classes')
    categories = [c['name'] for c in coco.get('categories', [])]
    missing = [c for c in classes or () if c not in categories]
    if missing:
        raise ConfigError(
            f'class names {missing} in the config (metainfo.classes) are not '
            f'categories of {ann_file}, whose categories are {categories}. Fix '
            'metainfo.classes (spelling and case matter), or the annotation file.')


def use_flip_tta(cfg: Config) -> None:
    """mmdet's ``tools/test.py --tta`` (modifies ``cfg``): test on each image and its
    horizontal flip, merged by mmdet's ``DetTTAModel`` (NMS at IoU 0.5, 100 boxes),
    unless the config sets its own ``tta_model`` / ``tta_pipeline``."""
    if 'tta_model' not in cfg:
        cfg.tta_model = dict(type='DetTTAModel', tta_cfg=dict(
            nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))
    dataset = cfg.test_dataloader.dataset
    while 'dataset' in dataset:  # wrappers such as RepeatDataset
        dataset = dataset['dataset']
    if 'tta_pipeline' not in cfg:
        pack = dict(type='PackDetInputs', meta_keys=(
            'img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
            'flip_direction'))
        cfg.tta_pipeline = [*copy.deepcopy(dataset.pipeline[:-1]), dict(
            type='TestTimeAug', transforms=[
                [dict(type='RandomFlip', prob=1.0), dict(type='RandomFlip', prob=0.0)],
                [pack]])]
    cfg.model = dict(**cfg.tta_model, module=cfg.model)
    dataset.pipeline = cfg.tta_pipeline


def setup_work_dir(cfg: Config, config_path: str, work_dir: Optional[str]) -> None:
    """mmdet's rule: CLI > config > ``work_dirs/<config name>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(config_path))[0])
    os.makedirs(cfg.work_dir, exist_ok=True)
