"""The package's modules import each other without a circle, counting imports inside functions too, each only from
chapters before its own, and no module answers for names it does not define (a module-level `__getattr__`, the way
back-compat shims work)."""
import ast, re
from conftest import ROOT

PACKAGE = ROOT/'mnist_digits'

def imports_of(path, top_only:bool=False) -> set:
    "The package's modules that the module at `path` imports, anywhere in its code (or only at its top level)."
    tree, found = ast.parse(path.read_text()), set()
    for node in (tree.body if top_only else ast.walk(tree)):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1: found.add(node.module or '')
            elif node.module and node.module.startswith('mnist_digits.'): found.add(node.module.split('.')[1])
            elif node.module == 'mnist_digits': found |= {a.name for a in node.names if (PACKAGE/f'{a.name}.py').exists()}
        elif isinstance(node, ast.Import):
            found |= {a.name.split('.')[1] for a in node.names if a.name.startswith('mnist_digits.')}
    return found - {'', '_modidx'}

def graph() -> dict:
    return {p.stem: imports_of(p) for p in PACKAGE.glob('*.py') if p.stem not in ('__init__', '_modidx')}

def test_no_circle_in_the_import_graph():
    edges, circles = graph(), []
    def visit(module, path):
        for imported in sorted(edges.get(module, ())):
            if imported in path: circles.append(path[path.index(imported):] + [imported])
            elif len(path) < len(edges): visit(imported, path + [imported])
    for module in edges: visit(module, [module])
    assert not circles, circles[:5]

def chapter_of(module:str) -> tuple:
    "The number of the chapter a module is exported from (nbs/NNx_name.ipynb, in its generated header): (NN, x)."
    number, part = re.search(r'File to edit: \.\./nbs/(\d+)([a-z]?)_', (PACKAGE/f'{module}.py').read_text()).groups()
    return int(number), part

def test_each_chapter_has_its_own_number_and_imports_only_earlier_ones():
    chapters = [p.name.split('_')[0] for p in (ROOT/'nbs').glob('[0-9]*.ipynb')]
    assert len(chapters) == len(set(chapters)), sorted(chapters)
    later = [(m, i) for m, imported in graph().items() for i in imported if chapter_of(i) >= chapter_of(m)]
    assert not later, later  # a newcomer reading in order never meets a name from a chapter ahead

def test_no_module_level_getattr():
    shims = [p.name for p in PACKAGE.glob('*.py')
             if any(isinstance(n, ast.FunctionDef) and n.name == '__getattr__' for n in ast.parse(p.read_text()).body)]
    assert not shims, shims

def test_reading_reaches_no_module_that_imports_torch():
    "What reading needs (runtime, inference, reading, the app) never loads a module that imports torch at its top."
    torch_at_top = {p.stem for p in PACKAGE.glob('*.py') for n in ast.parse(p.read_text()).body
                    if isinstance(n, (ast.Import, ast.ImportFrom)) and ast.unparse(n).split()[1].split('.')[0] == 'torch'}
    for start in ('runtime', 'inference', 'reading', 'app', 'preprocessing'):
        seen, todo = set(), [start]
        while todo:
            module = todo.pop()
            if module not in seen: seen.add(module); todo += imports_of(PACKAGE/f'{module}.py', top_only=True)
        assert torch_at_top and not seen & torch_at_top, (start, seen & torch_at_top)
