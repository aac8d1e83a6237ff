"""``tools/compare.py``: train a set of configs (same seed and schedule) unless their
work dirs hold an evaluation, then write our numbers beside the paper's."""
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

from mmfpn.analysis.logs import evaluated, final_metrics, seconds_per_image
from mmfpn.analysis.tables import bar_chart, config_name, markdown_table, write_json
from mmfpn.apis.runs import run_tool, tool_command, train_run
from mmfpn.engine.work_dir import last_checkpoint
from mmfpn.paper import TABLE_1, TABLE_2, TABLE_3, TABLE_6, TIME

TINY = 'configs/tiny/'
TINY_TABLES = {
    '1': [('1(a)', TINY + 'rpn_r18-c4_tiny.py', TABLE_1['a']),
          ('1(b)', TINY + 'rpn_r18-c5_tiny.py', TABLE_1['b']),
          ('1(c)', TINY + 'rpn_r18_paper-fpn_tiny.py', TABLE_1['c']),
          ('1(d)', TINY + 'rpn_r18_paper-fpn-bottom-up_tiny.py', TABLE_1['d']),
          ('1(e)', TINY + 'rpn_r18_paper-fpn-no-lateral_tiny.py', TABLE_1['e']),
          ('1(f)', TINY + 'rpn_r18_paper-fpn-p2_tiny.py', TABLE_1['f'])],
    '2': [('2(a)', TINY + 'fast-rcnn_r18-c4_tiny.py', TABLE_2['a']),
          ('2(b)', TINY + 'fast-rcnn_r18-c5_tiny.py', TABLE_2['b']),
          ('2(c)', TINY + 'fast-rcnn_r18_paper-fpn_tiny.py', TABLE_2['c']),
          ('2(d)', TINY + 'fast-rcnn_r18_paper-fpn-bottom-up_tiny.py', TABLE_2['d']),
          ('2(e)', TINY + 'fast-rcnn_r18_paper-fpn-no-lateral_tiny.py', TABLE_2['e']),
          ('2(f)', TINY + 'fast-rcnn_r18_paper-fpn-p2_tiny.py', TABLE_2['f'])],
    '3': [('3(a)', TINY + 'faster-rcnn_r18-c4_tiny.py', TABLE_3['a']),
          ('3(b)', TINY + 'faster-rcnn_r18-c5_tiny.py', TABLE_3['b']),
          ('3(c)', TINY + 'faster-rcnn_r18_paper-fpn_tiny.py', TABLE_3['c'])],
    '6': [('6(a)', TINY + 'seg-proposal_r18-c4_image-pyramid_tiny.py', TABLE_6['a']),
          ('6(c)', TINY + 'seg-proposal_r18_paper-fpn-5x5_tiny.py', TABLE_6['c']),
          ('6(d)', TINY + 'seg-proposal_r18_paper-fpn-7x7_tiny.py', TABLE_6['d']),
          ('6(e)', TINY + 'seg-proposal_r18_paper-fpn-dual_tiny.py', TABLE_6['e']),
          ('6(f)', TINY + 'seg-proposal_r18_paper-fpn-dual-2xmask_tiny.py', TABLE_6['f']),
          ('6(g)', TINY + 'seg-proposal_r18_paper-fpn-dual-2xmask-2x_tiny.py', TABLE_6['g'])],
}


#: Table 2's rows read the proposals of this RPN (Table 1(c)), from PROPOSALS.
PROPOSAL_RPN = TINY + 'rpn_r18_paper-fpn_tiny.py'
PROPOSALS = 'data/tiny/proposals/rpn_r18_paper-fpn_tiny_{split}.pkl'


def ensure_proposals(work_root: str, retrain: bool) -> None:
    """Train the Table 1(c) RPN and dump its train/val proposals, unless done."""
    rpn_dir = osp.join(work_root, config_name(PROPOSAL_RPN))
    if retrain or not evaluated(rpn_dir):
        print(f'compare: training {PROPOSAL_RPN}', flush=True)
        checkpoint = train_run(PROPOSAL_RPN, rpn_dir)
    else:
        checkpoint = last_checkpoint(rpn_dir)
    for split in ('train', 'val'):
        if retrain or not osp.exists(PROPOSALS.format(split=split)):
            print(f'compare: dumping {split} proposals of {PROPOSAL_RPN}', flush=True)
            run_tool(tool_command('dump_proposals.py', PROPOSAL_RPN, checkpoint,
                                  '--split', split,
                                  '--work-dir', osp.join(rpn_dir, f'dump_{split}')))


def compare(tables: Dict[str, List[Tuple[str, str, Optional[dict]]]], work_root: str,
            out_dir: str, retrain: bool = False) -> None:
    """Train each row of ``tables`` unless its work dir holds an evaluation, then
    write ``<table>.md`` (ours beside the paper), ``<table>.png`` and ``<table>.json``.

    Args:
        tables: Table name -> rows ``(row, config, paper metrics or None)``;
            ``'table2'`` first dumps the proposals of :data:`PROPOSAL_RPN`.
        work_root: One work dir per config below it.
        out_dir: Where the tables, charts and json go.
        retrain: Train even where an evaluation exists.
    """
    os.makedirs(out_dir, exist_ok=True)
    for name, spec in tables.items():
        if name == 'table2':
            ensure_proposals(work_root, retrain)
        rows = []
        for row, config, paper in spec:
            work_dir = osp.join(work_root, config_name(config))
            if retrain or not evaluated(work_dir):
                print(f'compare: training {config}', flush=True)
                train_run(config, work_dir)
            metrics = final_metrics(work_dir)
            if paper and TIME in paper[1]:
                metrics[TIME] = seconds_per_image(work_dir)
            rows.append((row, config_name(config), metrics, paper[1] if paper else None))
        table = markdown_table(rows)
        with open(osp.join(out_dir, f'{name}.md'), 'w') as f:
            f.write(table + '\n')
        write_json(rows, osp.join(out_dir, f'{name}.json'))
        chart = bar_chart(rows, osp.join(out_dir, f'{name}.png'),
                          f'{name}: our runs as bars, the paper on COCO as black ticks')
        print(table)
        print(f'compare: wrote {chart}')

