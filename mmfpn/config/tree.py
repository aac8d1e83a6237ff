"""One way to walk and rewrite nested configs (dicts and lists of dicts)."""
from typing import Any, Callable, Iterator, Tuple


def walk_dicts(node: Any, path: str = '') -> Iterator[Tuple[str, dict]]:
    """Every dict inside ``node``, parents first, with its path.

    Example:
        >>> [p for p, _ in walk_dicts({'model': {'neck': {'type': 'PaperFPN'}}})]
        ['', 'model', 'model.neck']
        >>> [p for p, _ in walk_dicts([{'a': 1}, {'b': [{'c': 2}]}], 'hooks')]
        ['hooks[0]', 'hooks[1]', 'hooks[1].b[0]']
    """
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk_dicts(value, f'{path}.{key}' if path else str(key))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from walk_dicts(value, f'{path}[{i}]')


def map_dicts(node: Any, fn: Callable[[dict], dict]) -> Any:
    """A copy of ``node`` with ``fn`` applied to every dict, children first."""
    if isinstance(node, dict):
        return fn({k: map_dicts(v, fn) for k, v in node.items()})
    if isinstance(node, (list, tuple)):
        return type(node)(map_dicts(v, fn) for v in node)
    return node
