"""mmfpn's modules import each other in one direction: no circle, not even through an
import inside a function."""
import ast
import glob
import os.path as osp

from helpers import ROOT


def module_name(path: str) -> str:
    rel = osp.relpath(path, ROOT)[:-3].replace(osp.sep, '.')
    return rel[:-len('.__init__')] if rel.endswith('.__init__') else rel


def imports(path: str, modules: set) -> set:
    """The mmfpn modules ``path`` imports anywhere in the file."""
    found = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f'{node.module}.{a.name}' for a in node.names]
        else:
            continue
        found |= {n for n in names if n in modules}
    return found


def test_no_module_of_mmfpn_imports_itself_back():
    paths = glob.glob(osp.join(ROOT, 'mmfpn', '**', '*.py'), recursive=True)
    modules = {module_name(p) for p in paths} - {'mmfpn'}  # the package's own import registers
    graph = {module_name(p): imports(p, modules) for p in paths if module_name(p) in modules}
    done, on_path = set(), []

    def visit(node: str) -> None:
        if node in on_path:
            raise AssertionError('import circle: ' + ' -> '.join(
                on_path[on_path.index(node):] + [node]))
        if node in done:
            return
        on_path.append(node)
        for child in sorted(graph[node]):
            # a package imports its own modules; that is not a step back up
            if not node.startswith(child + '.'):
                visit(child)
        on_path.pop()
        done.add(node)

    for node in sorted(graph):
        visit(node)
    assert 'mmfpn.deploy.openvino' not in graph['mmfpn.deploy.fast']
