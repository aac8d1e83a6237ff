"""Write the result tables (README, docs/results.md) and the metafile's metrics from docs/results.json.

    python tools/sync_results.py [--check] [--charts]

``--check`` writes nothing and exits 1 if a file differs from what it would write;
``--charts`` also draws the results' charts into docs/ (PNG bytes vary with matplotlib,
so ``--check`` leaves them out).
"""
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmfpn.analysis.results import (block_names, load_results, sync_blocks,  # noqa: E402
                                    sync_metafile, write_charts)

#: The files that state results; each table lives in one of them.
TABLE_FILES = (osp.join(ROOT, 'README.md'), osp.join(ROOT, 'docs', 'results.md'))
METAFILE = osp.join(ROOT, 'configs', 'tiny', 'metafile.yml')


def synced(path: str, text: str, results: dict) -> str:
    """``text`` of ``path`` as written from ``results``."""
    if path == METAFILE:
        return sync_metafile(text, results)
    return sync_blocks(text, results, block_names(text))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--check', action='store_true')
    parser.add_argument('--charts', action='store_true')
    args = parser.parse_args(argv)
    results = load_results(osp.join(ROOT, 'docs', 'results.json'))
    stale = []
    for path in (*TABLE_FILES, METAFILE):
        with open(path) as f:
            text = f.read()
        new = synced(path, text, results)
        if new != text:
            stale.append(path)
            if not args.check:
                with open(path, 'w') as f:
                    f.write(new)
    if args.charts and not args.check:
        for path in write_charts(results, osp.join(ROOT, 'docs')):
            print(f'wrote: {osp.relpath(path, ROOT)}')
    for path in stale:
        print(f'{"stale" if args.check else "wrote"}: {osp.relpath(path, ROOT)}')
    if args.check and stale:
        sys.exit(1)


if __name__ == '__main__':
    main()
