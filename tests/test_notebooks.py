"""The chapters stay lessons: short exported cells, stable stored outputs, plain signatures, and light modules stay light."""
import json, re, statistics
import pytest
from conftest import ROOT, run_python

NOTEBOOKS = sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith('_'))  # as nbdev: _x is not a chapter
EXPORT = re.compile(r'#\|\s*export')

def code_cells(nb_path) -> list[dict]:
    return [c for c in json.loads(nb_path.read_text())['cells'] if c['cell_type'] == 'code']

def exported_sources() -> list[tuple[str, str]]:
    "(notebook name, source) of every exported code cell."
    return [(p.name, s) for p in NOTEBOOKS for c in code_cells(p) if EXPORT.match(s := ''.join(c['source']))]

def code_lines(source:str) -> int:
    "Lines of code in a cell: not blank, not an nbdev directive."
    return sum(1 for l in source.splitlines() if l.strip() and not l.startswith('#|'))

def prose_words(nb_path) -> int:
    "Words in a notebook's Markdown cells, code blocks left out."
    md = ''.join(''.join(c['source']) + '\n' for c in json.loads(nb_path.read_text())['cells'] if c['cell_type'] == 'markdown')
    return len(re.findall(r"[A-Za-z0-9][\w'.-]*", re.sub(r'```.*?```', '', md, flags=re.S)))

def test_exported_cells_are_short():
    "One definition per cell: none over 40 lines of code, and the median at most 10 (fastcore's rhythm)."
    lengths = {f'{name}: {s.splitlines()[1][:60]}': code_lines(s) for name, s in exported_sources()}
    too_long = {k: n for k, n in lengths.items() if n > 40}
    assert not too_long, f'exported cells over 40 lines: {too_long}'
    assert statistics.median(lengths.values()) <= 10, f'median exported cell is {statistics.median(lengths.values())} lines'

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=lambda p: p.name)
def test_a_chapter_reads_in_one_sitting(nb):
    "Under 70 cells and 1,500 words of prose a chapter."
    cells, words = len(json.loads(nb.read_text())['cells']), prose_words(nb)
    assert cells < 70 and words < 1500, f'{nb.name}: {cells} cells, {words} words of prose'

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=lambda p: p.name)
def test_stored_outputs_are_stable(nb):
    "No random temporary paths in stored outputs: they would change on every run."
    for i, c in enumerate(code_cells(nb)):
        text = json.dumps(c.get('outputs', []))
        assert not re.search(r'/tmp/tmp\w+|/var/folders/', text), f'{nb.name} code cell {i} stores a temporary path'

def test_parameter_comments_are_plain_text():
    "docments comments render inside the signature, where Markdown (backticks, links) shows up raw."
    param = re.compile(r'^\s*(?:(?:def \w+\()?\**\w+\s*(?::[^#]*?)?(?:=[^#]*?)?,?|\)\s*->.*:)\s*# (.*)$')  # a parameter or the return
    bad = [(name, m.group(1)) for name, s in exported_sources() for line in s.splitlines()
           if (m := param.match(line)) and ('`' in m.group(1) or '](' in m.group(1))]
    assert not bad, f'Markdown in parameter comments: {bad}'

TRAINING = {'loaders', 'learner', 'resume', 'training', 'finetune'}  # the modules that build fastai objects
LIGHT = sorted(p.stem for p in (ROOT/'mnist_digits').glob('[a-z]*.py') if p.stem not in TRAINING)

def test_light_modules_do_not_import_fastai(tmp_path):
    "Every module that does not train starts without fastai's import time, each in a fresh interpreter's order."
    code = ("import importlib, sys\n"
            f"for name in {LIGHT!r}:\n"
            "    importlib.import_module(f'mnist_digits.{name}')\n"
            "    if name == 'cli': sys.modules['mnist_digits.cli'].make_parser()\n"
            "    print(name, any(n.split('.')[0] == 'fastai' for n in sys.modules))")
    out = run_python(code, tmp_path)
    assert out.returncode == 0, out.stderr
    test = {line.split()[0]: line.split()[1] for line in out.stdout.splitlines()}
    assert test == {name: 'False' for name in LIGHT}, out.stdout

def test_inference_is_lean(tmp_path):
    "Predicting needs torch, numpy, Pillow and scipy: importing inference loads no fastai, matplotlib or scikit-learn."
    out = run_python("import sys, mnist_digits.inference\n"
                     "print(sorted({n.split('.')[0] for n in sys.modules} & {'fastai', 'matplotlib', 'sklearn', 'pandas'}))", tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == '[]', out.stdout

def test_slow_cells_write_nothing_the_package_ships():
    "The shipped model, guard and examples are made by functions and commands; a slow cell never writes into mnist_digits/."
    package = re.compile(r"mnist_digits\.__file__|\.\./mnist_digits|files\(['\"]mnist_digits['\"]\)")
    slow = [(p.name, i) for p in NOTEBOOKS for i, c in enumerate(code_cells(p))
            if (s := ''.join(c['source'])).startswith('#| slow') and package.search(s)]
    assert not slow, f'slow cells that reach into the package: {slow}'
