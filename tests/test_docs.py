"""The docs name what the code has."""
import os.path as osp
import re

from helpers import ROOT

from mmfpn.config.registered import mmfpn_types


def test_the_export_table_names_every_registered_type_once():
    text = open(osp.join(ROOT, 'docs', 'mmdet_configs.md')).read()
    table = text.split('| type | registry | export |')[1].split('\n\n')[0]
    named = re.findall(r'^\| `(\w+)` \| (\w+) `([\w ]+)` \|', table, flags=re.M)
    types = mmfpn_types()
    assert sorted(n for n, _, _ in named) == sorted(types)
    for name, scope, registry in named:
        assert (types[name].scope, types[name].registry) == (scope, registry), name
