"""Cut a COCO set of large images into a tiled training set (the rules `make real` uses).

    python tools/make_tiles.py ANN_FILE IMG_DIR OUT_ROOT [--split train] [--tile 800]
                               [--overlap 200] [--min-visible 0.6] [--negatives R] [--seed 0]

Writes OUT_ROOT/<split>/<image>_<x>_<y>.png and OUT_ROOT/annotations/instances_<split>.json.
A box cut by a tile edge is kept, clipped, when at least --min-visible of it is inside;
--negatives R keeps at most R empty tiles per tile with boxes (default: all).
Rules and how to choose the sizes: docs/own_data.md, "Large images".
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmfpn.datasets.tiling import TileSpec, make_tiles  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='COCO json of the large images')
    parser.add_argument('img_dir', help='the directory its file_names are relative to')
    parser.add_argument('out_root')
    parser.add_argument('--split', default='train')
    parser.add_argument('--tile', type=int, default=800, help='tile side in px')
    parser.add_argument('--overlap', type=int, default=200, help='overlap of neighbours in px')
    parser.add_argument('--min-visible', type=float, default=TileSpec.min_visible,
                        help='keep a cut box when at least this fraction of it is inside')
    parser.add_argument('--negatives', type=float, default=None,
                        help='keep at most this many empty tiles per tile with boxes')
    parser.add_argument('--seed', type=int, default=TileSpec.seed)
    args = parser.parse_args(argv)
    try:
        spec = TileSpec(tile=args.tile, overlap=args.overlap, min_visible=args.min_visible,
                        negatives=args.negatives, seed=args.seed)
        counts = make_tiles(args.ann_file, args.img_dir, args.out_root, args.split, spec)
    except (ValueError, FileNotFoundError) as err:
        sys.exit(f'error: {err}')
    print(f'{counts["source_images"]} images -> {counts["images"]} tiles with '
          f'{counts["boxes"]} boxes; {counts["empty"]} empty tiles kept, '
          f'{counts["empty_dropped"]} left out')
    print(f'wrote {osp.join(args.out_root, args.split)} and '
          f'{osp.join(args.out_root, "annotations", f"instances_{args.split}.json")}')


if __name__ == '__main__':
    main()
